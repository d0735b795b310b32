package dev.shardplan.model;

import dev.shardplan.diag.Span;

/**
 * Nodes of one type. {@code scaleUpDomainNodes} is how many nodes share one NVLink domain (1 for
 * HGX; 18 for a GB200 NVL72 rack of 4-GPU trays). Latencies in seconds.
 */
public record Cluster(String name, NodeType node, int nodes, int scaleUpDomainNodes, String network,
                      double scaleUpLatency, double networkLatency, Span span) {
    public int totalGpus() {
        return node.gpus() * nodes;
    }

    public Gpu gpu() {
        return node.gpu();
    }

    /** GPUs in one scale-up (NVLink) domain. */
    public int domainGpus() {
        return node.gpus() * Math.max(1, scaleUpDomainNodes);
    }
}
