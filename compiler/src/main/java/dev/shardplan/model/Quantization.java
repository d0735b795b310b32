package dev.shardplan.model;

import java.util.Set;

/**
 * How the checkpoint stores weights. {@code weights}: dtype of the linear layers;
 * {@code blockSize}: side of square scale blocks (128 for DeepSeek FP8; 0 = per-tensor/channel);
 * {@code groupSize}: per-group scales along the input dimension (32 for MXFP4, 16 for NVFP4);
 * {@code keepBf16}: parts left unquantised ("attention", "router", "embedding", "lm_head", "experts"
 * is never in it); {@code expertsOnly}: only expert FFNs are quantised (gpt-oss MXFP4).
 */
public record Quantization(DType weights, int blockSize, int groupSize, Set<String> keepBf16, boolean expertsOnly) {
    public Quantization {
        // sorted, so that output listing these parts is deterministic
        keepBf16 = java.util.Collections.unmodifiableSortedSet(new java.util.TreeSet<>(keepBf16));
    }

    public static Quantization none(DType d) {
        return new Quantization(d, 0, 0, Set.of(), false);
    }
}
