package dev.shardplan.engine;

import dev.shardplan.model.EngineBlock;
import dev.shardplan.model.EngineKind;
import dev.shardplan.model.Plan;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** The engines shardplan knows, and the one place a plan's effective engine configuration is computed. */
public final class Engines {
    private static final Map<EngineKind, EngineSpec> SPECS = Map.of(
            EngineKind.VLLM, new Vllm(), EngineKind.SGLANG, new Sglang(), EngineKind.TRTLLM, new Trtllm());

    private Engines() {}

    public static EngineSpec spec(EngineKind k) {
        return SPECS.get(k);
    }

    /** The plan's rank layout under its engine's layout rules. */
    public static dev.shardplan.layout.RankLayout layout(Plan plan) {
        return dev.shardplan.layout.Layouts.build(plan, spec(plan.engine().kind()).layoutRules());
    }

    /** All engines, in {@link EngineKind} order. */
    public static List<EngineSpec> all() {
        List<EngineSpec> out = new ArrayList<>();
        for (EngineKind k : EngineKind.values()) out.add(SPECS.get(k));
        return out;
    }

    /**
     * The plan's engine configuration: its release (the plan's, else the newest supported) and every
     * setting of that release, as the plan wrote it or as the release's rule picks it for this GPU,
     * model, layout and workload. The resolver has checked the plan's values against the same
     * table, so a value here is always one the release accepts.
     */
    public static EngineConfig configure(Plan plan) {
        EngineBlock block = plan.engine();
        EngineSpec spec = spec(block.kind());
        Release release = block.version() == null ? spec.newest()
                : spec.release(block.version()).orElseThrow(() -> new IllegalStateException(
                        "unsupported " + block.kind().id() + " release " + block.version() + " reached the engine stage"));
        Map<String, Object> resolved = new HashMap<>();
        List<Effective> values = new ArrayList<>();
        DefaultContext ctx = new DefaultContext(release, plan, resolved);
        for (Setting s : spec.settings(release)) {
            Object written = block.settings().get(s.name());
            Effective e;
            if (written != null) {
                e = new Effective(s, normalise(s, written), Origin.PLAN, "set in the plan");
            } else {
                DefaultRule.Default d = s.dflt().apply(ctx);
                e = new Effective(s, normalise(s, d.value()), d.origin(), d.why());
            }
            resolved.put(s.name(), e.value());
            values.add(e);
        }
        EngineConfig partial = new EngineConfig(spec, release, block.version() != null, values, null);
        return new EngineConfig(spec, release, block.version() != null, values,
                spec.kvDtype(partial.kvCacheDtype(), plan.model()));
    }

    /** Counts are longs, numbers doubles, whatever the literal's Java type. */
    private static Object normalise(Setting s, Object v) {
        return switch (s.kind()) {
            case COUNT, SIZE -> ((Number) v).longValue();
            case NUMBER -> ((Number) v).doubleValue();
            default -> v;
        };
    }
}
