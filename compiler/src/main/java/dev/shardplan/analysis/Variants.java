package dev.shardplan.analysis;

import dev.shardplan.diag.Fix;
import dev.shardplan.engine.EngineConfig;
import dev.shardplan.engine.Role;
import dev.shardplan.engine.Setting;
import dev.shardplan.model.DType;
import dev.shardplan.model.EngineBlock;
import dev.shardplan.model.Parallel;
import dev.shardplan.model.Plan;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.Objects;

/**
 * Variants of a plan that checks try as fixes, and how to describe the change to the user. A
 * variant that changes an engine setting writes it under the plan's engine's own name for the
 * role (vLLM max_num_seqs, SGLang max_running_requests, ...), as the user would.
 */
public final class Variants {
    private Variants() {}

    public static Plan withParallel(Plan p, Parallel par) {
        return p.withParallel(par);
    }

    /** Degrees changed; an explicit layer split or placement no longer applies and is dropped. */
    public static Plan degrees(Plan p, int dp, int tp, int pp, int ep) {
        Parallel o = p.parallel();
        return withParallel(p, new Parallel(dp, tp, pp, ep, o.dpAttention(), List.of(), List.of()));
    }

    public static Plan withoutPlacement(Plan p) {
        Parallel o = p.parallel();
        return withParallel(p, new Parallel(o.dp(), o.tp(), o.pp(), o.ep(), o.dpAttention(), o.layerSplit(), List.of()));
    }

    public static Plan withLayerSplit(Plan p, List<Integer> split) {
        Parallel o = p.parallel();
        return withParallel(p, new Parallel(o.dp(), o.tp(), o.pp(), o.ep(), o.dpAttention(), split, o.placement()));
    }

    /** The plan with the setting that plays {@code role} in its release set to {@code value}; null when the release has none. */
    public static Plan setting(Plan p, EngineConfig cfg, Role role, Object value) {
        return cfg.spec().setting(cfg.release(), role).map(s -> p.withEngine(p.engine().with(s.name(), value))).orElse(null);
    }

    public static Plan memoryFraction(Plan p, EngineConfig cfg, double f) {
        return setting(p, cfg, Role.MEMORY_FRACTION, f);
    }

    public static Plan maxNumSeqs(Plan p, EngineConfig cfg, long n) {
        return setting(p, cfg, Role.MAX_SEQS, n);
    }

    /** The plan with its KV cache in {@code d}, spelt as its release spells it; null when the release cannot. */
    public static Plan kvDtype(Plan p, EngineConfig cfg, DType d) {
        return cfg.spec().kvWord(cfg.release(), d, p.model()).map(w -> setting(p, cfg, Role.KV_CACHE_DTYPE, w)).orElse(null);
    }

    public static Plan maxModelLen(Plan p, EngineConfig cfg, long len) {
        return setting(p, cfg, Role.MAX_MODEL_LEN, len);
    }

    /**
     * More model parallelism for the same model: tp or pp multiplied by 2, 4, 8..., taking the
     * GPUs from dp when dp divides, never using more GPUs than the cluster has. Ordered by how
     * much changes: tp x2, pp x2, tp x4, pp x4, ...
     */
    public static List<Plan> moreModelParallel(Plan p) {
        Parallel o = p.parallel();
        int gpus = p.cluster().totalGpus();
        List<Plan> out = new ArrayList<>();
        for (int k = 2; k <= gpus; k *= 2) {
            for (int which = 0; which < 2; which++) {
                int tp = which == 0 ? o.tp() * k : o.tp();
                int pp = which == 1 ? o.pp() * k : o.pp();
                int dp = o.dp() % k == 0 ? o.dp() / k : o.dp();
                if (dp * tp * pp > gpus) continue;
                if (which == 1 && pp > p.model().layers()) continue;
                out.add(degrees(p, dp, tp, pp, o.ep()));
            }
        }
        return out;
    }

