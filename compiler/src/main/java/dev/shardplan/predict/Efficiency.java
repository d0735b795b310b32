package dev.shardplan.predict;

import dev.shardplan.model.EfficiencyProfile;
import dev.shardplan.model.EngineKind;
import dev.shardplan.resolve.Schema;
import dev.shardplan.resolve.StdLibrary;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Achievable fractions of a GPU's datasheet numbers and the fixed costs of an engine step: the
 * constants of the step-time model. Defaults are data in the language: the plan's efficiency
 * profile (std:efficiency, or one it names); a plan's {@code tuning} map overrides any key (see
 * {@link #KEYS} and docs/predictions.md).
 *
 * @param hbmEfficiency      share of datasheet HBM bandwidth that weight and KV reads reach
 * @param computeEfficiency  share of datasheet dense tensor FLOP/s that GEMMs reach
 * @param attentionEfficiency share of HBM bandwidth that paged-attention KV reads reach (relative
 *                           to {@code hbmEfficiency}: KV reads are scattered per block)
 * @param linkEfficiency     share of link bandwidth a collective's bus traffic reaches
 * @param collectiveLatencyUs fixed cost of one collective call (launch + synchronisation), µs
 * @param layerOverheadUs    fixed cost per decoder layer per step on one rank (norms, rotary,
 *                           kernel launches that CUDA graphs do not hide), µs
 * @param stepOverheadUs     fixed cost per engine iteration (scheduler, sampling, detokenise), µs
 * @param prefillOverheadUs  extra fixed cost of an iteration that carries prefill tokens, µs
 */
public record Efficiency(double hbmEfficiency, double computeEfficiency, double attentionEfficiency,
                         double linkEfficiency, double collectiveLatencyUs, double layerOverheadUs,
                         double stepOverheadUs, double prefillOverheadUs) {

    /** The keys a plan's {@code tuning { ... }} block may set, in declaration order. */
    public static final List<String> KEYS = EfficiencyProfile.KEYS;

    /**
     * Tuning keys the resolver accepts for the analysis stage (memory reserves, inter-node
     * collective efficiency); they are not step-time constants and are left to that stage.
     */
    public static final java.util.Set<String> OTHER_STAGE_KEYS = java.util.Set.of(
            "network_efficiency", "network_share", "activation_reserve_gib", "non_torch_gib", "cuda_graph_gib");

    public Efficiency {
        check("hbm_efficiency", hbmEfficiency);
        check("compute_efficiency", computeEfficiency);
        check("attention_efficiency", attentionEfficiency);
        check("link_efficiency", linkEfficiency);
        check("collective_latency_us", collectiveLatencyUs);
        check("layer_overhead_us", layerOverheadUs);
        check("step_overhead_us", stepOverheadUs);
        check("prefill_overhead_us", prefillOverheadUs);
    }

    /** The language's bound of the key (Schema.TUNING): the resolver enforces the same one on plans and profiles. */
    private static void check(String key, double v) {
        Schema.Bound b = Schema.TUNING.get(key);
        if (!b.contains(v)) throw new IllegalArgumentException(key + " must be " + b.range() + ": " + v);
    }

    /**
     * The default constants for a GPU (by declaration name, "H200_SXM") and an engine: the
     * standard library's profile (std:efficiency; fitted in docs/calibration.md).
     */
    public static Efficiency defaults(String gpuName, EngineKind engine) {
        return of(StdLibrary.efficiency(gpuName, engine));
    }

    /** The constants of an efficiency profile. */
    public static Efficiency of(EfficiencyProfile p) {
        return fromMap(p.values());
    }

    /**
     * These constants with the overrides of {@code tuning} applied (keys as in {@link #KEYS}).
     * Unknown keys are an error: a typo must not silently keep the default.
     */
    public Efficiency with(Map<String, Double> tuning) {
        Map<String, Double> m = asMap();
        for (Map.Entry<String, Double> e : new TreeMap<>(tuning).entrySet()) {
            if (OTHER_STAGE_KEYS.contains(e.getKey())) continue;
            if (!m.containsKey(e.getKey())) {
                throw new IllegalArgumentException("unknown tuning key '" + e.getKey() + "'; known: " + String.join(", ", KEYS));
            }
            m.put(e.getKey(), e.getValue());
        }
        return fromMap(m);
    }

    /** Builds constants from a complete map of {@link #KEYS}. */
    public static Efficiency fromMap(Map<String, Double> m) {
        for (String k : KEYS) if (!m.containsKey(k)) throw new IllegalArgumentException("missing tuning key '" + k + "'");
        return new Efficiency(m.get("hbm_efficiency"), m.get("compute_efficiency"), m.get("attention_efficiency"),
                m.get("link_efficiency"), m.get("collective_latency_us"), m.get("layer_overhead_us"),
                m.get("step_overhead_us"), m.get("prefill_overhead_us"));
    }

    /** The constants as an ordered map of {@link #KEYS}. */
    public Map<String, Double> asMap() {
        Map<String, Double> m = new LinkedHashMap<>();
        m.put("hbm_efficiency", hbmEfficiency);
        m.put("compute_efficiency", computeEfficiency);
        m.put("attention_efficiency", attentionEfficiency);
        m.put("link_efficiency", linkEfficiency);
        m.put("collective_latency_us", collectiveLatencyUs);
        m.put("layer_overhead_us", layerOverheadUs);
        m.put("step_overhead_us", stepOverheadUs);
        m.put("prefill_overhead_us", prefillOverheadUs);
        return m;
    }
}
