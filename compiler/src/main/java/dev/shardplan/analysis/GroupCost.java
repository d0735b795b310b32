package dev.shardplan.analysis;

import dev.shardplan.layout.GroupKind;

/**
 * A communicator group on the device graph, with every group of its kind communicating at once.
 * {@code bandwidth} (B/s): for a ring or chain, the slowest hop's fair share of its link; for
 * an all-to-all, the per-rank egress rate ((n-1) x slowest pair rate). {@code latency} (s): the
 * slowest hop's path latency. {@code bottleneck}: the link that limits it. Singleton groups have
 * bandwidth 0 and move nothing.
 */
public record GroupCost(GroupKind kind, int index, int size, double bandwidth, double latency, int domains,
                        int nodes, boolean overNetwork, String bottleneck) {}
