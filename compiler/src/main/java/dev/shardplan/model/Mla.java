package dev.shardplan.model;

/** Multi-head latent attention ranks (DeepSeek-V2/V3, Kimi-K2). qLoraRank 0 = no query compression. */
public record Mla(int qLoraRank, int kvLoraRank, int qkNopeHeadDim, int qkRopeHeadDim, int vHeadDim) {
    /** Elements cached per token per layer: the latent plus the shared rope key. */
    public int cachedPerToken() {
        return kvLoraRank + qkRopeHeadDim;
    }
}
