package dev.shardplan.analysis;

import dev.shardplan.model.PlanPaths;
import dev.shardplan.units.Fmt;
import dev.shardplan.diag.Code;
import dev.shardplan.diag.Diagnostic;
import dev.shardplan.model.Plan;

import java.util.ArrayList;
import java.util.List;

/** Lints that hold the plan against the characterisation study (docs/memory-model.md, "Principles"). */
final class PrincipleChecks {
    private PrincipleChecks() {}

    /** Models from here on are "~32B" in the study's sense (parameters). */
    static final double LARGE_MODEL_PARAMS = 30e9;
    /** A reasoning workload: median output of at least this many tokens. */
    static final long REASONING_OUTPUT_MEDIAN = 1000;

    /** SP0610: pure DP for a ~32B+ model on a reasoning workload when right-sized TP holds >= 2x more sequences. */
    static final class PureDp implements Check {
        public List<Code> codes() { return List.of(AnalysisCodes.AGAINST_STUDY); }

        public List<Diagnostic> run(CheckContext ctx) {
            Plan p = ctx.plan();
            var o = p.parallel();
            if (o.tp() != 1 || o.pp() != 1 || o.dp() <= 1) return List.of();
            if (p.model().totalParams() < LARGE_MODEL_PARAMS) return List.of();
            if (p.workload().output().quantile(0.5) < REASONING_OUTPUT_MEDIAN) return List.of();
            PlanAnalysis a = ctx.analysis();
            long mine = a.kv().at("p95").sequences() * o.dp();
            List<Plan> better = new ArrayList<>();
            long best = 0;
            for (int k = 2; k <= o.dp(); k *= 2) {
                if (o.dp() % k != 0) continue;
                Plan alt = Variants.degrees(p, o.dp() / k, k, 1, o.ep());
                // A tp that does not split the heads is no right-sized tp (SP0601), and past 32 heads
                // laying its 131,072 ranks out for nothing would cost seconds.
                if (!DivisibilityChecks.Heads.splits(alt)) continue;
                long theirs = ctx.capacity(alt).at("p95").sequences() * alt.parallel().dp();
                if (theirs >= 2 * Math.max(1, mine)) {
                    better.add(alt);
                    best = Math.max(best, theirs);
                }
            }
            if (better.isEmpty()) return List.of();
            var b = Diagnostic.of(AnalysisCodes.AGAINST_STUDY, ctx.span(PlanPaths.PARALLEL_DP, PlanPaths.PARALLEL),
                    "pure dp " + o.dp() + " for a " + Fmt.dec(p.model().totalParams() / 1e9, 1) + "B model on a reasoning workload holds "
                            + Fmt.num(mine) + " p95-length sequences; right-sized tp holds up to " + Fmt.num(best))
                    .note("the characterisation study finds that around 32B the smallest tp that frees enough kv capacity beats pure dp:"
                            + " dp does not pool memory and every replica keeps full weights");
            if (ctx.suggest()) {
                var f = ctx.firstFix(better, this);
                f.ifPresent(plan -> {
                    b.help("use " + Variants.describe(p, plan) + ": " + Fmt.num(ctx.capacity(plan).at("p95").sequences() * plan.parallel().dp())
                            + " p95-length sequences on the same gpus (re-checked)");
                    b.fix(Variants.fix(p, plan));
                });
            }
            return List.of(b.build());
        }
    }
}
