package dev.shardplan.analysis;

import dev.shardplan.layout.GroupKind;

/**
 * One kind of collective in a step of one replica: how many per step, the message each rank
 * contributes (B), the bytes each rank puts on the wire per operation, the group's bottleneck
 * bandwidth and latency, total seconds per step, and whether it crosses the network.
 */
public record Collective(String name, GroupKind group, int count, long messageBytes, long wireBytesPerRank,
                         double bandwidth, double latency, double seconds, boolean overNetwork, String formula) {}
