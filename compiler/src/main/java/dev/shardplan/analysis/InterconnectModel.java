package dev.shardplan.analysis;

import dev.shardplan.graph.AllToAll;
import dev.shardplan.graph.DeviceGraph;
import dev.shardplan.graph.Traffic;
import dev.shardplan.layout.Group;
import dev.shardplan.layout.GroupKind;
import dev.shardplan.layout.Rank;
import dev.shardplan.layout.RankLayout;
import dev.shardplan.layout.Sharding;
import dev.shardplan.layout.Shard;
import dev.shardplan.engine.EngineConfig;
import dev.shardplan.engine.MemoryBudget;
import dev.shardplan.model.Model;
import dev.shardplan.model.Moe;
import dev.shardplan.model.Plan;
import dev.shardplan.model.Workload;

import java.util.ArrayList;
import java.util.List;

/**
 * Collectives per step on the device graph (formulas.md §7.4, docs/memory-model.md):
 * TP all-reduce twice per layer, ring time 2(n-1)·α + 2(n-1)/n·M/B (GenZ collective_times.py;
 * llm-analysis get_latency_fwd_per_tp_comm); PP send of hidden + residual per stage boundary,
 * α + M/B (AIC P2POp); EP dispatch and combine per MoE layer, message top_k·b·h·B
 * (llm-analysis get_latency_fwd_per_layer_mlp_moe_alltoall), α + (n-1)/n·M/B_rank, only where the
 * engine runs all-to-all kernels (EngineSpec.epAllToAll; otherwise the TP all-reduce sums the MoE output); with vLLM
 * DP > 1 and no EP, all-gather + reduce-scatter over the experts' dp x tp group; DP: none.
 */
public final class InterconnectModel {
    private InterconnectModel() {}

    enum Pattern { RING, CHAIN, ALL_TO_ALL }

    /** Costs of all groups of a kind, all of them communicating at once. */
    static List<GroupCost> costs(DeviceGraph g, RankLayout layout, GroupKind kind, Pattern pattern) {
        return costs(g, layout, kind, pattern, false);
    }

    /**
     * As {@link #costs(DeviceGraph, RankLayout, GroupKind, Pattern)}; {@code flowByFlow} routes an
     * all-to-all's n(n-1) flows one by one instead of per locality cell ({@link AllToAll}), the
     * reference the closed form is tested against.
     */
    static List<GroupCost> costs(DeviceGraph g, RankLayout layout, GroupKind kind, Pattern pattern, boolean flowByFlow) {
        List<Group> groups = layout.groups(kind);
        boolean cells = pattern == Pattern.ALL_TO_ALL && !flowByFlow;
        Traffic t = new Traffic(g);
        int[][] gpusOf = new int[groups.size()][];
        for (int i = 0; i < groups.size(); i++) {
            int[] gpus = gpusOf[i] = gpus(layout, groups.get(i));
            if (gpus == null) continue;
            if (cells) AllToAll.add(t, gpus);
            else forEachFlow(gpus, pattern, t::add);
        }
        List<GroupCost> out = new ArrayList<>(groups.size());
        for (int i = 0; i < groups.size(); i++) {
            Group gr = groups.get(i);
            int n = gr.size();
            // distinct domains and nodes of the placed ranks, counted over sorted ints (one group can hold 100,000 ranks)
            int[] domains = new int[n], nodes = new int[n];
            int placedRanks = 0;
            for (int r : gr.ranks()) {
                Rank rk = layout.rank(r);
                if (!rk.placed()) continue;
                domains[placedRanks] = g.domainOf(rk.gpu());
                nodes[placedRanks++] = rk.node();
            }
            int nDomains = distinct(domains, placedRanks), nNodes = distinct(nodes, placedRanks);
            if (n <= 1 || placedRanks < n) {
                out.add(new GroupCost(kind, gr.index(), n, 0, 0, nDomains, nNodes, false, ""));
                continue;
            }
            int[] gpus = gpusOf[i];
            AllToAll.Slowest s = cells ? AllToAll.slowest(t, gpus) : slowest(t, gpus, pattern);
            double bw = s.rate() == Double.POSITIVE_INFINITY ? 0 : s.rate();
            if (pattern == Pattern.ALL_TO_ALL) bw *= (n - 1);
            String bottleneck = "";
            if (s.from() >= 0) {
                int use = t.bottleneck(s.from(), s.to());
                if (use >= 0) bottleneck = g.linkOf(use).describe() + " shared by " + t.load(use) + (t.load(use) == 1 ? " flow" : " flows");
                else bottleneck = "no route between gpu" + s.from() + " and gpu" + s.to();
            }
            out.add(new GroupCost(kind, gr.index(), n, bw, s.latency(), nDomains, nNodes, s.network(), bottleneck));
        }
        return out;
    }

