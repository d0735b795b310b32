package dev.shardplan.model;

import java.util.Locale;

/**
 * How a MoE router turns its logits into expert weights. {@code scoring}: softmax over all
 * experts, or an independent sigmoid per expert (DeepSeek-V3); {@code nGroup}/{@code topkGroup}:
 * experts are split into nGroup groups and only the topkGroup best groups are eligible (1/1: no
 * grouping); a group's score is its best expert (DeepSeek-V2 group_limited_greedy) or, with a
 * {@code correctionBias}, the sum of its two best bias-corrected scores (DeepSeek-V3 noaux_tc, whose
 * per-expert bias steers only the choice, not the weights); {@code normTopKProb}: the top-k weights
 * are renormalised to sum to 1; {@code routedScalingFactor} then multiplies them.
 */
public record Routing(Scoring scoring, boolean normTopKProb, int nGroup, int topkGroup, boolean correctionBias,
                      double routedScalingFactor) {
    public enum Scoring {
        SOFTMAX, SIGMOID;

        public String id() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    /** Softmax over the experts, top-k, optionally renormalised (Mixtral, Qwen-MoE, gpt-oss). */
    public static Routing softmaxTopK(boolean normTopKProb) {
        return new Routing(Scoring.SOFTMAX, normTopKProb, 1, 1, false, 1.0);
    }

    public boolean grouped() {
        return nGroup > 1;
    }
}
