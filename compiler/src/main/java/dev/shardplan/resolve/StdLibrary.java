package dev.shardplan.resolve;

import dev.shardplan.diag.Diagnostics;
import dev.shardplan.diag.Sources;
import dev.shardplan.diag.Span;
import dev.shardplan.model.EfficiencyProfile;
import dev.shardplan.model.EngineKind;

import java.nio.file.Path;
import java.util.List;

/**
 * Standard-library data for code that has no plan to resolve (the calibration, plans built as
 * records): resolved once from the same {@code std:} sources the resolver reads.
 */
public final class StdLibrary {
    private StdLibrary() {}

    /** std:efficiency's profiles once resolved; null until the first call asks (nothing is resolved at class load). */
    private static List<EfficiencyProfile> efficiencies;

    private static List<EfficiencyProfile> loadEfficiencies() {
        Diagnostics diags = new Diagnostics();
        // std modules are read from the compiler's resources; the root is never touched
        Resolver r = new Resolver(new Loader(Path.of("").toAbsolutePath(), new Sources(), diags), diags);
        List<EfficiencyProfile> out = r.stdEfficiencies(Span.NONE);
        if (diags.hasErrors() || out.isEmpty()) {
            throw new IllegalStateException("std:efficiency does not resolve: " + diags.sorted());
        }
        return out;
    }

    /**
     * What one {@code std:} module declares, resolved, in declaration order: for {@code gpus} the
     * {@code Gpu}s, {@code nodes} the {@code NodeType}s, {@code models} the {@code Model}s,
     * {@code workloads} the {@code Workload}s.
     */
    public static List<Object> declarations(String module) {
        String kind = switch (module) {
            case "gpus" -> "gpu";
            case "nodes" -> "node";
            case "models" -> "model";
            case "workloads" -> "workload";
            case "efficiency" -> "efficiency";
            default -> throw new IllegalArgumentException("no std module " + module);
        };
        Diagnostics diags = new Diagnostics();
        Loader loader = new Loader(Path.of("").toAbsolutePath(), new Sources(), diags);
        Resolver r = new Resolver(loader, diags);
        Module m = loader.loadStd(module, Span.NONE);
        List<Object> out = m == null ? List.of() : r.declared(m, kind);
        if (diags.hasErrors()) throw new IllegalStateException("std:" + module + " does not resolve: " + diags.sorted());
        return out;
    }

    /** std:efficiency's profiles, in declaration order. */
    public static synchronized List<EfficiencyProfile> efficiencies() {
        if (efficiencies == null) efficiencies = loadEfficiencies();
        return efficiencies;
    }

    /** The std profile a plan on {@code gpuName} with {@code engine} uses (see {@link EfficiencyProfile#select}). */
    public static EfficiencyProfile efficiency(String gpuName, EngineKind engine) {
        EfficiencyProfile p = EfficiencyProfile.select(efficiencies(), gpuName, engine);
        if (p == null) throw new IllegalStateException("std:efficiency has no profile for " + engine.id());
        return p;
    }
}
