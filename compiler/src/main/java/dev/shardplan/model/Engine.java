package dev.shardplan.model;

/**
 * Engine settings. {@code memoryFraction} means what the engine means by it: vLLM
 * gpu_memory_utilization (of total memory), SGLang mem_fraction_static (of total, weights + KV),
 * TRT-LLM free_gpu_memory_fraction (of memory free after weights). {@code kvDtype} null: the
 * model's. {@code maxModelLen} 0: from the workload's max length.
 */
public record Engine(EngineKind kind, double memoryFraction, int maxNumSeqs, int maxNumBatchedTokens, int blockSize,
                     DType kvDtype, boolean cudaGraphs, boolean chunkedPrefill, boolean prefixCaching,
                     long maxModelLen, String version) {}
