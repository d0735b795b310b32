package dev.shardplan.layout;

import dev.shardplan.model.Cluster;
import dev.shardplan.model.Model;
import dev.shardplan.model.Moe;
import dev.shardplan.model.Parallel;
import dev.shardplan.model.Plan;

import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Lays the dp x pp x tp ranks of a plan out on its cluster's GPUs, in the order the target engine
 * uses, and forms the communicator groups.
 *
 * <p>Order, all engines: TP fastest, then PP, DP replicas outermost.
 * vLLM distributed/parallel_state.py initialize_model_parallel: "the layout order is:
 * ExternalDP x DP x PP x TP" (all_ranks.reshape(-1, dp, pp, tp)). SGLang scheduler launch:
 * gpu_id = base + (pp_rank % pp_per_node) * tp_per_node + tp_rank. TRT-LLM mapping.py:
 * tp_rank = rank % tp, pp_rank = rank // tp (DP is separate instances).
 *
 * <p>Expert groups: vLLM forms EP from the dp x tp ranks of one PP stage
 * (all_ranks.transpose(1, 2).reshape(-1, dp*tp)); with dp > 1 and no EP it splits the experts'
 * width over the same dp x tp ranks (FusedMoEParallelConfig flattens TP across DP); either way
 * those ranks share a MoE layer's experts and are listed as its EP group. SGLang:
 * moe_ep_rank = tp_rank // (tp / ep), so EP groups are strided inside a TP group. TRT-LLM:
 * moe_ep_rank = tp_rank % ep, EP groups are contiguous inside a TP group. With DP attention both
 * engines' MoE "TP group" is the whole attention-DP group (their tp_size counts dp x attention
 * tp ranks), so the same rules apply over the dp x tp ranks of a stage.
 */
public final class Layouts {
    private Layouts() {}

    /** Whether an explicit placement is usable: one distinct in-range GPU per rank. */
    public static boolean validPlacement(List<Integer> placement, int world, int gpus) {
        if (placement.size() != world) return false;
        Set<Integer> seen = new HashSet<>();
        for (int g : placement) if (g < 0 || g >= gpus || !seen.add(g)) return false;
        return true;
    }

    /**
     * The MoE grouping of a plan under its engine's rules: the ranks that share a MoE layer's
     * experts, how many expert-parallel ranks split them and how many tensor-parallel ranks split
     * each expert ({moeGroup, epSize, moeTp}; {tp, 1, tp} for a dense model). Cheap: no ranks are
     * laid out, so a fix search can rule out a variant whose experts cannot split.
     */
    static int[] moeGrouping(Parallel par, Moe moe, LayoutRules rules) {
        int dp = Math.max(1, par.dp()), tp = Math.max(1, par.tp());
        int epSize = 1, moeTp = tp, moeGroup = tp;
        if (moe != null) {
            if (rules.moeGroup() == LayoutRules.MoeGroup.DP_TIMES_TP) {
                moeGroup = dp * tp;
                boolean ep = par.ep() > 1;
                epSize = ep ? moeGroup : 1;
                moeTp = ep ? 1 : moeGroup;
            } else {
                // With DP attention the MoE layers of SGLang and TRT-LLM run over the whole
                // attention-DP group (SGLang --tp = dp x attention tp; TRT-LLM tp_size likewise),
                // so their EP/TP split is over dp x tp ranks; otherwise over the TP group.
                moeGroup = par.dpAttention() ? dp * tp : tp;
                int ep = Math.max(1, Math.min(par.ep(), moeGroup));
                epSize = moeGroup % ep == 0 ? ep : 1;
                moeTp = moeGroup / epSize;
            }
        }
        return new int[] {moeGroup, epSize, moeTp};
    }

    /** The expert-parallel size the layout of {@code plan} will have (1 for a dense model). */
    public static int epSize(Plan plan, LayoutRules rules) {
        return moeGrouping(plan.parallel(), plan.model().moe(), rules)[1];
    }

