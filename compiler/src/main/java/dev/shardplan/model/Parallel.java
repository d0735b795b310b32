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
    public Parallel {
        layerSplit = List.copyOf(layerSplit);
        placement = List.copyOf(placement);
    }

    public int worldSize() {
        return dp * tp * pp;
    }
}
