package dev.shardplan.resolve;

import dev.shardplan.model.Attention;
import dev.shardplan.model.DType;
import dev.shardplan.model.Family;
import dev.shardplan.model.RopeScaling;
import dev.shardplan.model.Routing;

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
    Boolean expertBias, routerBias, sharedExpertGate;
    Routing.Scoring scoring;
    Boolean normTopKProb, correctionBias;
    Integer nGroup, topkGroup;
    Double routedScalingFactor;
    DType dtype, kvDtype;
    DType quantWeights;
    Integer quantBlock, quantGroup;
    Set<String> keepBf16;
    Boolean expertsOnly;
    Boolean qkvBias, oBias, qkNorm, sinks;
    Integer slidingWindow, slidingEvery;
    Double ropeTheta, normEps, swigluLimit;
    RopeScaling ropeScaling;
    Boolean ropeInterleave;
    Family family;
    Long maxPosition;
    String hfId, reasoningParser, toolParser;
    Integer mtpLayers;
    Boolean gated;
}
