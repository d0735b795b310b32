package dev.shardplan.layout;

/**
 * What one rank holds. Ranges are half-open: decoder {@code layers}, query heads, KV heads (a
 * replicated KV head appears in several ranks' ranges), the slice of the dense FFN width, the
 * routed experts and the slice of each expert's width, the slice of the shared experts' width,
 * and the slice of the padded vocabulary (embedding on the first stage, LM head on the last).
 * {@code kvHeadsCached} is what the KV cache stores per token and layer on this rank (1 for MLA:
 * the latent is not split by TP). {@code denseLayers}/{@code moeLayers} count this rank's layers
 * of each kind.
 */
public record Shard(Range layers, int denseLayers, int moeLayers, Range qHeads, Range kvHeads, int kvHeadsCached,
                    Range ffn, Range experts, Range expertFfn, Range sharedFfn, Range vocab, boolean embedding,
                    boolean lmHead, WeightBytes weights) {}
