package dev.shardplan.model;

/**
 * Multi-head latent attention ranks (DeepSeek-V2/V3, Kimi-K2). qLoraRank 0 = no query compression.
 * {@code indexTopK} > 0 marks DeepSeek sparse attention (DeepSeek-V3.2, config {@code index_topk}):
 * a lightning indexer with keys of {@code indexHeadDim} picks that many past tokens per query.
 */
public record Mla(int qLoraRank, int kvLoraRank, int qkNopeHeadDim, int qkRopeHeadDim, int vHeadDim, int indexTopK,
                  int indexHeadDim) {
    /** Dense MLA (no indexer). */
    public Mla(int qLoraRank, int kvLoraRank, int qkNopeHeadDim, int qkRopeHeadDim, int vHeadDim) {
        this(qLoraRank, kvLoraRank, qkNopeHeadDim, qkRopeHeadDim, vHeadDim, 0, 0);
    }

    /** Elements cached per token per layer: the latent plus the shared rope key. */
    public int cachedPerToken() {
        return kvLoraRank + qkRopeHeadDim;
    }

    /** Whether attention is sparse (DeepSeek sparse attention: an indexer selects the keys). */
    public boolean sparse() {
        return indexTopK > 0;
    }
}
