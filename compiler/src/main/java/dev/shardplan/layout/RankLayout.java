package dev.shardplan.layout;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeSet;

/**
 * Ranks of a plan mapped onto GPUs, with their communicator groups: the one rank layout every
 * stage reads (analysis, prediction, the emitters). Rank order is the one all three engines use
 * inside a replica, DP replicas outermost: {@code global = dp*(pp*tp) + pp*tp + tp_rank}
 * (docs/plan-ir.md). {@code rules} are the engine's layout rules it was built with; {@code stages}
 * holds the decoder layers of each PP stage. MoE: {@code moeGroupSize} ranks share each MoE
 * layer's experts, split {@code epSize} ways by expert and {@code moeTp} ways by width
 * (epSize * moeTp = moeGroupSize). {@code explicitPlacement} says whether Parallel.placement was
 * used.
 *
 * <p>The ranks by node and the nodes of each replica are indexed once, on first use:
 * the launchers ask per node and per replica, which as scans was quadratic in the ranks (16,384
 * GPUs, issue 16). A rank the cluster has no GPU for counts as on node 0 there (a plan with one
 * fails its analysis, so no launcher sees it).
 */
public final class RankLayout {
    private final LayoutRules rules;
    private final int dp, pp, tp, epSize, moeTp, moeGroupSize, paddedVocab;
    private final List<Range> stages;
    private final boolean explicitPlacement;
    private final List<Rank> ranks;
    private final Map<GroupKind, List<Group>> groups;

    public RankLayout(LayoutRules rules, int dp, int pp, int tp, int epSize, int moeTp, int moeGroupSize,
                      List<Range> stages, int paddedVocab, boolean explicitPlacement, List<Rank> ranks,
                      Map<GroupKind, List<Group>> groups) {
        this.rules = rules;
        this.dp = dp;
        this.pp = pp;
        this.tp = tp;
        this.epSize = epSize;
        this.moeTp = moeTp;
        this.moeGroupSize = moeGroupSize;
        this.stages = List.copyOf(stages);
        this.paddedVocab = paddedVocab;
        this.explicitPlacement = explicitPlacement;
        this.ranks = List.copyOf(ranks);
        EnumMap<GroupKind, List<Group>> m = new EnumMap<>(GroupKind.class);
        for (GroupKind k : GroupKind.values()) m.put(k, List.copyOf(groups.getOrDefault(k, List.of())));
        this.groups = Collections.unmodifiableMap(m);
    }

    /** The ranks by node and the nodes of each replica, built on first use (most layouts, a fix's what-ifs, are never asked). */
    private static final class Index {
        final int nodes;
        final List<List<Rank>> byNode;
        final List<List<Integer>> nodesOfReplica;

        Index(List<Rank> ranks) {
            int n = 0, replicas = 0;
            for (Rank r : ranks) {
                n = Math.max(n, node(r) + 1);
                replicas = Math.max(replicas, r.dp() + 1);
            }
            nodes = n;
            List<List<Rank>> on = new ArrayList<>(n);
            for (int i = 0; i < n; i++) on.add(new ArrayList<>());
            // nodes of a replica, ascending: its ranks' nodes, each once
            int[][] touched = new int[replicas][];
            int[] count = new int[replicas];
            for (Rank r : ranks) {
                int node = node(r);
                on.get(node).add(r);
                int d = r.dp();
                if (touched[d] == null) touched[d] = new int[4];
                int c = count[d];
                if (c > 0 && touched[d][c - 1] == node) continue; // a replica's ranks come in node order, as a rule
                if (c == touched[d].length) touched[d] = Arrays.copyOf(touched[d], 2 * c);
                touched[d][count[d]++] = node;
            }
            List<List<Rank>> onCopy = new ArrayList<>(n);
            for (List<Rank> l : on) onCopy.add(List.copyOf(l));
            byNode = List.copyOf(onCopy);
            List<List<Integer>> rep = new ArrayList<>(replicas);
            for (int d = 0; d < replicas; d++) {
                int[] t = touched[d] == null ? new int[0] : Arrays.copyOf(touched[d], count[d]);
                rep.add(Arrays.stream(t).sorted().distinct().boxed().toList());
            }
            nodesOfReplica = List.copyOf(rep);
        }
    }

