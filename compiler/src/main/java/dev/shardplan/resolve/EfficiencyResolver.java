package dev.shardplan.resolve;

import dev.shardplan.ast.Nodes.*;
import dev.shardplan.diag.Diagnostics;
import dev.shardplan.model.EfficiencyProfile;
import dev.shardplan.model.EngineKind;
import dev.shardplan.model.Gpu;

import java.util.*;

/** `efficiency` declarations: a step-time profile, every constant given, for an engine and (optionally) some GPUs. */
final class EfficiencyResolver {
    static final Field ENGINE = Field.word("engine", "vllm", "sglang", "trtllm").required("engine vllm").doc("The engine the profile is for.");
    static final Field GPUS = Field.refs("gpus", "gpu").fallback("any GPU").example("gpus H100_SXM, H200_SXM").doc("GPU declarations it is for.");

    static final FieldTable FIELDS;

    static {
        List<Field> all = new ArrayList<>(List.of(ENGINE, GPUS));
        for (String k : EfficiencyProfile.KEYS) {
            all.add(Field.number(k, Schema.TUNING.get(k)).required(k + (k.endsWith("_efficiency") ? " 0.7" : " 10"))
                    .doc("A constant of the step-time model (docs/predictions.md)."));
        }
        FIELDS = FieldTable.of("efficiency", all.toArray(Field[]::new));
    }

    private final Resolver r;
    private final Diagnostics diags;

    EfficiencyResolver(Resolver r, Diagnostics diags) {
        this.r = r;
        this.diags = diags;
    }

    EfficiencyProfile resolve(Resolver.Located l) {
        Decl d = l.decl();
        Module m = l.module();
        Fields f = new Fields(Resolver.what(d), d.name().span(), d.body(), FIELDS, diags);
        String engine = f.word(ENGINE);
        List<String> gpus = new ArrayList<>();
        boolean ok = engine != null;
        for (Name n : f.names(GPUS)) {
            Gpu g = r.ref(m, "gpu", n, Gpu.class);
            if (g == null) ok = false;
            else if (!gpus.contains(g.name())) gpus.add(g.name());
        }
        Map<String, Double> values = new LinkedHashMap<>();
        for (String k : EfficiencyProfile.KEYS) {
            Double v = f.number(FIELDS.find(k));
            if (v == null) ok = false;
            else values.put(k, v);
        }
        if (!ok) return null;
        return new EfficiencyProfile(d.name().text(), EngineKind.valueOf(engine.toUpperCase(Locale.ROOT)), gpus, values, d.name().span());
    }
}
