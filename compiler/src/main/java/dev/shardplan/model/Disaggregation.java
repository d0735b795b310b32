package dev.shardplan.model;

import dev.shardplan.diag.Span;

/**
 * A plan's prefill and decode pools and the KV transfer between them. The prefill pool's
 * instances take GPUs 0.. of the cluster, the decode pool's the GPUs after them; a request is
 * prefilled on one prefill instance, its KV cache moved by {@code connector} to one decode
 * instance, which generates the output.
 */
public record Disaggregation(Pool prefill, Pool decode, String connector, Span connectorSpan, Span span) {
    /** The first global GPU of the pool's instance {@code i}. */
    public int firstGpu(Pool.Role role, int instance) {
        return role == Pool.Role.PREFILL ? instance * prefill.instanceGpus()
                : prefill.gpus() + instance * decode.instanceGpus();
    }

    public Pool pool(Pool.Role role) {
        return role == Pool.Role.PREFILL ? prefill : decode;
    }

    public int gpus() {
        return prefill.gpus() + decode.gpus();
    }
}
