package dev.shardplan.resolve;

import dev.shardplan.units.Fmt;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The bounds of the language's numeric fields: one rule per field, applied wherever a value
 * enters, plan text ({@link Fields}) and imported Hugging Face configs ({@link HfImporter})
 * alike, so that nothing past the resolver ever sees a zero head count or a billion layers.
 *
 * <p>The bounds are wide enough for every published model and deployment, and tight enough that
 * the arithmetic downstream stays in {@code int} and the work a plan asks for stays proportional
 * to a real deployment: the world size ({@link #RANKS}) bounds the rank layout, a node's GPUs
 * ({@link #NODE_GPUS}) and the nodes of a cluster ({@link #NODES}) keep GPU indices below 2^24,
 * and {@link #REQUESTS} keeps request indices in an int with room to spare (what a simulation
 * holds, about 100 bytes a request, is then checked against the JVM's heap before anything is
 * drawn: Predictor.tooLarge, SP0904). docs/language.md lists them (generated from here).
 */
public final class Schema {
    private Schema() {}

    /**
     * The allowed range of one field, inclusive; {@code whole} for counts. {@code field} is the
     * name the language spells it with (the key of its declaration's body).
     */
    public record Bound(String kind, String field, double min, double max, boolean whole) {
        /** Whether {@code v} is finite and inside the range (and whole, when it must be). */
        public boolean contains(double v) {
            return Double.isFinite(v) && v >= min && v <= max && (!whole || v == Math.rint(v));
        }

        public long minLong() {
            return (long) min;
        }

        public long maxLong() {
            return (long) max;
        }

        /** "1..4096" or "0 to 1". */
        public String range() {
            return whole ? Fmt.plain(min) + ".." + Fmt.plain(max) : Fmt.plain(min) + " to " + Fmt.plain(max);
        }
    }

    private static final Map<String, Bound> ALL = new LinkedHashMap<>();

    private static Bound whole(String kind, String field, long min, long max) {
        Bound b = new Bound(kind, field, min, max, true);
        ALL.put(kind + "." + field, b);
        return b;
    }

    private static Bound real(String kind, String field, double min, double max) {
        Bound b = new Bound(kind, field, min, max, false);
        ALL.put(kind + "." + field, b);
        return b;
    }

    // ---- model (also the bounds of the config.json fields they are imported from)
    public static final Bound LAYERS = whole("model", "layers", 1, 100_000);
    public static final Bound HIDDEN = whole("model", "hidden", 1, 1 << 20);
    public static final Bound HEADS = whole("model", "heads", 1, 4096);
    public static final Bound KV_HEADS = whole("model", "kv_heads", 1, 4096);
    public static final Bound HEAD_DIM = whole("model", "head_dim", 1, 4096);
    public static final Bound FFN = whole("model", "ffn", 1, 1 << 22);
    public static final Bound VOCAB = whole("model", "vocab", 1, 1 << 24);
    public static final Bound MTP_LAYERS = whole("model", "mtp_layers", 0, 16);
    /** Tokens: positions, windows and lengths stay below 10^9 so that token arithmetic stays in int. */
    public static final Bound MAX_POSITION = whole("model", "max_position", 1, 1_000_000_000);
    public static final Bound SLIDING_WINDOW = whole("model", "sliding_window", 1, 1_000_000_000);
    public static final Bound SLIDING_EVERY = whole("model", "sliding_window every", 1, 1000);
    public static final Bound ROPE_THETA = real("model", "rope_theta", 1, 1e12);
    public static final Bound NORM_EPS = real("model", "norm_eps", 0, 1);
    public static final Bound SWIGLU_LIMIT = real("model", "swiglu_limit", 0, 1e6);
    public static final Bound Q_LORA_RANK = whole("attention", "q_lora_rank", 0, 1 << 16);
    public static final Bound KV_LORA_RANK = whole("attention", "kv_lora_rank", 1, 1 << 16);
    public static final Bound QK_NOPE_HEAD_DIM = whole("attention", "qk_nope_head_dim", 1, 4096);
    public static final Bound QK_ROPE_HEAD_DIM = whole("attention", "qk_rope_head_dim", 1, 4096);
    public static final Bound V_HEAD_DIM = whole("attention", "v_head_dim", 1, 4096);
    public static final Bound INDEX_TOPK = whole("attention", "index_topk", 1, 1 << 20);
    public static final Bound INDEX_HEAD_DIM = whole("attention", "index_head_dim", 1, 4096);
    public static final Bound EXPERTS = whole("moe", "experts", 1, 1 << 16);
    public static final Bound TOP_K = whole("moe", "top_k", 1, 1 << 10);
    public static final Bound EXPERT_FFN = whole("moe", "expert_ffn", 1, 1 << 22);
    public static final Bound SHARED_EXPERTS = whole("moe", "shared_experts", 0, 1 << 10);
    public static final Bound SHARED_FFN = whole("moe", "shared_ffn", 0, 1 << 22);
    public static final Bound DENSE_LAYERS = whole("moe", "dense_layers", 0, 100_000);
    public static final Bound N_GROUP = whole("moe", "n_group", 1, 1 << 16);
    public static final Bound TOPK_GROUP = whole("moe", "topk_group", 1, 1 << 16);
    public static final Bound ROUTED_SCALING_FACTOR = real("moe", "routed_scaling_factor", 1e-6, 1e6);
    public static final Bound QUANT_BLOCK = whole("quantization", "block", 0, 4096);
    public static final Bound QUANT_GROUP = whole("quantization", "group", 0, 4096);
    public static final Bound ROPE_FACTOR = real("rope_scaling", "factor", 1, 1e6);
    public static final Bound ROPE_ORIGINAL_MAX_POSITION = whole("rope_scaling", "original_max_position", 1, 1_000_000_000);
    public static final Bound ROPE_FREQ_FACTOR = real("rope_scaling", "low_freq_factor, high_freq_factor", 1e-6, 1e6);
    public static final Bound ROPE_BETA = real("rope_scaling", "beta_fast, beta_slow", 1e-6, 1e6);
    public static final Bound ROPE_MSCALE = real("rope_scaling", "mscale, mscale_all_dim", 0, 1e6);

    // ---- hardware
    /** A server holds a few dozen GPUs at most; rack-scale NVLink domains are nodes joined by `domain_nodes`. */
    public static final Bound NODE_GPUS = whole("node", "gpus", 1, 256);
    public static final Bound NICS = whole("node", "nics", 0, 64);
    public static final Bound ISLAND = whole("node", "fabric nvlink_island", 2, 72);
    public static final Bound NODES = whole("cluster", "nodes", 1, 65_536);
    public static final Bound DOMAIN_NODES = whole("cluster", "domain_nodes", 1, 1024);

    // ---- plan
    public static final Bound DEGREE = whole("parallel", "dp, tp, pp, ep", 1, 65_536);
    /**
     * dp x tp x pp: the ranks a plan lays out. 131,072 is above any inference deployment, holds the
     * 100,000-GPU plans of the scale benchmarks (bench/ScaleBench, docs/benchmarks.md), and keeps
     * the layout, memory and interconnect analyses of one plan within seconds.
     */
    public static final Bound RANKS = whole("parallel", "dp x tp x pp", 1, dev.shardplan.model.Parallel.MAX_RANKS);
    public static final Bound PLACEMENT_GPU = whole("parallel", "placement", 0, (long) 256 * 65_536 - 1);
    public static final Bound LAYER_SPLIT = whole("parallel", "layer_split", 1, 100_000);

    // ---- workload
    public static final Bound REQUESTS = whole("workload", "requests", 1, 100_000_000);
    public static final Bound CONCURRENCY = whole("workload", "concurrency", 1, 1_000_000);
    public static final Bound STEP_TOKENS = whole("search.explore", "max_num_batched_tokens", 1, 1_000_000_000);
    public static final Bound PREFILL_INSTANCES = whole("search.explore", "prefill_instances", 1, 65_536);
    public static final Bound LENGTH = whole("workload", "prompt, output, max_length (tokens)", 1, 1_000_000_000);
    /** Rows of an `empirical` CSV: at most 2^24 lengths (64 MiB as ints), the size limit's worth of short lines. */
    public static final Bound CSV_ROWS = whole("workload", "empirical rows", 1, 1 << 24);

    // ---- names
    /**
     * Declaration names. A plan's name is its output folder, and every target's files sit
     * below it with names of their own, so 100 characters stay well inside the 255 bytes
     * a file name may have on every file system the outputs land on.
     */
    public static final Bound NAME_LENGTH = whole("any declaration", "name length (characters)", 1, 100);

    // ---- efficiency profiles and a plan's tuning overrides (the same rule for both)
    private static Bound fraction(String key) {
        return real("tuning, efficiency", key, 1e-3, 1);
    }

    /** Each key's bound: fractions of a datasheet peak in (0, 1]; fixed costs in µs; memory reserves in GiB. */
    public static final Map<String, Bound> TUNING = Collections.unmodifiableMap(new LinkedHashMap<>(Map.ofEntries(
            Map.entry("hbm_efficiency", fraction("hbm_efficiency")),
            Map.entry("compute_efficiency", fraction("compute_efficiency")),
            Map.entry("fp8_compute_efficiency", fraction("fp8_compute_efficiency")),
            Map.entry("attention_efficiency", fraction("attention_efficiency")),
            Map.entry("moe_efficiency", fraction("moe_efficiency")),
            Map.entry("link_efficiency", fraction("link_efficiency")),
            Map.entry("network_efficiency", fraction("network_efficiency")),
            Map.entry("network_share", fraction("network_share")),
            Map.entry("collective_latency_us", real("tuning, efficiency", "collective_latency_us", 0, 1e6)),
            Map.entry("layer_overhead_us", real("tuning, efficiency", "layer_overhead_us", 0, 1e6)),
            Map.entry("gemm_floor_us", real("tuning, efficiency", "gemm_floor_us", 0, 1e6)),
            Map.entry("attention_floor_us", real("tuning, efficiency", "attention_floor_us", 0, 1e6)),
            Map.entry("moe_floor_us", real("tuning, efficiency", "moe_floor_us", 0, 1e6)),
            Map.entry("eager_layer_us", real("tuning, efficiency", "eager_layer_us", 0, 1e6)),
            Map.entry("seq_overhead_us", real("tuning, efficiency", "seq_overhead_us", 0, 1e6)),
            Map.entry("step_overhead_us", real("tuning, efficiency", "step_overhead_us", 0, 1e7)),
            Map.entry("prefill_overhead_us", real("tuning, efficiency", "prefill_overhead_us", 0, 1e7)),
            Map.entry("activation_reserve_gib", real("tuning", "activation_reserve_gib", 0, 1024)),
            Map.entry("non_torch_gib", real("tuning", "non_torch_gib", 0, 1024)),
            Map.entry("cuda_graph_gib", real("tuning", "cuda_graph_gib", 0, 1024)))));

    /** Every bound, in declaration order (for the generated table in docs/language.md). */
    public static List<Bound> all() {
        return Collections.unmodifiableList(new ArrayList<>(ALL.values()));
    }
}
