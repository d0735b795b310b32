package dev.shardplan.resolve;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * The schema of the language as data: every declaration kind's and block's {@link FieldTable},
 * as the resolver's kinds declare them, for tools (docs/language.md's reference tables, an
 * editor's hover and completion, the formatter's field order, the field paths diagnostics point
 * at). A context is a declaration kind ({@code plan}) or a block inside one ({@code plan.parallel});
 * engine settings are per engine and release, in the engine package.
 */
public final class LanguageFields {
    private LanguageFields() {}

    /** Every table, in the order docs/language.md describes them. */
    private static final List<FieldTable> TABLES = List.of(
            GpuResolver.FIELDS, GpuResolver.FLOPS_FIELDS, NodeResolver.FIELDS, ClusterResolver.FIELDS,
            ModelResolver.MODEL_FIELDS, ModelResolver.MLA_FIELDS, ModelResolver.MOE_FIELDS, ModelResolver.QUANT_FIELDS,
            ModelResolver.ROPE_TABLE, WorkloadResolver.FIELDS,
            PlanResolver.FIELDS, PlanResolver.PARALLEL_FIELDS, Pools.POOL_FIELDS, Pools.TRANSFER_FIELDS, Deployments.FIELDS,
            Slos.FIELDS, Engines.TUNING,
            SearchResolver.FIELDS, SearchResolver.EXPLORE_FIELDS, EfficiencyResolver.FIELDS);

    /** Blocks that are another context's table: a search's deploy, slo and tuning are a plan's; a pool's parallel is a plan's. */
    private static final Map<String, String> SAME_AS = Map.of(
            "search.deploy", "plan.deploy", "search.slo", "plan.slo", "search.tuning", "plan.tuning",
            "plan.pool.parallel", "plan.parallel");

    private static final Map<String, FieldTable> BY_CONTEXT = byContext();

    private static Map<String, FieldTable> byContext() {
        Map<String, FieldTable> m = new LinkedHashMap<>();
        for (FieldTable t : TABLES) m.put(t.context(), t);
        for (var e : SAME_AS.entrySet()) m.put(e.getKey(), m.get(e.getValue()));
        return Collections.unmodifiableMap(m);
    }

    /** Every table, once each, in docs order. */
    public static List<FieldTable> tables() {
        return TABLES;
    }

    /** The table of a context, or null when it has no fixed set (an engine block). */
    public static FieldTable table(String context) {
        return BY_CONTEXT.get(context);
    }

    /** A field of a context (a "*" row covers free keys), or null. */
    public static Field field(String context, String name) {
        FieldTable t = BY_CONTEXT.get(context);
        return t == null ? null : t.find(name);
    }

    /** Every context and its field names, sorted. */
    public static Map<String, Set<String>> all() {
        Map<String, Set<String>> m = new TreeMap<>();
        for (var e : BY_CONTEXT.entrySet()) m.put(e.getKey(), of(e.getKey()));
        return Collections.unmodifiableMap(m);
    }

    /** The declaration kinds, sorted. */
    public static Set<String> kinds() {
        return Collections.unmodifiableSet(new TreeSet<>(Resolver.KINDS));
    }

    /** The fields of one context, sorted, or none when the context has no fixed set (an engine block). */
    public static Set<String> of(String context) {
        FieldTable t = BY_CONTEXT.get(context);
        return t == null ? Set.of() : Collections.unmodifiableSet(new TreeSet<>(t.names()));
    }

    /**
     * The paths of the fields a resolved plan records spans for, in table order: the plan's own
     * fields, its {@code parallel} and {@code deploy} blocks' ("parallel.tp"), its workload's
     * ("workload.max_length") and a pool's {@code replicas}; engine settings ("engine.NAME") are the
     * engine's, per release. A plan's {@code pool} and {@code allow} entries are split off before its
     * fields are read, so they have none. model.PlanPaths is generated from this (FieldPathsTest).
     */
    public static List<String> recordedPaths() {
        List<String> out = new java.util.ArrayList<>();
        for (String n : PlanResolver.FIELDS.names()) {
            if (!n.equals(PlanResolver.POOL.name()) && !n.equals(Allows.KEY)) out.add(n);
        }
        for (FieldTable t : List.of(PlanResolver.PARALLEL_FIELDS, Deployments.FIELDS)) {
            for (Field f : t.fields()) out.add(t.path(f));
        }
        for (String n : WorkloadResolver.FIELDS.names()) out.add(PlanResolver.WORKLOAD.name() + "." + n);
        out.add(Pools.REPLICAS.name());
        return Collections.unmodifiableList(out);
    }

    /**
     * Whether a resolved plan's spans may hold {@code path}: a field of the plan ({@code tuning}),
     * of one of its blocks ({@code parallel.tp}, {@code deploy.image}), of the workload it serves
     * ({@code workload.max_length}), an engine setting ({@code engine.max_num_seqs}: the engine's
     * table decides which) or a pool's {@code replicas}. The field paths later stages point at.
     */
    public static boolean isPlanPath(String path) {
        int dot = path.indexOf('.');
        if (dot < 0) return PlanResolver.FIELDS.names().contains(path) || path.equals(Pools.REPLICAS.name());
        String head = path.substring(0, dot), rest = path.substring(dot + 1);
        if (head.equals("engine")) return !rest.isEmpty() && !rest.contains(".");
        if (head.equals("workload")) return WorkloadResolver.FIELDS.names().contains(rest);
        FieldTable t = BY_CONTEXT.get("plan." + head);
        return t != null && t.names().contains(rest);
    }
}
