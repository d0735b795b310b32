package dev.shardplan.graph;

import dev.shardplan.model.Fabric;

/**
 * What the device graph holds: counts of vertices by kind, the fabric, GPUs per scale-up
 * domain, the per-GPU scale-up bandwidth and the per-NIC bandwidth (B/s, per direction).
 */
public record GraphSummary(int gpus, int nodes, int gpusPerNode, Fabric fabric, int domainGpus, int domains,
                           int switches, int hosts, int nics, int vertices, int edges, double scaleUpBandwidth,
                           double nicBandwidth, int nicsPerNode) {}
