package dev.shardplan.model;

import dev.shardplan.diag.Span;

/**
 * A server: its GPUs, how they are linked, and its network interfaces. Bandwidths are per
 * direction in B/s; nicBandwidth is per NIC.
 */
public record NodeType(String name, Gpu gpu, int gpus, Fabric fabric, int islandSize, double scaleUpBandwidth,
                       int nics, double nicBandwidth, double pcieBandwidth, Span span) {}
