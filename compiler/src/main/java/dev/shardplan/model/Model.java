package dev.shardplan.model;

import dev.shardplan.diag.Span;

/**
 * A transformer architecture, resolved. Widths are element counts. {@code family} is the published
 * architecture it follows (tensor names, reference definition). {@code ffn} is the dense FFN
 * width (of the leading dense layers for MoE models); {@code moe} is null for dense models and
 * {@code mla} null unless attention is MLA. {@code kvDtype} is the model's default KV cache type
 * (a plan's engine may override it). {@code slidingWindow} > 0 with {@code slidingEvery} = k
 * means every k-th layer (starting at layer 0) uses a sliding window of that many tokens (the
 * query and the window - 1 tokens before it). {@code swigluLimit} > 0 is gpt-oss's clamped SwiGLU
 * (gate clamped above, up clamped to ±limit, gate·sigmoid(1.702·gate)·(up + 1)); 0 the plain one.
 * {@code ropeScaling} is null without long-context scaling; {@code ropeInterleave}: the rotary
 * pairs are adjacent dimensions (DeepSeek checkpoints) rather than the two halves of the head.
 */
public record Model(String name, Family family, int layers, int hidden, int heads, int kvHeads, int headDim, int ffn,
                    int vocab, boolean tiedEmbeddings, Attention attention, Mla mla, Moe moe, DType dtype,
                    Quantization quant, DType kvDtype, boolean qkvBias, boolean oBias, boolean qkNorm,
                    boolean attentionSinks, int slidingWindow, int slidingEvery, double swigluLimit, double ropeTheta,
                    RopeScaling ropeScaling, boolean ropeInterleave, double normEps, long maxPosition, String hfId,
                    String reasoningParser, Serving serving, Span span) {

    /**
     * How the model is served beyond its architecture: the tool-call format its chat template
     * emits (shardplan's name, e.g. llama3_json; null: none), the multi-token-prediction layers
     * its checkpoint ships (DeepSeek's num_nextn_predict_layers; 0: none), and whether its Hugging
     * Face repository is gated (downloads need an accepted licence and a token).
     */
    public record Serving(String toolParser, int mtpLayers, boolean gated) {
        public static final Serving NONE = new Serving(null, 0, false);
    }

    public Model {
        serving = serving == null ? Serving.NONE : serving;
    }

    public Model(String name, Family family, int layers, int hidden, int heads, int kvHeads, int headDim, int ffn,
                 int vocab, boolean tiedEmbeddings, Attention attention, Mla mla, Moe moe, DType dtype,
                 Quantization quant, DType kvDtype, boolean qkvBias, boolean oBias, boolean qkNorm,
                 boolean attentionSinks, int slidingWindow, int slidingEvery, double swigluLimit, double ropeTheta,
                 RopeScaling ropeScaling, boolean ropeInterleave, double normEps, long maxPosition, String hfId,
                 String reasoningParser, Span span) {
        this(name, family, layers, hidden, heads, kvHeads, headDim, ffn, vocab, tiedEmbeddings, attention, mla, moe, dtype, quant,
                kvDtype, qkvBias, oBias, qkNorm, attentionSinks, slidingWindow, slidingEvery, swigluLimit, ropeTheta, ropeScaling,
                ropeInterleave, normEps, maxPosition, hfId, reasoningParser, Serving.NONE, span);
    }

    public String toolParser() {
        return serving.toolParser();
    }

    public int mtpLayers() {
        return serving.mtpLayers();
    }

    public boolean gated() {
        return serving.gated();
    }

    public boolean isMoe() {
        return moe != null;
    }

    public boolean isMla() {
        return attention == Attention.MLA;
    }

    /** Is decoder layer {@code i} (0-based) a sliding-window attention layer (every k-th from layer 0)? */
    public boolean isSlidingLayer(int i) {
        return slidingWindow > 0 && slidingEvery > 0 && i % slidingEvery == 0;
    }

    /** Is decoder layer {@code i} (0-based) a MoE layer? */
    public boolean isMoeLayer(int i) {
        return moe != null && i >= moe.denseLayers();
    }

    // ---- parameter counts (elements), per part; the derivation is in docs/memory-model.md ----

    public long embeddingParams() {
        return (long) vocab * hidden;
    }

    /** The LM head (0 when tied to the embedding). */
    public long lmHeadParams() {
        return tiedEmbeddings ? 0 : (long) vocab * hidden;
    }

    /** Attention of one layer: projections, biases, q/k norms, sinks, MLA latent norms. */
    public long attentionParams() {
        long h = hidden;
        if (isMla()) {
            long qkHead = mla.qkNopeHeadDim() + mla.qkRopeHeadDim();
            long q = mla.qLoraRank() > 0
                    ? h * mla.qLoraRank() + mla.qLoraRank() + (long) mla.qLoraRank() * heads * qkHead
                    : h * heads * qkHead;
            long kvA = h * (mla.kvLoraRank() + mla.qkRopeHeadDim()) + mla.kvLoraRank();
            long kvB = (long) mla.kvLoraRank() * heads * (mla.qkNopeHeadDim() + mla.vHeadDim());
            long o = (long) heads * mla.vHeadDim() * h;
            return q + kvA + kvB + o;
        }
        long qDim = (long) heads * headDim;
        long kvDim = (long) kvHeads * headDim;
        long p = h * qDim + 2 * h * kvDim + qDim * h;
        if (qkvBias) p += qDim + 2 * kvDim;
        if (oBias) p += h;
        if (qkNorm) p += 2L * headDim;
        if (attentionSinks) p += heads;
        return p;
    }

    /** A dense SwiGLU FFN of width {@code ffn}: gate, up, down. */
    public long denseFfnParams() {
        return 3L * hidden * ffn;
    }

    /** One routed expert. */
    public long expertParams() {
        if (moe == null) return 0;
        long p = 3L * hidden * moe.expertFfn();
        if (moe.expertBias()) p += 2L * moe.expertFfn() + hidden;
        return p;
    }

    /** The shared experts of one MoE layer together (with Qwen2-MoE's [1, hidden] output gate). */
    public long sharedExpertParams() {
        if (moe == null) return 0;
        return 3L * hidden * moe.sharedFfn() + (moe.sharedExpertGate() && moe.sharedFfn() > 0 ? hidden : 0);
    }

    /** The router of one MoE layer: its weight, a bias (gpt-oss) and DeepSeek-V3's per-expert correction bias. */
    public long routerParams() {
        if (moe == null) return 0;
        return (long) hidden * moe.experts() + (moe.routerBias() ? moe.experts() : 0)
                + (moe.routing().correctionBias() ? moe.experts() : 0);
    }

    /** The two RMSNorms of a layer. */
    public long layerNormParams() {
        return 2L * hidden;
    }

    public long layerParams(int i) {
        long p = attentionParams() + layerNormParams();
        if (isMoeLayer(i)) p += moe.experts() * expertParams() + sharedExpertParams() + routerParams();
        else p += denseFfnParams();
        return p;
    }

    /** Total parameters, embedding and (untied) LM head included. */
    public long totalParams() {
        long p = embeddingParams() + lmHeadParams() + hidden;
        for (int i = 0; i < layers; i++) p += layerParams(i);
        return p;
    }

    /**
     * Parameters a token passes through: every non-expert weight, the top-k routed experts and
     * the shared ones. {@code withEmbedding} says whether the input embedding table counts
     * (publishers differ: Qwen and Mistral count it, DeepSeek and OpenAI do not).
     */
    public long activeParams(boolean withEmbedding) {
        long p = lmHeadParams() + hidden + (withEmbedding || tiedEmbeddings ? embeddingParams() : 0);
        for (int i = 0; i < layers; i++) {
            p += attentionParams() + layerNormParams();
            if (isMoeLayer(i)) p += (long) moe.topK() * expertParams() + sharedExpertParams() + routerParams();
            else p += denseFfnParams();
        }
        return p;
    }

    /** KV-cache elements per token per layer for one replica (all KV heads; MLA latent). */
    public long kvElementsPerTokenPerLayer() {
        if (isMla()) return mla.cachedPerToken();
        return 2L * kvHeads * headDim;
    }
}
