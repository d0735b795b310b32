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
        if (plan.parallel().worldSize() > plan.cluster().totalGpus()) {
            // A plan with more ranks than GPUs cannot start, and laying out ranks the cluster does
            // not have would cost time in proportion to them: the world-size rule alone is reported
            // (its fix is verified on variants that fit), and there is nothing else to analyse.
            PlanAnalysis bare = new PlanAnalysis(plan, Engines.configure(plan), null, null, List.of(), null, null, List.of());
            CheckContext ctx = new CheckContext(bare, true, p -> core(p, stm));
            List<Diagnostic> ds = Diagnostics.sort(new StructureChecks.WorldSize().run(ctx));
            return bare.withDiagnostics(ds, ctx.offered());
        }
        PlanAnalysis core = core(plan, stm);
        CheckContext ctx = new CheckContext(core, true, p -> core(p, stm));
        List<Diagnostic> ds = Diagnostics.sort(runChecks(ctx));
        return core.withDiagnostics(ds, ctx.offered());
    }

    /** The verified fixes that the checks of {@link #analyze(Plan)} offer as help lines (for tests of the advice). */
    public static List<CheckContext.Fix> fixes(Plan plan) {
        PlanAnalysis core = core(plan, StepTimeModel.ROOFLINE);
        CheckContext ctx = new CheckContext(core, true, p -> core(p, StepTimeModel.ROOFLINE));
        runChecks(ctx);
        return ctx.offered();
    }

    /**
     * The next verified fix after {@code f} among the candidates its check tried after it (the same
     * verification as {@link CheckContext#firstFix}: the check's diagnostic goes away, no new error
     * or warning), or empty. For a stage that can simulate and finds {@code f} slower than the plan.
     */
    public static java.util.Optional<CheckContext.Fix> alternative(Plan plan, CheckContext.Fix f) {
        if (f.rest().isEmpty() || plan.parallel().worldSize() > plan.cluster().totalGpus()) return java.util.Optional.empty();
        CheckContext ctx = new CheckContext(core(plan, StepTimeModel.ROOFLINE), true, p -> core(p, StepTimeModel.ROOFLINE));
        return ctx.firstFix(f.rest(), f.check()).map(q -> ctx.offered().get(ctx.offered().size() - 1));
    }

    static List<Diagnostic> runChecks(CheckContext ctx) {
        List<Diagnostic> ds = new ArrayList<>();
        for (Check c : Checks.ALL) {
            // Memory, placement and principle figures of a plan that breaks a structural or
            // divisibility rule describe a plan that cannot start: report the rule alone.
            if (c == Checks.FIRST_MEMORY_CHECK && ds.stream().anyMatch(Diagnostic::isError)) break;
            ds.addAll(c.run(ctx));
        }
        return ds;
    }

    /**
     * A plan's KV capacity alone: its layout and memory budgets, as {@link #core} computes them,
     * without the device graph and interconnect (for checks that compare the pools of variants).
     */
    static KvCapacity capacity(Plan plan) {
        EngineConfig engine = Engines.configure(plan);
        RankLayout layout = Layouts.build(plan, engine.spec().layoutRules());
        return MemoryModel.capacity(plan, engine, layout, MemoryModel.budgets(plan, engine, layout));
    }

    /** Everything but the checks. */
    public static PlanAnalysis core(Plan plan, StepTimeModel stm) {
        EngineConfig engine = Engines.configure(plan);
        RankLayout layout = Layouts.build(plan, engine.spec().layoutRules());
        DeviceGraph g = DeviceGraph.of(plan.cluster(), layout.ranks().stream().mapToInt(r -> r.gpu()).toArray());
        List<MemoryBudget> mem = MemoryModel.budgets(plan, engine, layout);
        KvCapacity kv = MemoryModel.capacity(plan, engine, layout, mem);
        Interconnect ic = InterconnectModel.compute(plan, engine, g, layout, mem, kv, stm);
        return new PlanAnalysis(plan, engine, g.summary(), layout, mem, kv, ic, List.of());
    }
}
