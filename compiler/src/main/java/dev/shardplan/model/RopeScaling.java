package dev.shardplan.model;

import java.util.Locale;

/**
 * Rotary-embedding frequency scaling for long contexts, as the model's config.json declares it
 * ({@code rope_scaling}). {@code LINEAR}: positions divided by {@code factor}; {@code LLAMA3}:
 * wavelengths longer than originalMaxPosition/lowFreqFactor are stretched by {@code factor}, shorter
 * than originalMaxPosition/highFreqFactor kept, blended in between (Llama 3.1); {@code YARN}:
 * dimensions interpolated by a linear ramp between the correction dimensions of betaFast and
 * betaSlow rotations ({@code truncate}: rounded to whole dimensions), with an attention factor from
 * {@code mscale}/{@code mscaleAllDim} (0 = not given; DeepSeek also scales the softmax by
 * mscale(factor, mscaleAllDim)^2).
 */
public record RopeScaling(Kind kind, double factor, long originalMaxPosition, double lowFreqFactor, double highFreqFactor,
                          double betaFast, double betaSlow, double mscale, double mscaleAllDim, boolean truncate) {
    public enum Kind {
        LINEAR, LLAMA3, YARN;

        public String id() {
            return name().toLowerCase(Locale.ROOT);
        }
    }
}
