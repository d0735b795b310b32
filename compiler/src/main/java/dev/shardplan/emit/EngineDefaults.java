package dev.shardplan.emit;

import dev.shardplan.model.EngineKind;
import dev.shardplan.model.Plan;

/**
 * The value an engine uses for a setting the plan leaves unset (0 in the model), so that
 * plan.json and the memory budget state what will actually run. Launch flags are only written
 * for settings the plan gives; an unset one is left to the engine, which picks these same values.
 */
final class EngineDefaults {
    private static final long GIB = 1L << 30;

    private EngineDefaults() {}

    /**
     * Memory fraction: vLLM gpu_memory_utilization 0.9 (vllm/config/cache.py), TRT-LLM
     * free_gpu_memory_fraction 0.9 (trtllm_serve_cli.yaml), SGLang's fallback 0.88 for
     * mem_fraction_static (server_args.py; its reserve heuristic refines it at start-up).
     */
    static double memoryFraction(Plan plan) {
        double f = plan.engine().memoryFraction();
        if (f > 0) return f;
        return plan.engine().kind() == EngineKind.SGLANG ? 0.88 : 0.9;
    }

    /** KV block: vLLM 16 on CUDA (64 for MLA backends), SGLang page_size 1, TRT-LLM tokens_per_block 32. */
    static int blockSize(Plan plan) {
        int b = plan.engine().blockSize();
        if (b > 0) return b;
        return switch (plan.engine().kind()) {
            case VLLM -> plan.model().isMla() ? 64 : 16;
            case SGLANG -> 1;
            case TRTLLM -> 32;
        };
    }

    /**
     * Concurrent sequences: vLLM 1024 on GPUs of at least 70 GiB other than A100, else 256
     * (arg_utils _set_default_args); TRT-LLM max_batch_size 2048; SGLang derives it from the KV
     * pool at start-up (0 here).
     */
    static int maxNumSeqs(Plan plan) {
        int n = plan.engine().maxNumSeqs();
        if (n > 0) return n;
        return switch (plan.engine().kind()) {
            case VLLM -> bigGpu(plan) ? 1024 : 256;
            case SGLANG -> 0;
            case TRTLLM -> 2048;
        };
    }

    /**
     * Tokens per step: vLLM's API server 8192 on big GPUs else 2048 (arg_utils), TRT-LLM
     * max_num_tokens 8192, SGLang chunked_prefill_size by GPU memory (2048 under 35 GB, 4096
     * under 60 GB, 8192 under 160 GB, 16384 above; server_args.py).
     */
    static int maxNumBatchedTokens(Plan plan) {
        int n = plan.engine().maxNumBatchedTokens();
        if (n > 0) return n;
        long mem = plan.cluster().gpu().memory();
        return switch (plan.engine().kind()) {
            case VLLM -> bigGpu(plan) ? 8192 : 2048;
            case TRTLLM -> 8192;
            case SGLANG -> mem < 35e9 ? 2048 : mem < 60e9 ? 4096 : mem < 160e9 ? 8192 : 16384;
        };
    }

    private static boolean bigGpu(Plan plan) {
        return plan.cluster().gpu().memory() >= 70 * GIB && !plan.cluster().gpu().name().toUpperCase().startsWith("A100");
    }
}
