package dev.shardplan.engine;

import java.util.List;

/**
 * How one release of an engine runs a plan's serving loop, as far as its speed goes: the facts the
 * step-time model and the serving simulator take from the engine (docs/predictions.md, "Engine
 * loop"). Each engine decides them in {@link EngineSpec#loop} from its code at the release's pinned
 * commit; {@link #facts} says which code.
 *
 * @param overlap      the CPU work of an iteration (scheduling, input preparation, output
 *                     processing) runs while the GPU computes, so an iteration costs max(GPU, CPU)
 *                     rather than GPU + CPU (vLLM async scheduling, SGLang's overlap scheduler,
 *                     TensorRT-LLM's overlap scheduler)
 * @param pipeline     how the pipeline stages are fed ({@link Pipeline#NONE} without PP)
 * @param microBatches batches in flight at once with {@link Pipeline#MICRO_BATCHES}; 1 otherwise
 * @param graphSizes   decode batch sizes captured in CUDA graphs, ascending (empty: every step runs
 *                     eagerly)
 * @param graphPadding a decode batch runs padded to the next captured size (otherwise only a
 *                     captured size runs in a graph); one larger than the last runs eagerly
 * @param sampler      how a step's top-k/top-p sampling runs (when the workload samples so)
 * @param prefixCache  freed KV blocks stay cached until reused, so a preempted request and a shared
 *                     prompt prefix find their blocks again (vLLM prefix caching, SGLang's radix
 *                     cache, TensorRT-LLM's block reuse)
 * @param lockstep     the DP replicas run each iteration together (their MoE layers span them)
 * @param facts        each decision above with its source, for reports and derivations
 */
public record EngineLoop(boolean overlap, Pipeline pipeline, int microBatches, List<Integer> graphSizes, boolean graphPadding,
                         Sampler sampler, boolean prefixCache, boolean lockstep, List<Fact> facts) {
    public EngineLoop {
        graphSizes = List.copyOf(graphSizes);
        facts = List.copyOf(facts);
        if (microBatches < 1) throw new IllegalArgumentException("micro-batches must be >= 1: " + microBatches);
        for (int i = 1; i < graphSizes.size(); i++) {
            if (graphSizes.get(i) <= graphSizes.get(i - 1)) throw new IllegalArgumentException("graph sizes must ascend: " + graphSizes);
        }
    }

    /** One decision and where it comes from. */
    public record Fact(String what, String source) {}

    /** How pipeline stages are fed. */
    public enum Pipeline {
        /** One stage. */
        NONE,
        /**
         * Every running request is in every batch and a batch leaves the first stage only once the
         * previous one has been sampled on the last: a step costs pp stage times (vLLM 0.16 on with
         * async scheduling, where the first stage waits for the last stage's broadcast of the sampled
         * tokens; vLLM 0.8.5, whose multiprocessing executor keeps one batch in flight).
         */
        SERIAL,
        /**
         * Up to {@code microBatches} batches are in flight, one per stage at most; a request already
         * in flight is not scheduled again until its batch returns, so batches form by timing (vLLM
         * V1's batch queue without async scheduling, SGLang's event_loop_pp, TensorRT-LLM's PP executor
         * loop, vLLM V0's virtual engines).
         */
        MICRO_BATCHES
    }

    /**
     * Top-k/top-p sampling kernels, with their measured cost per logit (row × vocabulary entry):
     * vLLM's benchmark of the three on 128 rows of a 131,072-entry vocabulary (PR #40376,
     * benchmarks/benchmark_topk_topp.py, "topk_topp_whole 128 131072": 1.074 ms for the PyTorch sort,
     * 0.311 ms for the Triton kernel, 0.199 ms for FlashInfer; the table's ratios 3.45x and 0.64x are
     * of the first two and the last two to the Triton one).
     */
    public enum Sampler {
        /** torch.sort of the whole vocabulary per row (vLLM apply_top_k_top_p_pytorch; the V0 sampler). */
        SORT(1.074e-3 / (128 * 131072.0)),
        /** vLLM 0.17 on: the Triton top-k/top-p kernel for 8 rows or more (the sort below 8). */
        TRITON(0.311e-3 / (128 * 131072.0)),
        /** FlashInfer's top_k_top_p_sampling_from_logits (vLLM with VLLM_USE_FLASHINFER_SAMPLER; SGLang's default backend). */
        FLASHINFER(0.199e-3 / (128 * 131072.0));

        private final double secondsPerLogit;

        Sampler(double secondsPerLogit) {
            this.secondsPerLogit = secondsPerLogit;
        }

        /** Seconds to sample {@code rows} rows of a {@code vocab}-entry vocabulary with top-k/top-p. */
        public double seconds(int rows, long vocab) {
            double per = this == TRITON && rows < 8 ? SORT.secondsPerLogit : secondsPerLogit;
            return rows * (double) vocab * per;
        }

        /** The cheapest cost per logit this path reaches at any row count (a floor for bounds). */
        public double minSecondsPerLogit() {
            return secondsPerLogit;
        }
    }

    /** The captured size a decode batch of {@code seqs} runs as, or 0 when it runs eagerly. */
    public int graphBatch(int seqs) {
        for (int s : graphSizes) {
            if (s == seqs || s > seqs && graphPadding) return s;
            if (s > seqs) return 0;
        }
        return 0;
    }

    /** The largest captured batch (0: none). */
    public int maxGraphBatch() {
        return graphSizes.isEmpty() ? 0 : graphSizes.get(graphSizes.size() - 1);
    }

    /**
     * vLLM's capture list shape (config/vllm.py _set_cudagraph_sizes from 0.10): 1, 2, 4, then every
     * 8 below 256, then every 16, up to {@code max}.
     */
    static List<Integer> stepped(int max, int fine, int coarseFrom, int coarse) {
        java.util.ArrayList<Integer> out = new java.util.ArrayList<>();
        for (int s : new int[] {1, 2, 4}) if (s <= max) out.add(s);
        for (int s = 8; s < coarseFrom && s <= max; s += fine) out.add(s);
        for (int s = coarseFrom; s <= max; s += coarse) out.add(s);
        return out;
    }
}