    /** Human description of what changed between two plans, e.g. "tp 2 -> 4, dp 4 -> 2". */
    public static String describe(Plan from, Plan to) {
        List<String> ch = new ArrayList<>();
        Parallel a = from.parallel(), b = to.parallel();
        if (a.dp() != b.dp()) ch.add("dp " + a.dp() + " -> " + b.dp());
        if (a.tp() != b.tp()) ch.add("tp " + a.tp() + " -> " + b.tp());
        if (a.pp() != b.pp()) ch.add("pp " + a.pp() + " -> " + b.pp());
        if (a.ep() != b.ep()) ch.add("ep " + a.ep() + " -> " + b.ep());
        if (!a.placement().isEmpty() && b.placement().isEmpty()) ch.add("remove the explicit placement");
        if (!a.layerSplit().equals(b.layerSplit())) {
            ch.add(b.layerSplit().isEmpty() ? "remove the explicit layer split" : "layer_split " + b.layerSplit());
        }
        EngineBlock x = from.engine(), y = to.engine();
        java.util.TreeSet<String> keys = new java.util.TreeSet<>(x.settings().keySet());
        keys.addAll(y.settings().keySet());
        EngineConfig before = keys.isEmpty() ? null : dev.shardplan.engine.Engines.configure(from);
        for (String k : keys) {
            Object u = x.settings().get(k), v = y.settings().get(k);
            if (Objects.equals(u, v)) continue;
            String old = u != null ? fmt(u) : fmt(before.get(k).value()) + " (default)";
            ch.add(k + " " + old + " -> " + (v == null ? "the default" : fmt(v)));
        }
        return String.join(", ", ch);
    }

    /**
     * The change from {@code from} to {@code to} as fields to set in the plan's source (a removed
     * field maps to null), titled as {@link #describe} says it: what a quick fix applies.
     */
    public static Fix fix(Plan from, Plan to) {
        Map<String, String> f = new TreeMap<>();
        Parallel a = from.parallel(), b = to.parallel();
        if (a.dp() != b.dp()) f.put("parallel.dp", String.valueOf(b.dp()));
        if (a.tp() != b.tp()) f.put("parallel.tp", String.valueOf(b.tp()));
        if (a.pp() != b.pp()) f.put("parallel.pp", String.valueOf(b.pp()));
        if (a.ep() != b.ep()) f.put("parallel.ep", String.valueOf(b.ep()));
        if (!a.placement().equals(b.placement())) f.put("parallel.placement", b.placement().isEmpty() ? null : join(b.placement()));
        if (!a.layerSplit().equals(b.layerSplit())) f.put("parallel.layer_split", b.layerSplit().isEmpty() ? null : join(b.layerSplit()));
        java.util.TreeSet<String> keys = new java.util.TreeSet<>(from.engine().settings().keySet());
        keys.addAll(to.engine().settings().keySet());
        for (String k : keys) {
            Object u = from.engine().settings().get(k), v = to.engine().settings().get(k);
            if (!Objects.equals(u, v)) f.put("engine." + k, v == null ? null : source(v));
        }
        return new Fix.SetFields(describe(from, to), from.name(), from.span(), f);
    }

    private static String join(List<Integer> xs) {
        return String.join(", ", xs.stream().map(String::valueOf).toList());
    }

    /** A setting's value as plan source: exact, unlike the two decimals of a message. */
    private static String source(Object v) {
        if (v instanceof Double d) return java.math.BigDecimal.valueOf(d).stripTrailingZeros().toPlainString();
        return String.valueOf(v);
    }

    static String fmt(Object o) {
        if (o instanceof Double d) return String.format(Locale.ROOT, "%.2f", d);
        return String.valueOf(o);
    }

    /** The plan's name for the setting of a role, for messages ("max_num_seqs"). */
    static String name(EngineConfig cfg, Role role) {
        return cfg.spec().setting(cfg.release(), role).map(Setting::name).orElse(role.name().toLowerCase(Locale.ROOT));
    }
}
