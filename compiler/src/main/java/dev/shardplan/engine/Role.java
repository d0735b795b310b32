package dev.shardplan.engine;

/**
 * What a setting means to the analyses and predictions, whatever the engine calls it. Each engine
 * maps at most one of its settings to a role; the meaning of the value is the engine's own (a
 * memory fraction of vLLM is of total memory, of TensorRT-LLM of the memory free after weights),
 * and only the engine's own classes interpret it.
 */
public enum Role {
    /** vLLM gpu_memory_utilization, SGLang mem_fraction_static, TensorRT-LLM free_gpu_memory_fraction. */
    MEMORY_FRACTION,
    /** vLLM max_num_seqs, SGLang max_running_requests, TensorRT-LLM max_batch_size. */
    MAX_SEQS,
    /** vLLM max_num_batched_tokens, SGLang chunked_prefill_size, TensorRT-LLM max_num_tokens. */
    MAX_BATCHED_TOKENS,
    /** vLLM block_size, SGLang page_size, TensorRT-LLM tokens_per_block. */
    BLOCK_SIZE,
    /** The KV cache dtype; "auto" is the model's. */
    KV_CACHE_DTYPE,
    /** vLLM max_model_len, SGLang context_length, TensorRT-LLM max_seq_len. */
    MAX_MODEL_LEN,
    /** Whether decode runs in captured CUDA graphs. */
    CUDA_GRAPHS,
    /** Whether long prompts are prefilled in chunks of the step budget. */
    CHUNKED_PREFILL,
    /** vLLM automatic prefix caching, SGLang radix cache, TensorRT-LLM KV block reuse. */
    PREFIX_CACHING,
    /** The expert-parallel all-to-all kernels (vLLM all2all_backend, SGLang moe_a2a_backend, TensorRT-LLM moe_config.backend). */
    ALL2ALL,
    /** Expert-parallel load balancing (EPLB): experts are re-placed from observed load. */
    EPLB,
    /** Redundant copies of hot experts that EPLB may place (TensorRT-LLM counts slots: experts + redundant). */
    REDUNDANT_EXPERTS,
    /** Draft tokens per step of multi-token prediction (the checkpoint's MTP layers as the drafter). */
    SPEC_TOKENS,
    /** Host memory the KV cache offloads to (vLLM kv_offloading_size, SGLang hicache_size, TensorRT-LLM host_cache_size). */
    KV_OFFLOAD;

    /** Whether the role is a serving recipe (off unless the plan asks for it), not a setting every launch runs with. */
    public boolean recipe() {
        return this == ALL2ALL || this == EPLB || this == REDUNDANT_EXPERTS || this == SPEC_TOKENS || this == KV_OFFLOAD;
    }
}
