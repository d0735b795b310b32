package dev.shardplan.predict;

import dev.shardplan.model.EfficiencyProfile;
import dev.shardplan.resolve.Schema;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Achievable fractions of a GPU's datasheet numbers, the fixed costs of its kernels and the CPU
 * costs of the engine loop: the constants of the step-time model (docs/predictions.md, "Step-time
 * model"). Defaults are data in the language: the plan's efficiency profile (std:efficiency, or
 * one it names); a plan's {@code tuning} map overrides any key (see {@link #KEYS}).
 *
 * @param hbmEfficiency        share of datasheet HBM bandwidth that a wide GEMM's weight reads reach
 * @param computeEfficiency    share of datasheet dense 16-bit tensor FLOP/s that GEMMs reach
 * @param fp8ComputeEfficiency share of datasheet dense FP8 (and FP4) tensor FLOP/s that GEMMs reach
 * @param attentionEfficiency  share of HBM bandwidth that paged-attention KV reads reach, relative
 *                             to {@code hbmEfficiency}
 * @param moeEfficiency        share of HBM bandwidth that the fused-MoE grouped GEMMs' expert reads
 *                             reach, relative to {@code hbmEfficiency} (many small per-expert GEMMs)
 * @param linkEfficiency       share of link bandwidth a collective's bus traffic reaches
 * @param collectiveLatencyUs  fixed cost of one collective call (launch + synchronisation), µs
 * @param layerOverheadUs      fixed cost per decoder layer per step (norms, rotary, residuals), µs
 * @param gemmFloorUs          fixed cost of one linear-layer GEMM kernel (ramp and tail of its waves),
 *                             µs: what a narrow shard's GEMM pays on top of its bytes
 * @param attentionFloorUs     fixed cost of one attention kernel call (one per layer per step), µs
 * @param moeFloorUs           fixed cost of one fused-MoE call (routing, permutation, two grouped
 *                             GEMMs; one per MoE layer per step), µs
 * @param eagerLayerUs         kernel-launch time per decoder layer when a step runs outside CUDA
 *                             graphs: such a stage costs at least layers × this, µs
 * @param stepOverheadUs       engine-loop CPU time per iteration, whatever it carries (scheduler,
 *                             input preparation, output handling), µs
 * @param seqOverheadUs        engine-loop CPU time per sequence an iteration schedules, µs
 * @param prefillOverheadUs    extra fixed cost of an iteration that carries prefill tokens, µs
 */
public record Efficiency(double hbmEfficiency, double computeEfficiency, double fp8ComputeEfficiency,
                         double attentionEfficiency, double moeEfficiency, double linkEfficiency, double collectiveLatencyUs,
                         double layerOverheadUs, double gemmFloorUs, double attentionFloorUs, double moeFloorUs,
                         double eagerLayerUs, double stepOverheadUs, double seqOverheadUs, double prefillOverheadUs) {

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
        check("fp8_compute_efficiency", fp8ComputeEfficiency);
        check("attention_efficiency", attentionEfficiency);
        check("moe_efficiency", moeEfficiency);
        check("link_efficiency", linkEfficiency);
        check("collective_latency_us", collectiveLatencyUs);
        check("layer_overhead_us", layerOverheadUs);
        check("gemm_floor_us", gemmFloorUs);
        check("attention_floor_us", attentionFloorUs);
        check("moe_floor_us", moeFloorUs);
        check("eager_layer_us", eagerLayerUs);
        check("step_overhead_us", stepOverheadUs);
        check("seq_overhead_us", seqOverheadUs);
        check("prefill_overhead_us", prefillOverheadUs);
    }

    /** The language's bound of the key (Schema.TUNING): the resolver enforces the same one on plans and profiles. */
    private static void check(String key, double v) {
        Schema.Bound b = Schema.TUNING.get(key);
        if (!b.contains(v)) throw new IllegalArgumentException(key + " must be " + b.range() + ": " + v);
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
        return new Efficiency(m.get("hbm_efficiency"), m.get("compute_efficiency"), m.get("fp8_compute_efficiency"),
                m.get("attention_efficiency"), m.get("moe_efficiency"), m.get("link_efficiency"), m.get("collective_latency_us"),
                m.get("layer_overhead_us"), m.get("gemm_floor_us"), m.get("attention_floor_us"), m.get("moe_floor_us"),
                m.get("eager_layer_us"), m.get("step_overhead_us"), m.get("seq_overhead_us"), m.get("prefill_overhead_us"));
    }

    /** The constants as an ordered map of {@link #KEYS}. */
    public Map<String, Double> asMap() {
        Map<String, Double> m = new LinkedHashMap<>();
        m.put("hbm_efficiency", hbmEfficiency);
        m.put("compute_efficiency", computeEfficiency);
        m.put("fp8_compute_efficiency", fp8ComputeEfficiency);
        m.put("attention_efficiency", attentionEfficiency);
        m.put("moe_efficiency", moeEfficiency);
        m.put("link_efficiency", linkEfficiency);
        m.put("collective_latency_us", collectiveLatencyUs);
        m.put("layer_overhead_us", layerOverheadUs);
        m.put("gemm_floor_us", gemmFloorUs);
        m.put("attention_floor_us", attentionFloorUs);
        m.put("moe_floor_us", moeFloorUs);
        m.put("eager_layer_us", eagerLayerUs);
        m.put("step_overhead_us", stepOverheadUs);
        m.put("seq_overhead_us", seqOverheadUs);
        m.put("prefill_overhead_us", prefillOverheadUs);
        return m;
    }
}
