package dev.shardplan.resolve;

import java.util.Collections;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * The field names the resolver accepts in each block, for tools (an editor's completion, a
 * reference table): read from the resolver's own sets, so there is one list. A context is a
 * declaration kind ({@code plan}) or a block inside one ({@code plan.parallel}); engine settings
 * are per engine and release, in the engine package.
 */
public final class LanguageFields {
    private LanguageFields() {}

    private static final Map<String, Set<String>> BY_CONTEXT = build();

    private static Map<String, Set<String>> build() {
        Map<String, Set<String>> m = new TreeMap<>();
        put(m, "gpu", Resolver.GPU_FIELDS);
        put(m, "gpu.flops", Resolver.FLOPS_FIELDS);
        put(m, "node", Resolver.NODE_FIELDS);
        put(m, "cluster", Resolver.CLUSTER_FIELDS);
        put(m, "model", ModelResolver.MODEL_FIELDS);
        put(m, "model.attention", ModelResolver.MLA_FIELDS);
        put(m, "model.moe", ModelResolver.MOE_FIELDS);
        put(m, "model.quantization", ModelResolver.QUANT_FIELDS);
        Set<String> rope = new TreeSet<>();
        ModelResolver.ROPE_FIELDS.values().forEach(rope::addAll);
        put(m, "model.rope_scaling", rope);
        put(m, "workload", Resolver.WORKLOAD_FIELDS);
        for (String k : new String[]{"plan", "search"}) {
            put(m, k + ".deploy", Deployments.FIELDS);
            put(m, k + ".slo", Slos.METRICS);
            put(m, k + ".tuning", Engines.TUNING);
        }
        put(m, "plan", Resolver.PLAN_FIELDS);
        put(m, "plan.parallel", Resolver.PARALLEL_FIELDS);
        put(m, "search", Resolver.SEARCH_FIELDS);
        put(m, "search.explore", Resolver.EXPLORE_FIELDS);
        put(m, "efficiency", Resolver.EFFICIENCY_FIELDS);
        return Collections.unmodifiableMap(m);
    }

    private static void put(Map<String, Set<String>> m, String context, Set<String> fields) {
        m.put(context, Collections.unmodifiableSet(new TreeSet<>(fields)));
    }

    /** Every context and its field names, sorted. */
    public static Map<String, Set<String>> all() {
        return BY_CONTEXT;
    }

    /** The declaration kinds, sorted. */
    public static Set<String> kinds() {
        return Collections.unmodifiableSet(new TreeSet<>(Resolver.KINDS));
    }

    /** The fields of one context, or none when the context has no fixed set (an engine block). */
    public static Set<String> of(String context) {
        return BY_CONTEXT.getOrDefault(context, Set.of());
    }
}
