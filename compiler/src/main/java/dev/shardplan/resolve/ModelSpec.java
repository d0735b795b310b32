package dev.shardplan.resolve;

import dev.shardplan.model.Attention;
import dev.shardplan.model.DType;

import java.util.Set;

/**
 * Model fields while they are being gathered: from a Hugging Face config, then from the plan's
 * own fields (overrides). Null means "not given yet".
 */
final class ModelSpec {
    Integer layers, hidden, heads, kvHeads, headDim, ffn, vocab;
    Boolean tied;
    Attention attention;
    Integer qLoraRank, kvLoraRank, qkNope, qkRope, vHeadDim, indexTopK, indexHeadDim;
    Integer experts, topK, expertFfn, sharedExperts, sharedFfn, denseLayers;
    Boolean expertBias, routerBias;
    DType dtype, kvDtype;
    DType quantWeights;
    Integer quantBlock, quantGroup;
    Set<String> keepBf16;
    Boolean expertsOnly;
    Boolean qkvBias, oBias, qkNorm, sinks;
    Integer slidingWindow, slidingEvery;
    Double ropeTheta, normEps;
    Long maxPosition;
    String hfId, reasoningParser;
}