    /** The rank layout of a plan under its engine's layout rules. */
    public static RankLayout build(Plan plan, LayoutRules rules) {
        Model m = plan.model();
        Parallel par = plan.parallel();
        Cluster c = plan.cluster();
        int dp = Math.max(1, par.dp()), pp = Math.max(1, par.pp()), tp = Math.max(1, par.tp());
        int world = dp * pp * tp;
        int gpus = c.totalGpus(), perNode = c.node().gpus();
        boolean explicit = !par.placement().isEmpty() && validPlacement(par.placement(), world, gpus);
        LayoutRules.Pad pad = m.moe() == null ? LayoutRules.Pad.NONE : rules.expertPadding().pad(m, c.gpu());

        // ---- MoE grouping
        Moe moe = m.moe();
        int[] grouping = moeGrouping(par, moe, rules);
        int moeGroup = grouping[0], epSize = grouping[1], moeTp = grouping[2];

        List<Range> stages = Sharding.stages(m.layers(), pp, rules.remainder(), par.layerSplit());
        int vocab = Sharding.paddedVocab(m.vocab(), tp);
        int kvCached = Sharding.kvHeadsCached(m, tp, rules.kvHeads());

        List<Rank> ranks = new ArrayList<>(world);
        for (int r = 0; r < world; r++) {
            int d = r / (pp * tp), p = (r / tp) % pp, t = r % tp;
            int gpu = explicit ? par.placement().get(r) : (r < gpus ? r : -1);
            int epRank = 0, moeTpRank = t;
            if (moe != null) {
                if (rules.moeGroup() == LayoutRules.MoeGroup.DP_TIMES_TP) {
                    int idx = d * tp + t; // rank within the dp x tp ranks of this stage
                    epRank = epSize > 1 ? idx : 0;
                    moeTpRank = epSize > 1 ? 0 : idx;
                } else {
                    int idx = moeGroup > tp ? d * tp + t : t; // rank within the MoE group
                    if (rules.epOrder() == LayoutRules.EpOrder.EP_MAJOR) {
                        epRank = idx / moeTp;
                        moeTpRank = idx % moeTp;
                    } else {
                        epRank = idx % epSize;
                        moeTpRank = idx / epSize;
                    }
                }
            }
            Shard shard = shard(m, stages.get(p), tp, t, kvCached, epSize, epRank, moeTp, moeTpRank, vocab,
                    p == 0, p == pp - 1, pad);
            ranks.add(new Rank(r, gpu, gpu < 0 ? -1 : gpu / perNode, gpu < 0 ? -1 : gpu % perNode, d, p, t, epRank, shard));
        }

        Map<GroupKind, List<Group>> groups = new EnumMap<>(GroupKind.class);
        List<Group> tpG = new ArrayList<>(), ppG = new ArrayList<>(), dpG = new ArrayList<>(), epG = new ArrayList<>();
        for (int d = 0; d < dp; d++)
            for (int p = 0; p < pp; p++) {
                List<Integer> g = new ArrayList<>();
                for (int t = 0; t < tp; t++) g.add(d * pp * tp + p * tp + t);
                tpG.add(new Group(GroupKind.TP, tpG.size(), g));
            }
        for (int d = 0; d < dp; d++)
            for (int t = 0; t < tp; t++) {
                List<Integer> g = new ArrayList<>();
                for (int p = 0; p < pp; p++) g.add(d * pp * tp + p * tp + t);
                ppG.add(new Group(GroupKind.PP, ppG.size(), g));
            }
        for (int p = 0; p < pp; p++)
            for (int t = 0; t < tp; t++) {
                List<Integer> g = new ArrayList<>();
                for (int d = 0; d < dp; d++) g.add(d * pp * tp + p * tp + t);
                dpG.add(new Group(GroupKind.DP, dpG.size(), g));
            }
        if (moe != null && (epSize > 1 || moeGroup > tp)) {
            if (rules.moeGroup() == LayoutRules.MoeGroup.DP_TIMES_TP) {
                for (int p = 0; p < pp; p++) {
                    List<Integer> g = new ArrayList<>();
                    for (int d = 0; d < dp; d++) for (int t = 0; t < tp; t++) g.add(d * pp * tp + p * tp + t);
                    epG.add(new Group(GroupKind.EP, epG.size(), g));
                }
            } else {
                // The MoE groups: each TP group, or with DP attention the dp x tp ranks of a stage.
                List<List<Integer>> moeGroups = new ArrayList<>();
                if (moeGroup > tp) {
                    for (int p = 0; p < pp; p++) {
                        List<Integer> g = new ArrayList<>();
                        for (int d = 0; d < dp; d++) for (int t = 0; t < tp; t++) g.add(d * pp * tp + p * tp + t);
                        moeGroups.add(g);
                    }
                } else {
                    for (Group tg : tpG) moeGroups.add(tg.ranks());
                }
                for (List<Integer> mg : moeGroups) {
                    for (int k = 0; k < moeTp; k++) {
                        List<Integer> g = new ArrayList<>();
                        for (int e = 0; e < epSize; e++) {
                            int i = rules.epOrder() == LayoutRules.EpOrder.EP_MAJOR ? e * moeTp + k : k * epSize + e;
                            g.add(mg.get(i));
                        }
                        epG.add(new Group(GroupKind.EP, epG.size(), g));
                    }
                }
            }
        }
        groups.put(GroupKind.TP, tpG);
        groups.put(GroupKind.PP, ppG);
        groups.put(GroupKind.DP, dpG);
        groups.put(GroupKind.EP, epG);
        return new RankLayout(rules, dp, pp, tp, epSize, moeTp, moeGroup, stages, vocab, explicit, ranks, groups);
    }

