package dev.shardplan.model;

import dev.shardplan.diag.Span;
import dev.shardplan.diag.Suppression;

import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A resolved plan: everything a later stage needs, no AST. {@code spans} maps field paths
 * ("parallel.tp", "engine.max_num_seqs", "workload", ...) to where they were written, so that
 * analyses can point at the right token; later stages ask by {@link FieldPath} ({@link PlanPaths}).
 * {@code efficiency} is the step-time profile the plan
 * uses (named with {@code efficiency NAME}, else std:efficiency's for its GPU and engine; null on
 * plans built by hand, which the analyses and predictions refuse); {@code tuning} holds per-plan overrides
 * of single constants (see the predictions stage). {@code engine} is the engine block as written;
 * its effective settings come from the engine package (engine.Engines.configure). {@code allows}
 * are the findings the plan accepts ({@code allow CODE "reason"}); api applies them.
 * {@code disagg} is null for an aggregated plan; for a disaggregated one it holds the prefill
 * and decode pools, and {@code parallel} and {@code engine} are the decode pool's.
 */
public record Plan(String name, String sourceFile, Model model, Cluster cluster, Workload workload, Parallel parallel,
                   EngineBlock engine, List<Slo> slos, Set<Target> emit, Deploy deploy, Map<String, Double> tuning,
                   EfficiencyProfile efficiency, Map<String, Span> spans, Span span, List<Suppression> allows,
                   Disaggregation disagg) {
    public Plan {
        allows = List.copyOf(allows);
        slos = List.copyOf(slos);
        emit = Set.copyOf(emit);
        tuning = Map.copyOf(tuning);
        spans = Map.copyOf(spans);
    }

    /** An aggregated plan. */
    public Plan(String name, String sourceFile, Model model, Cluster cluster, Workload workload, Parallel parallel,
                EngineBlock engine, List<Slo> slos, Set<Target> emit, Deploy deploy, Map<String, Double> tuning,
                EfficiencyProfile efficiency, Map<String, Span> spans, Span span, List<Suppression> allows) {
        this(name, sourceFile, model, cluster, workload, parallel, engine, slos, emit, deploy, tuning, efficiency, spans, span, allows, null);
    }

    /** Whether the plan splits prefill and decode into pools. */
    public boolean disaggregated() {
        return disagg != null;
    }

    /** A plan that allows no findings. */
    public Plan(String name, String sourceFile, Model model, Cluster cluster, Workload workload, Parallel parallel,
                EngineBlock engine, List<Slo> slos, Set<Target> emit, Deploy deploy, Map<String, Double> tuning,
                EfficiencyProfile efficiency, Map<String, Span> spans, Span span) {
        this(name, sourceFile, model, cluster, workload, parallel, engine, slos, emit, deploy, tuning, efficiency, spans, span, List.of());
    }

    /**
     * A plan without an efficiency profile, which the analysis (its collective schedule needs the
     * call latency and link efficiency) and the predictions refuse; the resolver attaches the std
     * profile to every plan it builds.
     */
    public Plan(String name, String sourceFile, Model model, Cluster cluster, Workload workload, Parallel parallel,
                EngineBlock engine, List<Slo> slos, Set<Target> emit, Deploy deploy, Map<String, Double> tuning,
                Map<String, Span> spans, Span span) {
        this(name, sourceFile, model, cluster, workload, parallel, engine, slos, emit, deploy, tuning, null, spans, span, List.of());
    }

    /** The span of a field ({@link PlanPaths}), falling back to the plan's own span. */
    public Span spanOf(FieldPath path) {
        Span s = spans.get(path.path());
        return s == null ? span : s;
    }

    /** This plan with other parallel degrees. */
    public Plan withParallel(Parallel p) {
        return new Plan(name, sourceFile, model, cluster, workload, p, engine, slos, emit, deploy, tuning, efficiency, spans, span, allows, disagg);
    }

    /** This plan with another engine block (a variant that changes settings). */
    public Plan withEngine(EngineBlock e) {
        return new Plan(name, sourceFile, model, cluster, workload, parallel, e, slos, emit, deploy, tuning, efficiency, spans, span, allows, disagg);
    }

    /**
     * One instance of a pool as an aggregated plan of its own: the pool's layout and engine on
     * {@code instanceCluster}, the pool's spans over the plan's, no pools.
     */
    public Plan poolInstance(Pool pool, Cluster instanceCluster) {
        Map<String, Span> s = new java.util.HashMap<>(spans);
        s.keySet().removeIf(k -> k.startsWith("parallel"));
        s.putAll(pool.spans());
        return new Plan(name + "." + pool.role().id(), sourceFile, model, instanceCluster, workload, pool.parallel(), pool.engine(),
                slos, emit, deploy, tuning, efficiency, s, span, allows, null);
    }

    public Plan withName(String n) {
        return new Plan(n, sourceFile, model, cluster, workload, parallel, engine, slos, emit, deploy, tuning, efficiency, spans, span, allows, disagg);
    }
}
