package dev.shardplan.model;

import dev.shardplan.diag.Span;

import java.util.Map;

/**
 * One side of a disaggregated plan: the engine instances that run only prefill or only decode.
 * {@code parallel} is one instance's layout, {@code replicas} how many such instances the pool
 * runs, {@code engine} the plan's engine block with the pool's own settings over it.
 * {@code spans} are the pool's field paths ("parallel.tp", "engine.max_num_seqs", "replicas").
 */
public record Pool(Role role, Parallel parallel, EngineBlock engine, int replicas, Map<String, Span> spans, Span span) {
    public Pool {
        spans = Map.copyOf(spans);
    }

    /** The span of one of the pool's fields (the plan's paths: {@link PlanPaths}), falling back to the pool's own span. */
    public Span spanOf(FieldPath path) {
        return spans.getOrDefault(path.path(), span);
    }

    /** Which phase a pool serves. */
    public enum Role {
        PREFILL, DECODE;

        public String id() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }
    }

    /** GPUs of one instance. */
    public int instanceGpus() {
        return parallel.worldSize();
    }

    /** GPUs of the whole pool. */
    public int gpus() {
        return instanceGpus() * replicas;
    }
}
