package dev.shardplan.model;

import java.util.List;

/**
 * Parallel degrees. {@code ep} is the expert-parallel degree of MoE layers (1: experts are
 * tensor-parallel); {@code dpAttention}: attention runs data-parallel across the EP group (DeepSeek
 * style). {@code layerSplit}: explicit layers per PP stage (empty: even split); {@code placement}:
 * the global GPU index of each rank in rank order (empty: the engine's default order).
 */
public record Parallel(int dp, int tp, int pp, int ep, boolean dpAttention, List<Integer> layerSplit,
                       List<Integer> placement) {
    /**
     * The language's bound on dp x tp x pp (declared as resolve.Schema.RANKS, which reads it here
     * so that later stages, which may not know the resolver, use the same number).
     */
    public static final int MAX_RANKS = 131_072;

    public Parallel {
        layerSplit = List.copyOf(layerSplit);
        placement = List.copyOf(placement);
    }

    /** dp x tp x pp, saturated at Integer.MAX_VALUE (the resolver bounds it far lower; variants must not wrap). */
    public int worldSize() {
        return (int) Math.min(Integer.MAX_VALUE, (long) dp * tp * pp);
    }
}