    private volatile Index index;

    private Index index() {
        Index i = index;
        if (i == null) index = i = new Index(ranks); // immutable: a race builds it twice, never half
        return i;
    }

    private static int node(Rank r) {
        return Math.max(0, r.node());
    }

    public LayoutRules rules() {
        return rules;
    }

    public int dp() {
        return dp;
    }

    public int pp() {
        return pp;
    }

    public int tp() {
        return tp;
    }

    public int epSize() {
        return epSize;
    }

    public int moeTp() {
        return moeTp;
    }

    public int moeGroupSize() {
        return moeGroupSize;
    }

    public List<Range> stages() {
        return stages;
    }

    public int paddedVocab() {
        return paddedVocab;
    }

    public boolean explicitPlacement() {
        return explicitPlacement;
    }

    /** Every rank, in global rank order. */
    public List<Rank> ranks() {
        return ranks;
    }

    public Map<GroupKind, List<Group>> groups() {
        return groups;
    }

    public int worldSize() {
        return ranks.size();
    }

    public List<Group> groups(GroupKind k) {
        return groups.get(k);
    }

    public Rank rank(int r) {
        return ranks.get(r);
    }

    /** Global rank of coordinates (dp, pp, tp). */
    public int rankOf(int dpRank, int ppRank, int tpRank) {
        return dpRank * (pp * tp) + ppRank * tp + tpRank;
    }

    /** Nodes the plan occupies: 1 + the highest node index of any rank. */
    public int nodes() {
        return index().nodes;
    }

    /** The ranks on a node, in rank order. */
    public List<Rank> ranksOnNode(int node) {
        Index x = index();
        return node >= 0 && node < x.nodes ? x.byNode.get(node) : List.of();
    }

    /** Local GPU indices used on a node, in rank order (the order CUDA_VISIBLE_DEVICES must list them). */
    public List<Integer> gpusOnNode(int node) {
        List<Integer> out = new ArrayList<>();
        for (Rank r : ranksOnNode(node)) out.add(Math.max(0, r.localGpu()));
        return out;
    }

    /** DP replicas that have a rank on the node, ascending. */
    public List<Integer> replicasOnNode(int node) {
        TreeSet<Integer> s = new TreeSet<>();
        for (Rank r : ranksOnNode(node)) s.add(r.dp());
        return List.copyOf(s);
    }

    /** Nodes a DP replica touches, ascending. */
    public List<Integer> nodesOfReplica(int dp) {
        List<List<Integer>> of = index().nodesOfReplica;
        return dp >= 0 && dp < of.size() ? of.get(dp) : List.of();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof RankLayout l && rules.equals(l.rules) && dp == l.dp && pp == l.pp && tp == l.tp && epSize == l.epSize
                && moeTp == l.moeTp && moeGroupSize == l.moeGroupSize && stages.equals(l.stages) && paddedVocab == l.paddedVocab
                && explicitPlacement == l.explicitPlacement && ranks.equals(l.ranks) && groups.equals(l.groups);
    }

    @Override
    public int hashCode() {
        return Objects.hash(rules, dp, pp, tp, epSize, moeTp, moeGroupSize, stages, paddedVocab, explicitPlacement, ranks, groups);
    }

    @Override
    public String toString() {
        return "RankLayout[dp=" + dp + ", pp=" + pp + ", tp=" + tp + ", epSize=" + epSize + ", moeTp=" + moeTp
                + ", moeGroupSize=" + moeGroupSize + ", stages=" + stages + ", ranks=" + ranks.size() + "]";
    }
}
