package dev.shardplan.analysis;

import dev.shardplan.diag.Diagnostic;
import dev.shardplan.diag.Diagnostics;
import dev.shardplan.engine.EngineConfig;
import dev.shardplan.engine.Engines;
import dev.shardplan.engine.MemoryBudget;
import dev.shardplan.graph.DeviceGraph;
import dev.shardplan.layout.Layouts;
import dev.shardplan.layout.RankLayout;
import dev.shardplan.model.Plan;

import java.util.ArrayList;
import java.util.List;

/**
 * The analysis stage: the engine configuration in effect, device graph, rank layout, per-rank memory and KV capacity, interconnect
 * cost per step, and the checks of {@link Checks#ALL}.
 */
public final class Analyzer {
    private Analyzer() {}

    /** Analyzes a plan with the roofline step-time model. */
    public static PlanAnalysis analyze(Plan plan) {
        return analyze(plan, StepTimeModel.ROOFLINE);
    }

    /** Analyzes a plan; {@code stm} times a rank's compute per step. */
    public static PlanAnalysis analyze(Plan plan, StepTimeModel stm) {
        if (plan.disaggregated()) return DisaggregatedAnalysis.analyze(plan, stm);
        PlanAnalysis core = core(plan, stm);
        CheckContext ctx = new CheckContext(core, true, p -> core(p, stm));
        List<Diagnostic> ds = new ArrayList<>();
        for (Check c : Checks.ALL) {
            // Memory, placement and principle figures of a plan that breaks a structural or
            // divisibility rule describe a plan that cannot start: report the rule alone.
            if (c == Checks.FIRST_MEMORY_CHECK && ds.stream().anyMatch(Diagnostic::isError)) break;
            ds.addAll(c.run(ctx));
        }
        return core.withDiagnostics(Diagnostics.sort(ds));
    }

    /** Everything but the checks. */
    public static PlanAnalysis core(Plan plan, StepTimeModel stm) {
        EngineConfig engine = Engines.configure(plan);
        DeviceGraph g = DeviceGraph.of(plan.cluster());
        RankLayout layout = Layouts.build(plan, engine.spec().layoutRules());
        List<MemoryBudget> mem = MemoryModel.budgets(plan, engine, layout);
        KvCapacity kv = MemoryModel.capacity(plan, engine, layout, mem);
        Interconnect ic = InterconnectModel.compute(plan, engine, g, layout, mem, kv, stm);
        return new PlanAnalysis(plan, engine, g.summary(), layout, mem, kv, ic, List.of());
    }
}
