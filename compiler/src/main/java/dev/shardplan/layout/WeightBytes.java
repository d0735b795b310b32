package dev.shardplan.layout;

/**
 * Bytes of the weights one rank holds, by part, quantisation scales included ({@code scales}
 * is the share of the total that is scales). {@code params} counts elements.
 */
public record WeightBytes(long attention, long ffn, long experts, long sharedExperts, long router, long norms,
                          long embedding, long lmHead, long scales, long params) {
    public long total() {
        return attention + ffn + experts + sharedExperts + router + norms + embedding + lmHead;
    }
}
