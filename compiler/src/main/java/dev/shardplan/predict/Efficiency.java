package dev.shardplan.predict;

import dev.shardplan.model.EngineKind;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * Achievable fractions of a GPU's datasheet numbers and the fixed costs of an engine step: the
 * constants of the step-time model. Defaults come from {@link #defaults(String, EngineKind)}; a
 * plan's {@code tuning} map overrides any key (see {@link #KEYS} and docs/predictions.md).
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
    public static final List<String> KEYS = List.of(
            "hbm_efficiency", "compute_efficiency", "attention_efficiency", "link_efficiency",
            "collective_latency_us", "layer_overhead_us", "step_overhead_us", "prefill_overhead_us");

    /**
     * Tuning keys the resolver accepts for the analysis stage (memory reserves, inter-node
     * collective efficiency); they are not step-time constants and are left to that stage.
     */
    public static final java.util.Set<String> OTHER_STAGE_KEYS = java.util.Set.of(
            "network_efficiency", "activation_reserve_gib", "non_torch_gib", "cuda_graph_gib");

    public Efficiency {
        check("hbm_efficiency", hbmEfficiency, 0, 1);
        check("compute_efficiency", computeEfficiency, 0, 1);
        check("attention_efficiency", attentionEfficiency, 0, 1);
        check("link_efficiency", linkEfficiency, 0, 1);
        check("collective_latency_us", collectiveLatencyUs, -1e-12, 1e6);
        check("layer_overhead_us", layerOverheadUs, -1e-12, 1e6);
        check("step_overhead_us", stepOverheadUs, -1e-12, 1e7);
        check("prefill_overhead_us", prefillOverheadUs, -1e-12, 1e7);
    }

    private static void check(String key, double v, double lo, double hi) {
        if (!(v > lo && v <= hi)) {
            throw new IllegalArgumentException(key + " must be in (" + Math.max(0, lo) + ", " + hi + "]: " + v);
        }
    }

    /*
     * The table. Fitted on docs/calibration.md (TensorRT-LLM perf-overview, FP8 checkpoints on
     * H100/H200) by the procedure written there; vLLM and SGLang rows start from the same hardware
     * fractions with larger per-step costs (their Python schedulers do more per iteration, see
     * docs/predictions.md). GPUs without calibration data use the H100 row.
     *
     *   gpu class  engine   hbm   compute  attn  link  coll_us  layer_us  step_us  prefill_us
     */
    private static final Object[][] TABLE = {
            {"H100", EngineKind.TRTLLM, 0.70, 0.53, 1.00, 0.75, 12.0, 1.5, 480.0, 0.0},
            {"H200", EngineKind.TRTLLM, 0.70, 0.53, 1.00, 0.75, 12.0, 1.5, 480.0, 0.0},
            {"H100", EngineKind.VLLM, 0.70, 0.53, 1.00, 0.75, 12.0, 1.5, 1500.0, 0.0},
            {"H200", EngineKind.VLLM, 0.70, 0.53, 1.00, 0.75, 12.0, 1.5, 1500.0, 0.0},
            {"H100", EngineKind.SGLANG, 0.70, 0.53, 1.00, 0.75, 12.0, 1.5, 1200.0, 0.0},
            {"H200", EngineKind.SGLANG, 0.70, 0.53, 1.00, 0.75, 12.0, 1.5, 1200.0, 0.0},
    };

    /** The default constants for a GPU (matched by name: "H200", "H100", ...) and an engine. */
    public static Efficiency defaults(String gpuName, EngineKind engine) {
        String cls = gpuClass(gpuName);
        Object[] fallback = null;
        for (Object[] row : TABLE) {
            if (row[1] != engine) continue;
            if (row[0].equals(cls)) return fromRow(row);
            if (row[0].equals("H100")) fallback = row;
        }
        return fromRow(fallback);
    }

    /** The GPU class a name belongs to in the table ("H200_SXM" → "H200"); unknown → "H100". */
    static String gpuClass(String gpuName) {
        String n = gpuName == null ? "" : gpuName.toUpperCase(Locale.ROOT);
        if (n.contains("H200")) return "H200";
        return "H100";
    }

    private static Efficiency fromRow(Object[] r) {
        return new Efficiency((double) r[2], (double) r[3], (double) r[4], (double) r[5], (double) r[6],
                (double) r[7], (double) r[8], (double) r[9]);
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
