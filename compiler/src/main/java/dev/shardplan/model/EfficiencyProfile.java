package dev.shardplan.model;

import dev.shardplan.diag.Span;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The constants of the step-time model for one engine, on the GPUs listed (all GPUs when the list
 * is empty): an {@code efficiency} declaration. The standard library's ({@code std:efficiency})
 * are fitted in docs/calibration.md; a plan names another one with {@code efficiency NAME}.
 *
 * @param values every key of {@link #KEYS}, in that order
 */
public record EfficiencyProfile(String name, EngineKind engine, List<String> gpus, Map<String, Double> values, Span span) {
    /** The keys a profile must give, also the step-time keys a plan's {@code tuning} block may set. */
    public static final List<String> KEYS = List.of(
            "hbm_efficiency", "compute_efficiency", "fp8_compute_efficiency", "attention_efficiency", "moe_efficiency", "link_efficiency",
            "collective_latency_us", "layer_overhead_us", "gemm_floor_us", "attention_floor_us", "moe_floor_us",
            "eager_layer_us", "step_overhead_us", "seq_overhead_us", "prefill_overhead_us");

    public EfficiencyProfile {
        gpus = List.copyOf(gpus);
        values = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(values));
        for (String k : KEYS) if (!values.containsKey(k)) throw new IllegalArgumentException("missing " + k + " in " + name);
    }

    /** Whether this profile is for {@code gpuName} (listed, or no list at all). */
    public boolean appliesTo(String gpuName) {
        return gpus.isEmpty() || gpus.contains(gpuName);
    }

    /**
     * The profile a plan on {@code gpuName} with {@code engine} uses by default: the first of
     * {@code profiles} for that engine that lists the GPU, else the first for that engine without
     * a GPU list; null when neither exists.
     */
    public static EfficiencyProfile select(List<EfficiencyProfile> profiles, String gpuName, EngineKind engine) {
        for (EfficiencyProfile p : profiles) if (p.engine() == engine && p.gpus().contains(gpuName)) return p;
        for (EfficiencyProfile p : profiles) if (p.engine() == engine && p.gpus().isEmpty()) return p;
        return null;
    }
}