    /** Distinct values among the first {@code n} of {@code v} (sorts them). */
    private static int distinct(int[] v, int n) {
        java.util.Arrays.sort(v, 0, n);
        int d = 0;
        for (int i = 0; i < n; i++) if (i == 0 || v[i] != v[i - 1]) d++;
        return d;
    }

    /** The slowest of a group's flows, visited one by one: the first flow with the lowest rate. */
    static AllToAll.Slowest slowest(Traffic t, int[] gpus, Pattern pattern) {
        DeviceGraph g = t.graph();
        double[] worst = {Double.POSITIVE_INFINITY, 0};
        int[] scratch = new int[4];
        int[] limit = {-1, -1};
        boolean[] net = {false};
        forEachFlow(gpus, pattern, (a, b) -> {
            double r = t.rate(a, b);
            if (r < worst[0]) {
                worst[0] = r;
                limit[0] = a;
                limit[1] = b;
            }
            worst[1] = Math.max(worst[1], g.latency(a, b, scratch));
            if (g.crossesNetwork(a, b)) net[0] = true;
        });
        return new AllToAll.Slowest(worst[0], limit[0], limit[1], worst[1], net[0]);
    }

    /** The GPUs of a group's ranks in rank order, or null when one is not placed. */
    static int[] gpus(RankLayout layout, Group gr) {
        List<Integer> rs = gr.ranks();
        int[] gpu = new int[rs.size()];
        for (int i = 0; i < gpu.length; i++) {
            gpu[i] = layout.rank(rs.get(i)).gpu();
            if (gpu[i] < 0) return null;
        }
        return gpu;
    }

    interface Flow {
        void accept(int a, int b);
    }

    static void forEachFlow(int[] gpu, Pattern p, Flow f) {
        int n = gpu.length;
        if (n <= 1) return;
        switch (p) {
            case RING -> {
                for (int i = 0; i < n; i++) f.accept(gpu[i], gpu[(i + 1) % n]);
            }
            case CHAIN -> {
                for (int i = 0; i + 1 < n; i++) f.accept(gpu[i], gpu[i + 1]);
            }
            case ALL_TO_ALL -> {
                for (int i = 0; i < n; i++) for (int j = 0; j < n; j++) if (i != j) f.accept(gpu[i], gpu[j]);
            }
        }
    }

    /** The worst (slowest) cost among groups of a kind, or null when there are none with traffic. */
    static GroupCost worst(List<GroupCost> costs, GroupKind kind) {
        GroupCost w = null;
        for (GroupCost c : costs) {
            if (c.kind() != kind || c.size() <= 1) continue;
            if (w == null || c.bandwidth() < w.bandwidth() || (c.bandwidth() == w.bandwidth() && c.latency() > w.latency())) w = c;
        }
        return w;
    }

    /** Sequences a replica runs at once: min(max_num_seqs, the workload's concurrency per replica). */
    public static long demandPerReplica(Plan plan, EngineConfig e) {
        Workload w = plan.workload();
        int dp = Math.max(1, plan.parallel().dp());
        // max seqs 0: the engine derives its cap from the pool (SGLang max_running_requests); only the workload limits.
        long maxSeqs = e.maxSeqs() > 0 ? e.maxSeqs() : Long.MAX_VALUE;
        long c;
        if (w.concurrency() > 0) c = (w.concurrency() + dp - 1) / dp;
        else if (w.offline()) c = (w.requests() + dp - 1) / dp;
        else c = maxSeqs == Long.MAX_VALUE ? 256 : maxSeqs;
        return Math.max(1, Math.min(maxSeqs, c));
    }

    public static Interconnect compute(Plan plan, EngineConfig e, DeviceGraph g, RankLayout layout, List<MemoryBudget> budgets,
                                       KvCapacity kv, StepTimeModel stm) {
        boolean moe = plan.model().moe() != null;
        List<GroupCost> costs = new ArrayList<>();
        costs.addAll(costs(g, layout, GroupKind.TP, Pattern.RING));
        costs.addAll(costs(g, layout, GroupKind.PP, Pattern.CHAIN));
        costs.addAll(costs(g, layout, GroupKind.DP, Pattern.RING));
        if (moe) costs.addAll(costs(g, layout, GroupKind.EP, layout.epSize() > 1 ? Pattern.ALL_TO_ALL : Pattern.RING));

        long fit = kv.at("p50").sequences();
        long batch = Math.max(1, Math.min(demandPerReplica(plan, e), Math.max(1, fit)));
        Workload w = plan.workload();
        // A decode step's sequences are on average half-way through their output.
        double ctx = w.prompt().mean() + w.output().mean() / 2;
        long chunk = e.spec().prefillTokens(e);

        CollectiveSchedule schedule = schedule(plan, e, layout, costs, callLatency(plan, e), linkEfficiency(plan, e));
        List<Collective> dec = schedule.at(batch);
        List<Collective> pre = schedule.at(chunk);
        StepCost ds = step(plan, e, layout, "decode", batch, ctx, dec, stm);
        StepCost ps = step(plan, e, layout, "prefill", chunk, chunk / 2.0, pre, stm);
        return new Interconnect(costs, batch, ctx, dec, pre, ds, ps, schedule);
    }

