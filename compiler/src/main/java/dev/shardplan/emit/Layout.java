package dev.shardplan.emit;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * What the emitters need to know about where ranks run and what they hold: the rank table of
 * plan.json (one entry per GPU, in global rank order) and the communicator groups. Built by
 * the analysis stage's rank layout ({@link AnalysisLayout}).
 */
public final class Layout {
    private final int gpusPerNode;
    private final List<Rank> ranks;
    private final Map<String, List<List<Integer>>> groups;
    // Indexes built once: emitters ask per node and per replica, which was quadratic in the ranks.
    private final int nodes;
    private final Map<Integer, List<Rank>> byNode;
    private final Map<Integer, List<Integer>> nodesOfReplica;

    public Layout(int gpusPerNode, List<Rank> ranks, Map<String, List<List<Integer>>> groups) {
        this.gpusPerNode = gpusPerNode;
        this.ranks = List.copyOf(ranks);
        this.groups = Map.copyOf(groups);
        int n = 0;
        Map<Integer, List<Rank>> on = new TreeMap<>();
        Map<Integer, TreeSet<Integer>> rep = new TreeMap<>();
        for (Rank r : this.ranks) {
            n = Math.max(n, r.node() + 1);
            on.computeIfAbsent(r.node(), k -> new ArrayList<>()).add(r);
            rep.computeIfAbsent(r.dp(), k -> new TreeSet<>()).add(r.node());
        }
        this.nodes = n;
        Map<Integer, List<Rank>> onCopy = new TreeMap<>();
        on.forEach((k, v) -> onCopy.put(k, List.copyOf(v)));
        this.byNode = Collections.unmodifiableMap(onCopy);
        Map<Integer, List<Integer>> repCopy = new TreeMap<>();
        rep.forEach((k, v) -> repCopy.put(k, List.copyOf(v)));
        this.nodesOfReplica = Collections.unmodifiableMap(repCopy);
    }

    public int gpusPerNode() {
        return gpusPerNode;
    }

    /** The rank table, in global rank order. */
    public List<Rank> ranks() {
        return ranks;
    }

    /** The communicator groups by kind. */
    public Map<String, List<List<Integer>>> groups() {
        return groups;
    }

    /** A half-open range [start, end). */
    public record Range(long start, long end) {
        public long size() {
            return end - start;
        }
    }

    /** Bytes per GPU as the engine accounts for them; kv_blocks and kv_tokens are counts. */
    public record Memory(long total, long weights, long activation, long nonTorch, long cudaGraph, long kvPool,
                         long kvBlocks, long kvTokens) {}

    /**
     * One rank: where it runs, its coordinates, and its shard. {@code expertFfn} is the slice of each
     * routed expert's width it holds (whole with expert parallelism), {@code sharedFfn} its slice of
     * the shared experts' width; both empty on stages without MoE layers.
     */
    public record Rank(int rank, int node, int localGpu, String host, int dp, int pp, int tp, int ep,
                       Range layers, Range qHeads, Range kvHeads, Range ffn, List<Integer> experts, Range expertFfn,
                       Range sharedFfn, Range vocab, Memory memory) {
        public Rank {
            experts = List.copyOf(experts);
        }
    }

    /** Nodes the plan occupies: 1 + the highest node index of any rank. */
    public int nodes() {
        return nodes;
    }

    /** The ranks on a node, in rank order. */
    public List<Rank> ranksOnNode(int node) {
        return byNode.getOrDefault(node, List.of());
    }

    /** Local GPU indices used on a node, in rank order (the order CUDA_VISIBLE_DEVICES must list them). */
    public List<Integer> gpusOnNode(int node) {
        List<Integer> out = new ArrayList<>();
        for (Rank r : ranksOnNode(node)) out.add(r.localGpu());
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
        return nodesOfReplica.getOrDefault(dp, List.of());
    }

    /** Host name of a node (the rank table's host of its first rank). */
    public String hostOf(int node) {
        List<Rank> on = byNode.get(node);
        return on == null || on.isEmpty() ? "node" + node : on.get(0).host();
    }

    /** The memory entry with the largest KV-plus-weights footprint (the binding rank). */
    public Memory bindingMemory() {
        Memory best = ranks.get(0).memory();
        for (Rank r : ranks) {
            Memory m = r.memory();
            if (m.weights() + m.kvPool() > best.weights() + best.kvPool()) best = m;
        }
        return best;
    }
}
