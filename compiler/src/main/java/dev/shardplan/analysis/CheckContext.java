package dev.shardplan.analysis;

import dev.shardplan.diag.Diagnostic;
import dev.shardplan.diag.Span;
import dev.shardplan.model.FieldPath;
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
    private final java.util.List<Fix> offered = new java.util.ArrayList<>();
    private Plan nearMiss;
    private String nearMissCode;
    /**
     * What every check reports on each candidate tried so far (index: {@link Checks#ALL}), kept
     * for the one plan this context checks: its checks try overlapping variants (the model-parallel
     * reshapes of a memory error are also those of the network warnings), and each candidate's
     * analysis costs in proportion to its ranks, so each is analysed and checked once. Only the
     * diagnostics are kept, not the analyses, so memory stays small whatever the candidates' size.
     */
    private final java.util.Map<Plan, List<List<Diagnostic>>> verdicts = new java.util.HashMap<>();
    /** The plan's own errors and warnings by code (without fixes), computed on the first candidate that needs them. */
    private java.util.Set<String> before;

    /**
     * A verified fix a check offered: the codes of the check, the changed plan, the check, and the
     * candidates it tried after this one (not verified yet), so that a later stage that finds this
     * fix slower on the simulator can ask {@link Analyzer#alternative} for the next verified one.
     */
    public record Fix(List<dev.shardplan.diag.Code> codes, Plan plan, Check check, List<Plan> rest) {
        public Fix {
            codes = List.copyOf(codes);
            rest = List.copyOf(rest);
        }
    }

    CheckContext(PlanAnalysis analysis, boolean suggest, Function<Plan, PlanAnalysis> core) {
        this.analysis = analysis;
        this.suggest = suggest;
        this.core = core;
    }

    public PlanAnalysis analysis() { return analysis; }

    public Plan plan() { return analysis.plan(); }

    public boolean suggest() { return suggest; }

    /**
     * After a {@link #firstFix} that found none: the first candidate that cleared the diagnostic
     * without an error but raised a new warning, and that warning's code (null when none did).
     */
    public Plan nearMiss() { return nearMiss; }

    public String nearMissCode() { return nearMissCode; }

    /** The fixes the checks run in this context have offered, in order. */
    public List<Fix> offered() { return List.copyOf(offered); }

    /** The KV capacity of another plan (its layout and memory, not its interconnect: a fraction of {@link #evaluate}'s cost). */
    public KvCapacity capacity(Plan p) { return Analyzer.capacity(p); }

    /** The analysis (without diagnostics) of another plan. */
    public PlanAnalysis evaluate(Plan p) { return core.apply(p); }

    /**
     * The first candidate on which {@code check} reports nothing and no check reports an error or,
     * when the plan itself has no error, a warning the plan does not already have (by code): the fix
     * has been verified by re-running every check on it, so applying it to a working plan never
     * trades one warning for another (issue 12: a dp -> tp fix that made the TP group cross nodes
     * used to pass with new network warnings). A plan with an error cannot start; a fix that makes
     * it start may meet the capacity warnings of a running plan, which the next check reports.
     */
    public Optional<Plan> firstFix(List<Plan> candidates, Check check) {
        return firstFix(candidates, check, true);
    }

    /**
     * {@link #firstFix(List, Check)}; {@code offer}: the check offers it as a fix (a help line);
     * false for a variant a note only describes (not offered as an improvement).
     */
    public Optional<Plan> firstFix(List<Plan> candidates, Check check, boolean offer) {
        if (!suggest) return Optional.empty();
        nearMiss = null;
        nearMissCode = null;
        int self = Checks.ALL.indexOf(check);
        for (int ci = 0; ci < candidates.size(); ci++) {
            Plan c = candidates.get(ci);
            if (c == null) continue;
            // A variant past the language's bound on ranks, or the cluster's GPUs, is no fix, and
            // laying it out would cost in proportion to a number nobody asked for.
            long world = (long) c.parallel().dp() * c.parallel().tp() * c.parallel().pp();
            if (world > Math.min(dev.shardplan.model.Parallel.MAX_RANKS, c.cluster().totalGpus())) continue;
            // A tp that does not split the heads is an error (SP0601) whatever else the variant
            // does, so it is no fix; seen without laying out its ranks (tp 16384 for 32 heads).
            if (!DivisibilityChecks.Heads.splits(c)) continue;
            // Likewise experts that do not split over the variant's ep size (SP0603): with vLLM's
            // ep over dp x tp, "dp 1 -> 131072" for 256 experts would lay out 131,072 ranks.
            if (!DivisibilityChecks.Experts.splits(c.model(),
                    dev.shardplan.layout.Layouts.epSize(c, dev.shardplan.engine.Engines.configure(c).spec().layoutRules()))) continue;
            List<List<Diagnostic>> verdict = verdicts.computeIfAbsent(c, this::verdict);
            if (!(self >= 0 ? verdict.get(self) : check.run(new CheckContext(core.apply(c), false, core))).isEmpty()) continue;
            // A plan with more ranks than GPUs has no layout to run the other checks on; it has an error (SP0605) either way.
            if (before == null) before = analysis.layout() == null ? java.util.Set.of(ERROR) : seriousCodes(new CheckContext(analysis, false, core));
            java.util.Set<String> before = this.before;
            boolean worse = false;
            for (List<Diagnostic> others : verdict) {
                for (Diagnostic d : others) {
                    if (d.isError()) worse = true;
                    else if (!before.contains(ERROR) && d.severity() == dev.shardplan.diag.Severity.WARNING && !before.contains(d.code().id())) {
                        worse = true;
                        if (nearMiss == null) {
                            nearMiss = c;
                            nearMissCode = d.code().id();
                        }
                    }
                }
                if (worse) break;
            }
            if (!worse) {
                if (offer) {
                    List<Plan> rest = new java.util.ArrayList<>();
                    for (Plan r : candidates.subList(ci + 1, candidates.size())) if (r != null && !r.equals(c)) rest.add(r);
                    offered.add(new Fix(check.codes(), c, check, rest));
                }
                return Optional.of(c);
            }
        }
        return Optional.empty();
    }

    /** Every check's diagnostics on a candidate (without fixes), in the order of {@link Checks#ALL}. */
    private List<List<Diagnostic>> verdict(Plan c) {
        CheckContext v = new CheckContext(core.apply(c), false, core);
        List<List<Diagnostic>> out = new java.util.ArrayList<>(Checks.ALL.size());
        for (Check other : Checks.ALL) out.add(other.run(v));
        return out;
    }

    /** Marks, among {@link #seriousCodes}, that the plan has an error (no code is spelt so). */
    private static final String ERROR = "error";

    /** The codes of the errors and warnings every check reports in {@code ctx} (without fixes), and {@link #ERROR} if any is an error. */
    private static java.util.Set<String> seriousCodes(CheckContext ctx) {
        java.util.Set<String> out = new java.util.HashSet<>();
        for (Check c : Checks.ALL) {
            for (Diagnostic d : c.run(ctx)) {
                if (d.isError()) out.add(ERROR);
                if (d.isError() || d.severity() == dev.shardplan.diag.Severity.WARNING) out.add(d.code().id());
            }
        }
        return out;
    }

    /** The span of the first field (model.PlanPaths) the plan has a span for, else the plan's own span. */
    public Span span(FieldPath... paths) {
        Plan p = plan();
        for (FieldPath f : paths) if (p.spans().containsKey(f.path())) return p.spans().get(f.path());
        return p.span() == null ? Span.NONE : p.span();
    }
}
