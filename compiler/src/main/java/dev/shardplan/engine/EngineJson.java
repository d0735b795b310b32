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
        }
        eng.put("kv_dtype", cfg.kvDtype().id());
        return eng;
    }
}