    static Shard shard(Model m, Range layers, int tp, int t, int kvCached, int epSize, int epRank, int moeTp,
                       int moeTpRank, int paddedVocab, boolean first, boolean last) {
        return shard(m, layers, tp, t, kvCached, epSize, epRank, moeTp, moeTpRank, paddedVocab, first, last, LayoutRules.Pad.NONE);
    }

    static Shard shard(Model m, Range layers, int tp, int t, int kvCached, int epSize, int epRank, int moeTp,
                       int moeTpRank, int paddedVocab, boolean first, boolean last, LayoutRules.Pad pad) {
        Range q = Sharding.slice(m.heads(), tp, t);
        Range kv;
        int kvHeads = m.isMla() ? 0 : m.kvHeads();
        if (m.isMla()) kv = Range.EMPTY;
        else if (tp >= kvHeads && kvHeads > 0) {
            int rep = Math.max(1, tp / kvHeads);   // each KV head replicated on tp/kv ranks
            int head = Math.min(kvHeads - 1, t / rep);
            kv = new Range(head, head + 1);
        } else kv = Sharding.slice(kvHeads, tp, t);
        int moeLayers = 0;
        for (int i = layers.start(); i < layers.end(); i++) if (m.isMoeLayer(i)) moeLayers++;
        int denseLayers = layers.size() - moeLayers;
        Range ffn = denseLayers > 0 ? Sharding.slice(m.ffn(), tp, t) : Range.EMPTY;
        Range experts = Range.EMPTY, expertFfn = Range.EMPTY, sharedFfn = Range.EMPTY;
        Moe moe = m.moe();
        if (moe != null && moeLayers > 0) {
            experts = Sharding.expertSlice(moe.experts(), epSize, epRank);
            expertFfn = Sharding.slice(moe.expertFfn(), moeTp, moeTpRank);
            if (moe.sharedFfn() > 0) sharedFfn = Sharding.slice(moe.sharedFfn(), tp, t);
        }
        int rows = paddedVocab / tp;
        Range vocab = (first || last) ? new Range(t * rows, (t + 1) * rows) : Range.EMPTY;
        WeightBytes w = Sharding.weights(m, layers, denseLayers, moeLayers, tp, t, q.size(),
                m.isMla() ? 0 : Math.max(1, kv.size()), experts.size(), expertFfn.size(), sharedFfn.size(), ffn.size(),
                rows, first, last, pad);
        return new Shard(layers, denseLayers, moeLayers, q, kv, kvCached, ffn, experts, expertFfn, sharedFfn, vocab,
                first, last, w);
    }
}
