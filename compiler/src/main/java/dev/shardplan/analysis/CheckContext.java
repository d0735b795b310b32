package dev.shardplan.analysis;

import dev.shardplan.diag.Diagnostic;
import dev.shardplan.diag.Span;
import dev.shardplan.model.Plan;

import java.util.List;
import java.util.Optional;
import java.util.function.Function;

/**
 * What a check sees: the analysis of the plan, whether it may search for fixes ({@code suggest};
 * false while verifying another fix, so verification never recurses), and the analyzer core to
 * evaluate variants of the plan.
 */
public final class CheckContext {
    private final PlanAnalysis analysis;
    private final boolean suggest;
    private final Function<Plan, PlanAnalysis> core;

    CheckContext(PlanAnalysis analysis, boolean suggest, Function<Plan, PlanAnalysis> core) {
        this.analysis = analysis;
        this.suggest = suggest;
        this.core = core;
    }

    public PlanAnalysis analysis() { return analysis; }

    public Plan plan() { return analysis.plan(); }

    public boolean suggest() { return suggest; }

    /** The analysis (without diagnostics) of another plan. */
    public PlanAnalysis evaluate(Plan p) { return core.apply(p); }

    /**
     * The first candidate on which {@code check} reports nothing and no check reports an error:
     * the fix has been verified by re-running the analysis on it.
     */
    public Optional<Plan> firstFix(List<Plan> candidates, Check check) {
        if (!suggest) return Optional.empty();
        for (Plan c : candidates) {
            if (c == null) continue;
            // A variant past the language's bound on ranks, or the cluster's GPUs, is no fix, and
            // laying it out would cost in proportion to a number nobody asked for.
            long world = (long) c.parallel().dp() * c.parallel().tp() * c.parallel().pp();
            if (world > Math.min(dev.shardplan.model.Parallel.MAX_RANKS, c.cluster().totalGpus())) continue;
            PlanAnalysis a = core.apply(c);
            CheckContext v = new CheckContext(a, false, core);
            if (!check.run(v).isEmpty()) continue;
            boolean errors = false;
            for (Check other : Checks.ALL) {
                for (Diagnostic d : other.run(v)) if (d.isError()) errors = true;
                if (errors) break;
            }
            if (!errors) return Optional.of(c);
        }
        return Optional.empty();
    }

    /** The span of the first field path the plan has a span for, else the plan's own span. */
    public Span span(String... paths) {
        Plan p = plan();
        for (String s : paths) if (p.spans().containsKey(s)) return p.spans().get(s);
        return p.span() == null ? Span.NONE : p.span();
    }
}
