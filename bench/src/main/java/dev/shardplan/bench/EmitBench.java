package dev.shardplan.bench;

import dev.shardplan.api.CompileResult;
import dev.shardplan.api.Compiler;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

import java.nio.file.Path;
import java.util.List;
import java.util.Set;

/**
 * Compile (issue 4): every plan of plans/ (check, then plan.json and each plan's targets through
 * the atomic writer) into the same folder, as a rebuild does.
 */
@State(Scope.Benchmark)
public class EmitBench {
    Path dir, plans, out;

    @Setup(Level.Trial)
    public void setUp() {
        dir = Inputs.unpack();
        plans = dir.resolve("plans");
        out = dir.resolve("out");
        Inputs.clean(plans, List.of(plans));
        compilePlans();
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        Inputs.delete(dir);
    }

    @Benchmark
    public Object compilePlans() {
        CompileResult r = Compiler.compile(plans, List.of(plans), out, Set.of());
        if (r.hasErrors()) throw new IllegalStateException("compile of plans/ failed: " + r.diagnostics());
        return r;
    }
}
