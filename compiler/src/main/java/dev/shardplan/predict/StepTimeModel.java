package dev.shardplan.predict;

/**
 * The time of one engine iteration (one scheduler step of one DP replica), given what the step
 * carries. The serving simulator calls it once per step, so it must be O(1).
 */
@FunctionalInterface
public interface StepTimeModel {
    /**
     * Seconds for one iteration.
     *
     * @param decodeSeqs     sequences that decode one token this step
     * @param decodeContext  sum over those sequences of their context (cached tokens + the new one)
     * @param prefillSeqs    sequences that run a prefill chunk this step
     * @param prefillTokens  prompt tokens computed this step (sum of the chunks)
     * @param prefillPairs   attention (query, key) pairs of the chunks: per chunk c starting at
     *                       position s, c·s + c(c+1)/2
     */
    double seconds(int decodeSeqs, double decodeContext, int prefillSeqs, int prefillTokens, double prefillPairs);

    /**
     * A floor under every iteration, so that a search can bound a plan's predictions without
     * simulating it ({@link SimBounds}); null when the model has none (nothing is pruned then).
     */
    default Floor floor() {
        return null;
    }

    /**
     * For any arguments with {@code s = decodeSeqs + prefillSeqs ≥ 1}: {@code seconds(...) ≥
     * iteration(s) + perToken() · (decodeContext + prefillTokens)}, with {@code iteration}
     * non-decreasing in {@code s}.
     */
    interface Floor {
        double iteration(int seqs);

        double perToken();
    }

    /**
     * A step-time model whose pipeline stages can be timed one batch at a time, for an engine that
     * keeps several micro-batches in flight ({@link PipelineSimulator}).
     */
    interface Staged extends StepTimeModel {
        /** Pipeline stages (each as slow as the busiest). */
        int stages();

        /** One stage's time for a batch, with the send of its activations to the next stage. */
        double stageSeconds(int decodeSeqs, double decodeContext, int prefillSeqs, int prefillTokens, double prefillPairs);

        /** The sampler's time on the last stage for {@code seqs} sequences. */
        double samplerSeconds(int seqs);

        /** The engine loop's CPU time to schedule a batch of {@code seqs} sequences. */
        double cpuSeconds(int seqs, boolean prefill);
    }
}
