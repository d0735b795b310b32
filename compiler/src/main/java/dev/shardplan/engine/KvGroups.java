package dev.shardplan.engine;

import dev.shardplan.model.Model;

/**
 * How vLLM's hybrid KV cache manager groups a model's attention layers (docs/memory-model.md,
 * "Sliding-window layers"). Layers of one type form {@code fullGroups} groups of full attention
 * and {@code slidingGroups} groups of sliding-window attention, each of {@code groupSize} layers
 * (vllm v1/core/kv_cache_utils.py _get_kv_cache_groups_uniform_page_size); all groups draw their
 * blocks from one shared pool, and a request holds a block table per group. A sliding group keeps
 * at most {@code slidingTokens} = window - 1 + max_num_batched_tokens tokens of a request
 * (vllm v1/kv_cache_interface.py SlidingWindowSpec.max_memory_usage_bytes). A model without
 * sliding layers, and every engine but vLLM, has one full-attention group of all layers.
 */
public record KvGroups(int fullGroups, int slidingGroups, int groupSize, int window, long slidingTokens) {
    /** One group of every layer, all full attention. */
    public static KvGroups uniform(int layers) {
        return new KvGroups(1, 0, layers, 0, 0);
    }

    /**
     * The grouping vLLM's hybrid KV cache manager uses for a model (global, over all layers; PP
     * stages hold a projection of it); {@code chunk} is max_num_batched_tokens.
     */
    public static KvGroups hybrid(Model m, long chunk) {
        int sliding = 0;
        for (int i = 0; i < m.layers(); i++) if (m.isSlidingLayer(i)) sliding++;
        int full = m.layers() - sliding;
        if (sliding == 0) return uniform(m.layers());
        long tokens = m.slidingWindow() - 1L + chunk;
        // All layers sliding: one uniform group (kv_cache_utils.py is_kv_cache_spec_uniform).
        if (full == 0) return new KvGroups(0, 1, sliding, m.slidingWindow(), tokens);
        // Two types: the group size is the smaller layer count, or the larger one when it is under
        // 1.5x the smaller (fewer padding layers); each type splits into cdiv(count, size) groups.
        int min = Math.min(full, sliding), max = Math.max(full, sliding);
        int size = max < min * 1.5 ? max : min;
        return new KvGroups(ceilDiv(full, size), ceilDiv(sliding, size), size, m.slidingWindow(), tokens);
    }

    /** Groups in all, each with its own block table per request. */
    public int count() {
        return fullGroups + slidingGroups;
    }

    public boolean hybrid() {
        return slidingGroups > 0;
    }

    /**
     * Blocks one request of {@code length} tokens holds: cdiv(length, block) in each full group, and
     * cdiv(min(window - 1 + max_num_batched_tokens, length), block) + 1 in each sliding group, vLLM's
     * bound for a request (SlidingWindowSpec.max_memory_usage_bytes with max_model_len = length; the
     * +1 because the window need not start on a block boundary). At length = max_model_len this is
     * the divisor of vLLM's logged "Maximum concurrency" (kv_cache_utils.py get_max_concurrency_for_kv_cache_config).
     */
    public long blocksPerSeq(long length, int block) {
        long full = ceilDiv(Math.max(1, length), block);
        long sliding = ceilDiv(Math.min(slidingTokens, Math.max(1, length)), block) + 1;
        return fullGroups * full + slidingGroups * sliding;
    }

    /**
     * The layers of a rank's {@code [from, to)} that fall in its largest group: vLLM divides a
     * worker's pool by this (get_kv_cache_config_from_groups: one tensor per layer slot, shared by
     * one layer of each group). Layers of a type go to groups round-robin (layers[i::num_groups]).
     */
    public int layersPerGroupOn(Model m, int from, int to) {
        if (!hybrid()) return to - from;
        int[] count = new int[count()];
        int fullSeen = 0, slidingSeen = 0;
        for (int i = 0; i < m.layers(); i++) {
            boolean sw = m.isSlidingLayer(i);
            int g = sw ? fullGroups + slidingSeen++ % slidingGroups : (fullGroups == 0 ? 0 : fullSeen++ % fullGroups);
            if (i >= from && i < to) count[g]++;
        }
        int most = 0;
        for (int c : count) most = Math.max(most, c);
        return most;
    }

    static long ceilDiv(long a, long b) {
        return (a + b - 1) / b;
    }

    static int ceilDiv(int a, int b) {
        return (a + b - 1) / b;
    }
}
