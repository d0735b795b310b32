package dev.shardplan.analysis;

import dev.shardplan.engine.KvGroups;

import java.util.List;

/**
 * The KV cache of one replica after the clamp to the smallest worker (vLLM
 * unify_kv_cache_configs): blocks, tokens, bytes per token on the limiting rank, concurrent
 * sequences at the workload's p50/p95/max lengths, and totals over {@code replicas} DP replicas.
 * {@code limitingRank} is the rank whose pool set the clamp. {@code groups}: how the blocks are
 * shared between full-attention and sliding-window layers (vLLM's hybrid allocator); with more
 * than one group, {@code tokens} is vLLM's logged size, blocks / groups x block size.
 */
public record KvCapacity(long blocks, int blockSize, long tokens, long bytesPerToken, int limitingRank,
                         List<SeqCapacity> at, int replicas, long totalTokens, KvGroups groups, Offload offload) {
    public KvCapacity {
        at = List.copyOf(at);
    }

    public KvCapacity(long blocks, int blockSize, long tokens, long bytesPerToken, int limitingRank,
                      List<SeqCapacity> at, int replicas, long totalTokens, KvGroups groups) {
        this(blocks, blockSize, tokens, bytesPerToken, limitingRank, at, replicas, totalTokens, groups, null);
    }

    /**
     * The host-memory tier a KV offload adds to one replica: bytes per rank, the tokens they hold
     * at the limiting rank's bytes per token, and sequences of the workload's lengths that fit.
     * Offloaded blocks are copied back before a sequence runs, so the tier raises what a replica
     * keeps (preempted and prefix-cached sequences) without raising how many run at once.
     */
    public record Offload(long bytesPerRank, long tokens, List<SeqCapacity> at) {
        public Offload {
            at = List.copyOf(at);
        }
    }

    /** The longest sequence one replica's pool holds (vLLM's "estimated maximum model length"). */
    public long longestSequence() {
        if (blocks <= 0) return 0;
        long lo = 0, hi = blocks * (long) blockSize;
        while (lo < hi) {
            long mid = lo + (hi - lo + 1) / 2;
            if (groups.blocksPerSeq(mid, blockSize) <= blocks) lo = mid;
            else hi = mid - 1;
        }
        return lo;
    }

    public SeqCapacity at(String label) {
        for (SeqCapacity s : at) if (s.label().equals(label)) return s;
        throw new IllegalArgumentException(label);
    }
}
