package dev.shardplan.analysis;

import java.util.List;

/**
 * The KV cache of one replica after the clamp to the smallest worker (vLLM
 * unify_kv_cache_configs): blocks, tokens, bytes per token on the limiting rank, concurrent
 * sequences at the workload's p50/p95/max lengths, and totals over {@code replicas} DP replicas.
 * {@code limitingRank} is the rank whose pool set the clamp.
 */
public record KvCapacity(long blocks, int blockSize, long tokens, long bytesPerToken, int limitingRank,
                         List<SeqCapacity> at, int replicas, long totalTokens) {
    public KvCapacity {
        at = List.copyOf(at);
    }

    public SeqCapacity at(String label) {
        for (SeqCapacity s : at) if (s.label().equals(label)) return s;
        throw new IllegalArgumentException(label);
    }
}
