package dev.shardplan.bench;

import dev.shardplan.analysis.Analyzer;
import dev.shardplan.analysis.StepTimeModel;
import dev.shardplan.api.CheckResult;
import dev.shardplan.model.Plan;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

import java.nio.file.Path;
import java.util.List;

/**
 * Analysis of plans on 1,024 GPUs (issue 3): device graph, rank layout, per-rank memory, KV
 * capacity and interconnect ({@code core}); then with the checks and their verified fix
 * suggestions ({@code analyze}).
 */
@State(Scope.Benchmark)
public class AnalysisBench {
    @Param({"llama70b_dp128_tp8", "llama405b_dp64_tp8_pp2", "r1_dp32_tp8_pp4_ep256"})
    public String plan;

    Path dir;
    Plan p;

    @Setup(Level.Trial)
    public void setUp() {
        dir = Inputs.unpack();
        Path f = dir.resolve("bench/analysis.plan");
        CheckResult r = Inputs.clean(f.getParent(), List.of(f));
        p = r.plans().stream().filter(x -> x.name().equals(plan)).findFirst()
                .orElseThrow(() -> new IllegalStateException("no plan " + plan + " in analysis.plan"));
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        Inputs.delete(dir);
    }

    @Benchmark
    public Object core() {
        return Analyzer.core(p, StepTimeModel.ROOFLINE);
    }

    @Benchmark
    public Object analyze() {
        return Analyzer.analyze(p);
    }
}
