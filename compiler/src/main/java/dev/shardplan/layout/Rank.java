package dev.shardplan.layout;

/**
 * One rank: its global rank, the GPU it runs on (global index, node, GPU within the node; -1
 * when the cluster has too few GPUs), its coordinates and what it holds. {@code ep} is its rank in
 * its EP group (0 without expert parallelism).
 */
public record Rank(int rank, int gpu, int node, int localGpu, int dp, int pp, int tp, int ep, Shard shard) {
    public boolean placed() {
        return gpu >= 0;
    }
}
