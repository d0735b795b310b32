package dev.shardplan.engine;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.util.Locale;

/**
 * An engine configuration as JSON (plan.json's and explain's "engine"): the release (and whether
 * the plan named it), the image that runs it, and every setting of the release's table under the
 * engine's own name, with its effective value, where it came from (plan, default, workload,
 * startup) and the rule that chose it.
 */
public final class EngineJson {
    private EngineJson() {}

    public static ObjectNode of(EngineConfig cfg) {
        return of(cfg, null);
    }

    /**
     * As {@link #of(EngineConfig)}; with the plan's degrees, a limit the engine divides over its
     * DP ranks also says how it counts ("counted": what each rank's scheduler runs).
     */
    public static ObjectNode of(EngineConfig cfg, dev.shardplan.model.Parallel p) {
        ObjectNode eng = JsonNodeFactory.instance.objectNode();
        eng.put("kind", cfg.kind().id());
        eng.put("release", cfg.release().version().toString());
        eng.put("release_set_by", cfg.releaseFromPlan() ? "plan" : "default");
        eng.put("image", cfg.release().image());
        ObjectNode settings = eng.putObject("settings");
        for (Effective e : cfg.values()) {
            ObjectNode o = settings.putObject(e.name());
            Object v = e.value();
            if (v instanceof Boolean b) o.put("value", b);
            else if (v instanceof Long l) o.put("value", l);
            else if (v instanceof Double d) o.put("value", d);
            else o.put("value", String.valueOf(v));
            o.put("set_by", e.origin().id());
            o.put("rule", e.why());
            if (e.setting().role() != null) o.put("role", e.setting().role().name().toLowerCase(Locale.ROOT));
            String counted = p == null ? null : counted(cfg, e, p);
            if (counted != null) o.put("counted", counted);
        }
        eng.put("kv_dtype", cfg.kvDtype().id());
        return eng;
    }

    /** How a limit's value is counted by the engine, for the limits whose counting differs between engines. */
    static String counted(EngineConfig cfg, Effective e, dev.shardplan.model.Parallel p) {
        Role r = e.setting().role();
        if (r != Role.MAX_SEQS && r != Role.MAX_BATCHED_TOKENS && r != Role.KV_OFFLOAD) return null;
        if (e.value() instanceof Number n && n.longValue() <= 0) return null;
        int ranks = cfg.spec().limitRanks(r, p);
        long v = e.count();
        String unit = r == Role.KV_OFFLOAD ? " B" : "";
        if (ranks > 1) return v + unit + " over " + ranks + " ranks: " + v / ranks + unit + " per rank (" + cfg.spec().limitSource(r) + ")";
        return v + unit + " per rank (" + cfg.spec().limitSource(r) + ")";
    }

    /** A configuration carried to another engine's launcher (plan.json "launch"): its release, the settings carried and how, the ones not carried and why. */
    public static ObjectNode carried(Translation.Carried c) {
        ObjectNode o = JsonNodeFactory.instance.objectNode();
        o.put("release", c.config().release().version().toString());
        o.put("image", c.config().release().image());
        ObjectNode set = o.putObject("settings");
        for (Translation.Note n : c.carried()) {
            ObjectNode x = set.putObject(n.setting());
            put(x, n.value());
            x.put("from", n.how());
        }
        ObjectNode not = o.putObject("not_carried");
        for (Translation.Note n : c.notCarried()) not.put(n.setting(), n.how());
        return o;
    }

    private static void put(ObjectNode o, Object v) {
        if (v instanceof Boolean b) o.put("value", b);
        else if (v instanceof Long l) o.put("value", l);
        else if (v instanceof Integer i) o.put("value", i);
        else if (v instanceof Double d) o.put("value", d);
        else o.put("value", String.valueOf(v));
    }
}
