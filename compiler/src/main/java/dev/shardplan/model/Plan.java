package dev.shardplan.model;

import dev.shardplan.diag.Span;

import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A resolved plan: everything a later stage needs, no AST. {@code spans} maps field paths
 * ("parallel.tp", "engine.max_num_seqs", "workload", ...) to where they were written, so that
 * analyses can point at the right token. {@code efficiency} is the step-time profile the plan
 * uses (named with {@code efficiency NAME}, else std:efficiency's for its GPU and engine; null on
 * plans built by hand, which then take std:efficiency's); {@code tuning} holds per-plan overrides
 * of single constants (see the predictions stage).
 */
public record Plan(String name, String sourceFile, Model model, Cluster cluster, Workload workload, Parallel parallel,
                   Engine engine, List<Slo> slos, Set<Target> emit, Deploy deploy, Map<String, Double> tuning,
                   EfficiencyProfile efficiency, Map<String, Span> spans, Span span) {
    public Plan {
        slos = List.copyOf(slos);
        emit = Set.copyOf(emit);
        tuning = Map.copyOf(tuning);
        spans = Map.copyOf(spans);
    }

    /** A plan without an explicit efficiency profile (the standard library's applies). */
    public Plan(String name, String sourceFile, Model model, Cluster cluster, Workload workload, Parallel parallel,
                Engine engine, List<Slo> slos, Set<Target> emit, Deploy deploy, Map<String, Double> tuning,
                Map<String, Span> spans, Span span) {
        this(name, sourceFile, model, cluster, workload, parallel, engine, slos, emit, deploy, tuning, null, spans, span);
    }

    /** The span of a field path, falling back to the plan's own span. */
    public Span spanOf(String path) {
        Span s = spans.get(path);
        return s == null ? span : s;
    }

    /** The KV cache dtype in effect: the engine's override or the model's. */
    public DType kvDtype() {
        return engine.kvDtype() != null ? engine.kvDtype() : model.kvDtype();
    }

    /** max_model_len in effect. */
    public long maxModelLen() {
        return engine.maxModelLen() > 0 ? engine.maxModelLen() : workload.maxLength();
    }
}