    /** Bytes of one activation element on the wire: engines exchange hidden states in BF16, FP8 checkpoints included. */
    public static final double ACT_BYTES = 2.0;

    /**
     * The plan's efficiency constant {@code key}: its tuning, else its profile (the resolver attaches
     * std:efficiency's for its GPU and engine when the plan names none, and so does a search's candidate).
     */
    static double constant(Plan plan, EngineConfig e, String key) {
        Double t = plan.tuning().get(key);
        if (t != null) return t;
        if (plan.efficiency() == null) throw new IllegalArgumentException("plan '" + plan.name() + "' has no efficiency profile");
        return plan.efficiency().values().get(key);
    }

    /** Seconds a collective call costs before its bytes: the profile's collective_latency_us. */
    static double callLatency(Plan plan, EngineConfig e) {
        return constant(plan, e, "collective_latency_us") * 1e-6;
    }

    static double linkEfficiency(Plan plan, EngineConfig e) {
        return constant(plan, e, "link_efficiency");
    }

    /**
     * The collectives of one step of {@code plan}, counted for its largest stage (which paces the
     * others): per stage two TP all-reduces per layer; for MoE with expert parallelism, where the
     * engine runs all-to-all kernels ({@code EngineSpec.epAllToAll}), a dispatch and
     * a combine all-to-all per MoE layer, in which each rank sends its share of its replica's tokens
     * (tokens / tp) to their top-k experts' ranks; for vLLM's MoE over DP x TP ranks without EP, an
     * all-gather and a reduce-scatter of the hidden states per MoE layer; between stages, one send of
     * the hidden states and the residual per boundary. A call costs {@code callLatency} plus the
     * group's path latency; bytes move at the group's bottleneck bandwidth x {@code linkEfficiency}.
     */
    public static CollectiveSchedule schedule(Plan plan, EngineConfig e, RankLayout layout, List<GroupCost> costs, double callLatency,
                                              double linkEfficiency) {
        Model m = plan.model();
        long h = m.hidden();
        int stageLayers = 0, stageMoe = 0;
        for (var r : layout.stages()) {
            stageLayers = Math.max(stageLayers, r.size());
            int moeHere = 0;
            if (m.moe() != null) for (int i = r.start(); i < r.end(); i++) if (m.isMoeLayer(i)) moeHere++;
            stageMoe = Math.max(stageMoe, moeHere);
        }
        List<CollectiveSchedule.Kind> ks = new ArrayList<>();
        GroupCost tp = worst(costs, GroupKind.TP);
        if (tp != null) {
            int n = tp.size();
            ks.add(new CollectiveSchedule.Kind("tp all-reduce", GroupKind.TP, true, 2 * stageLayers, n, h * ACT_BYTES,
                    2.0 * (n - 1) / n, tp.bandwidth() * linkEfficiency, callLatency + tp.latency(), tp.overNetwork(),
                    "2 per layer; ring α + 2(n-1)/n·M/B, M = tokens·hidden·2 B"));
        }
        Moe moe = m.moe();
        GroupCost ep = worst(costs, GroupKind.EP);
        if (moe != null && ep != null && stageMoe > 0) {
            int n = ep.size();
            // Expert parallelism without the engine's all-to-all kernels sends nothing here: the EP group
            // is the TP group, every rank holds all of its tokens, and the TP all-reduce above sums the MoE output.
            if (layout.epSize() > 1 && e.spec().epAllToAll(e, plan.parallel())) {
                // The dispatch and the combine alternate, one of each per MoE layer: their mean message stands for both.
                dev.shardplan.engine.EpMessage msg = e.spec().epMessage(e, m, plan.parallel());
                boolean bf16 = msg.dispatch() == h * ACT_BYTES && msg.combine() == h * ACT_BYTES;
                ks.add(new CollectiveSchedule.Kind("ep all-to-all", GroupKind.EP, true, 2 * stageMoe, n,
                        (double) moe.topK() * (msg.dispatch() + msg.combine()) / 2 / layout.tp(), (double) (n - 1) / n,
                        ep.bandwidth() * linkEfficiency, callLatency + ep.latency(), ep.overNetwork(),
                        bf16 ? "dispatch + combine per MoE layer; α + (n-1)/n·M/B, M = tokens/tp·top_k·hidden·2 B (a rank sends its own tokens)"
                                : "dispatch + combine per MoE layer; α + (n-1)/n·M/B, M = tokens/tp·top_k·(dispatch + combine)/2 per token, "
                                + msg.why() + " (a rank sends its own tokens)"));
            } else if (layout.epSize() <= 1) {
                ks.add(new CollectiveSchedule.Kind("moe all-gather/reduce-scatter", GroupKind.EP, true, 2 * stageMoe, n, h * ACT_BYTES,
                        n - 1, ep.bandwidth() * linkEfficiency, callLatency + ep.latency(), ep.overNetwork(),
                        "vLLM allgather_reducescatter over dp x tp; α + (n-1)·M/B, M = tokens·hidden·2 B"));
            }
        }
        GroupCost pp = worst(costs, GroupKind.PP);
        if (pp != null && layout.pp() > 1) {
            ks.add(new CollectiveSchedule.Kind("pp send", GroupKind.PP, false, layout.pp() - 1, 2, 2.0 * h * ACT_BYTES, 1,
                    pp.bandwidth() * linkEfficiency, callLatency + pp.latency(), pp.overNetwork(),
                    "1 per stage boundary; α + M/B, M = tokens·hidden·2 B x 2 (hidden + residual)"));
        }
        return new CollectiveSchedule(ks, layout.pp());
    }

