package dev.shardplan.model;

import java.util.List;
import java.util.Set;

/**
 * How the checkpoint stores weights. {@code weights}: dtype of the linear layers;
 * {@code blockSize}: side of square scale blocks (128 for DeepSeek FP8; 0 = per-tensor/channel);
 * {@code groupSize}: per-group scales along the input dimension (32 for MXFP4, 16 for NVFP4);
 * {@code keepBf16}: parts left unquantised ("attention", "router", "embedding", "lm_head", "experts"
 * is never in it); {@code expertsOnly}: only expert FFNs are quantised (gpt-oss MXFP4).
 */
public record Quantization(DType weights, int blockSize, int groupSize, Set<String> keepBf16, boolean expertsOnly) {
    /** The weight-carrying parts of a model, as {@link #covers} and {@code keep_bf16} name them. */
    public static final List<String> PARTS = List.of("attention", "dense_ffn", "experts", "shared_experts", "router",
            "embedding", "lm_head");

    public Quantization {
        // sorted, so that output listing these parts is deterministic
        keepBf16 = java.util.Collections.unmodifiableSortedSet(new java.util.TreeSet<>(keepBf16));
    }

    public static Quantization none(DType d) {
        return new Quantization(d, 0, 0, Set.of(), false);
    }

    /**
     * The checkpoint format: fp8_block (e4m3 with one fp32 scale_inv per blockSize x blockSize block,
     * DeepSeek/Qwen FP8), fp8_tensor (one scale per tensor, ModelOpt FP8), mxfp4 (e2m1 pairs per byte
     * with one e8m0 scale per 32 inputs, gpt-oss), nvfp4 (e2m1 with an e4m3 scale per 16 inputs and
     * a per-tensor one, ModelOpt NVFP4), or the dtype's name for formats without a fixed layout.
     */
    public String scheme() {
        if (weights == DType.FP8) return blockSize > 0 ? "fp8_block" : "fp8_tensor";
        if (weights == DType.FP4) return groupSize == 16 ? "nvfp4" : "mxfp4";
        return weights.id();
    }

    /** Is {@code part} (one of {@link #PARTS}) stored quantised, for a model whose other weights are {@code base}? */
    public boolean covers(String part, DType base) {
        if (weights == null || weights == base) return false;
        // Norms, biases, the embedding, the LM head and the router always stay in the base dtype.
        if (part.equals("embedding") || part.equals("lm_head") || part.equals("router")) return false;
        if (expertsOnly) return part.equals("experts");
        return !keepBf16.contains(part);
    }
}
