package dev.shardplan.predict;

/**
 * The serving engine's scheduler as the simulator runs it, for one plan.
 *
 * @param replicas            DP replicas, each with its own scheduler and KV pool
 * @param kvBlocks            KV blocks of one replica (the pool clamped to its smallest rank)
 * @param blockSize           tokens per block
 * @param maxNumSeqs          running sequences per replica (vLLM max_num_seqs, SGLang
 *                            max_running_requests, TRT-LLM max_batch_size)
 * @param maxNumBatchedTokens tokens per iteration (vLLM max_num_batched_tokens, TRT-LLM max_num_tokens)
 * @param chunkedPrefill      a prompt may be split over iterations
 * @param admission           how KV is reserved when a request is admitted
 * @param routing             how requests are spread over replicas
 * @param prefixCache         freed blocks stay cached until reused: a preempted request finds what
 *                            was not evicted, and a shared prompt prefix is computed once per replica
 * @param lockstep            the replicas run every iteration together, each as long as the slowest
 *                            (a replica with nothing to run steps a one-token dummy batch)
 * @param microBatches        batches in flight per replica (the engine's pipeline micro-batches); 1:
 *                            one iteration at a time
 */
public record SchedulerConfig(int replicas, long kvBlocks, int blockSize, int maxNumSeqs, int maxNumBatchedTokens,
                              boolean chunkedPrefill, Admission admission, Routing routing, boolean prefixCache,
                              boolean lockstep, int microBatches) {
    /** A scheduler without prefix caching, lockstep or micro-batches. */
    public SchedulerConfig(int replicas, long kvBlocks, int blockSize, int maxNumSeqs, int maxNumBatchedTokens,
                           boolean chunkedPrefill, Admission admission, Routing routing) {
        this(replicas, kvBlocks, blockSize, maxNumSeqs, maxNumBatchedTokens, chunkedPrefill, admission, routing, false, false, 1);
    }

    /** This configuration with another max_num_seqs. */
    public SchedulerConfig withMaxNumSeqs(int n) {
        return new SchedulerConfig(replicas, kvBlocks, blockSize, n, maxNumBatchedTokens, chunkedPrefill, admission, routing,
                prefixCache, lockstep, microBatches);
    }

    public SchedulerConfig {
        if (microBatches < 1) throw new IllegalArgumentException("micro-batches must be >= 1: " + microBatches);
        if (replicas < 1) throw new IllegalArgumentException("replicas must be >= 1: " + replicas);
        if (kvBlocks < 1) throw new IllegalArgumentException("a replica needs at least one KV block: " + kvBlocks);
        if (blockSize < 1) throw new IllegalArgumentException("block size must be >= 1: " + blockSize);
        if (maxNumSeqs < 1) throw new IllegalArgumentException("max_num_seqs must be >= 1: " + maxNumSeqs);
        if (maxNumBatchedTokens < 1) throw new IllegalArgumentException("max_num_batched_tokens must be >= 1");
    }

    /** KV tokens one replica holds. */
    public long kvTokens() {
        return kvBlocks * blockSize;
    }

    public enum Admission {
        /**
         * Blocks are allocated as a sequence grows; when none is free the most recently admitted
         * running request is preempted and recomputed later (vLLM v1 Scheduler.schedule:
         * {@code self.running.pop()}, {@code _preempt_request}, waiting.prepend_request).
         */
        ON_DEMAND,
        /**
         * A request is admitted only when blocks for its whole prompt and maximum output are free,
         * so nothing is ever preempted (TensorRT-LLM's default capacity policy GUARANTEED_NO_EVICT).
         */
        RESERVE_FULL
    }

    public enum Routing {
        /**
         * vLLM's DP load balancer: the replica with the lowest {@code 4·waiting + running}, the first
         * in rank order on ties (DPLBAsyncMPClient.get_core_engine_for_request).
         */
        LEAST_LOADED,
        /** Request i goes to replica i mod dp. */
        ROUND_ROBIN
    }
}