    /** Roofline of the busiest rank of each stage, summed over stages, plus collectives. */
    static StepCost step(Plan plan, EngineConfig e, RankLayout layout, String phase, long tokens, double ctx, List<Collective> cs,
                         StepTimeModel stm) {
        Model m = plan.model();
        double bytesSum = 0, flopsSum = 0, compute = 0;
        int tp = layout.tp();
        int groupTokensFactor = Math.max(1, layout.moeGroupSize() / tp);
        for (int p = 0; p < layout.pp(); p++) {
            Rank r = layout.rank(layout.rankOf(0, p, 0));
            Shard s = r.shard();
            var wb = s.weights();
            int layers = s.layers().size();
            double kvPerToken = (double) e.spec().kvBytes(e, m, tp).bytes() * layers;
            // Context each layer attends to: a sliding-window layer reads at most its window.
            int sliding = 0;
            for (int i = s.layers().start(); i < s.layers().end(); i++) if (m.isSlidingLayer(i)) sliding++;
            double attended = "decode".equals(phase)
                    ? (layers - sliding) * ctx + sliding * Math.min(ctx, m.slidingWindow()) : layers * ctx;
            double experts = wb.experts();
            double touched = 1;
            long groupTokens = tokens * groupTokensFactor;
            Moe moe = m.moe();
            if (moe != null && moe.experts() > 0) {
                touched = 1 - Math.pow(1 - (double) moe.topK() / moe.experts(), groupTokens);
            }
            double weightsRead = wb.total() - wb.embedding() - experts * (1 - touched);
            double kvBytes = "decode".equals(phase) ? tokens * attended * (kvPerToken / Math.max(1, layers)) : tokens * kvPerToken;
            double bytes = weightsRead + kvBytes;
            long h = m.hidden();
            double attnParams = (double) m.attentionParams() / tp * layers;
            double dense = 3.0 * h * s.ffn().size() * s.denseLayers();
            double shared = 3.0 * h * s.sharedFfn().size() * s.moeLayers();
            double head = s.lmHead() ? (double) s.vocab().size() * h : 0;
            double flops = 2.0 * tokens * (attnParams + dense + shared + head);
            if (moe != null && s.moeLayers() > 0) {
                double routed = (double) groupTokens * moe.topK() * s.experts().size() / moe.experts();
                flops += 2.0 * routed * 3.0 * h * s.expertFfn().size() * s.moeLayers();
            }
            int attnDim = m.isMla() ? m.mla().kvLoraRank() + m.mla().qkRopeHeadDim() : m.headDim();
            flops += 4.0 * tokens * s.qHeads().size() * attnDim * ("decode".equals(phase) ? attended : ctx * layers);
            bytesSum += bytes;
            flopsSum += flops;
            compute += stm.seconds(plan, bytes, flops);
        }
        double comm = 0, net = 0;
        for (Collective c : cs) {
            double sec = Double.isFinite(c.seconds()) ? c.seconds() : 0;
            comm += sec;
            if (c.overNetwork()) net += sec;
        }
        double total = compute + comm;
        return new StepCost(phase, tokens, bytesSum, flopsSum, compute, comm, net, total > 0 ? comm / total : 0,
                total > 0 ? net / total : 0);
    }
}
