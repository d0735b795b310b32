package dev.shardplan.emit;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

/**
 * What the emitters need to know about where ranks run and what they hold: the rank table of
 * plan.json (one entry per GPU, in global rank order) and the communicator groups. Built by
 * the analysis stage's rank layout ({@link AnalysisLayout}).
 */
public record Layout(int gpusPerNode, List<Rank> ranks, Map<String, List<List<Integer>>> groups) {
    public Layout {
        ranks = List.copyOf(ranks);
        groups = Map.copyOf(groups);
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
        int n = 0;
        for (Rank r : ranks) n = Math.max(n, r.node() + 1);
        return n;
    }

    public List<Rank> ranksOnNode(int node) {
        List<Rank> out = new ArrayList<>();
        for (Rank r : ranks) if (r.node() == node) out.add(r);
        return out;
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
        TreeSet<Integer> s = new TreeSet<>();
        for (Rank r : ranks) if (r.dp() == dp) s.add(r.node());
        return List.copyOf(s);
    }

    /** Host name of a node (the rank table's host of its first rank). */
    public String hostOf(int node) {
        for (Rank r : ranks) if (r.node() == node) return r.host();
        return "node" + node;
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
