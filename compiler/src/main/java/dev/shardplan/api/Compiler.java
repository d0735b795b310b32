package dev.shardplan.api;

import dev.shardplan.analysis.Analyzer;
import dev.shardplan.analysis.PlanAnalysis;
import dev.shardplan.diag.Codes;
import dev.shardplan.diag.Deadline;
import dev.shardplan.diag.Diagnostic;
import dev.shardplan.diag.Diagnostics;
import dev.shardplan.emit.Emit;
import dev.shardplan.emit.EmitInput;
import dev.shardplan.model.Plan;
import dev.shardplan.model.Target;
import dev.shardplan.predict.AnalysisInputs;
import dev.shardplan.predict.Prediction;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** The compiler's entry points, used by the CLI and the Maven plugin. */
public final class Compiler {
    private Compiler() {}

    /** Front end and analyses over files or folders; nothing is written. */
    public static CheckResult check(Path root, List<Path> inputs) {
        return check(root, List.of(), inputs);
    }

    /** As {@link #check(Path, List)}, with extra import roots searched for relative imports. */
    public static CheckResult check(Path root, List<Path> importPaths, List<Path> inputs) {
        return check(root, importPaths, inputs, Set.of());
    }

    /**
     * As {@link #check(Path, List, List)}, applying the launcher rules of {@code targets} (when not
     * empty) instead of each plan's own {@code emit} list: the rules a compile with those targets
     * enforces, so that what this check passes that compile writes.
     */
    public static CheckResult check(Path root, List<Path> importPaths, List<Path> inputs, Set<Target> targets) {
        FrontendResult fr = Frontend.check(root, importPaths, inputs);
        List<Diagnostic> all = new ArrayList<>(fr.diagnostics());
        Map<String, PlanAnalysis> analyses = new LinkedHashMap<>();
        for (Plan p : fr.plans()) {
            PlanAnalysis a = analyze(p, all);
            if (a != null) {
                analyses.put(p.name(), a);
                // The launcher rules of the plan's own targets, so that a plan check passes compiles.
                if (!a.hasErrors()) all.addAll(targetRules(p, a, targets));
            }
        }
        return new CheckResult(fr.plans(), fr.searches(), Diagnostics.sort(all), fr.sources(), fr.files(),
                fr.dependencies(), analyses, fr.declaredPlans(), fr.declaredSearches());
    }

    /**
     * Checks, then writes {@code out/<plan>/} (plan.json and the targets) for every plan through
     * the emit stage's atomic writer. {@code targets} replaces each plan's {@code emit} list when
     * not empty. Nothing is written when any plan has an error.
     */
    public static CompileResult compile(Path root, List<Path> inputs, Path out, Set<Target> targets) {
        return compile(root, inputs, out, targets, false);
    }

    /**
     * As {@link #compile(Path, List, Path, Set)}; with {@code predict} each plan is simulated and
     * its predictions are written into plan.json.
     */
    public static CompileResult compile(Path root, List<Path> inputs, Path out, Set<Target> targets, boolean predict) {
        return compile(root, List.of(), inputs, out, targets, predict);
    }

    /** As {@link #compile(Path, List, Path, Set, boolean)}, with extra import roots searched for relative imports. */
    public static CompileResult compile(Path root, List<Path> importPaths, List<Path> inputs, Path out, Set<Target> targets,
                                        boolean predict) {
        CheckResult res = check(root, importPaths, inputs, targets);
        if (res.hasErrors()) return new CompileResult(res, List.of(), res.diagnostics());
        try {
            return emit(res, out, targets, predict);
        } catch (Deadline.Exceeded | OutOfMemoryError e) {
            List<Diagnostic> all = new ArrayList<>(res.diagnostics());
            all.add(Deadline.resource(res.plans().isEmpty() ? dev.shardplan.diag.Span.NONE : res.plans().get(0).span(),
                    "compiling " + res.plans().size() + " plan" + (res.plans().size() == 1 ? "" : "s") + " into " + out, e));
            return new CompileResult(res, List.of(), Diagnostics.sort(all));
        }
    }

    private static CompileResult emit(CheckResult res, Path out, Set<Target> targets, boolean predict) {
        List<EmitInput> ins = new ArrayList<>();
        for (Plan p : res.plans()) {
            Deadline.check();
            PlanAnalysis a = res.analyses().get(p.name());
            EmitInput in = a != null ? EmitInput.of(p, a) : EmitInput.of(p);
            boolean report = (targets == null || targets.isEmpty() ? p.emit() : targets).contains(Target.REPORT);
            if (predict || report) {
                // One prediction per plan, from the analysis the check made, for plan.json and the report alike.
                Prediction pr = a != null
                        ? dev.shardplan.predict.Predictor.simulate(p, AnalysisInputs.of(a), dev.shardplan.predict.Predictor.DEFAULT_SEED)
                        : Predictions.simulate(p, dev.shardplan.predict.Predictor.DEFAULT_SEED);
                if (predict) in = in.withPrediction(pr);
                if (report && a != null) in = in.withReport(Reports.of(p.name(), a, pr));
            }
            ins.add(in);
        }
        Emit.Result er = Emit.compile(ins, out, targets);
        List<Diagnostic> all = new ArrayList<>(res.diagnostics());
        all.addAll(er.diagnostics());
        return new CompileResult(res, er.written(), Diagnostics.sort(all));
    }

    private static List<Diagnostic> targetRules(Plan p, PlanAnalysis a, Set<Target> targets) {
        try {
            return Emit.standard().checkTargets(EmitInput.of(p, a), targets == null ? Set.of() : targets);
        } catch (RuntimeException e) {
            return List.of(Diagnostic.of(Codes.INTERNAL, p.span(), "internal error while checking the targets of plan `" + p.name() + "`: " + e)
                    .help("this is a bug in shardplan, not in your plan; please report it").build());
        }
    }

    /**
     * Runs the analyses of one plan, adding its diagnostics to {@code out}. A failure inside an
     * analysis is a bug: it becomes one internal-error diagnostic on the plan instead of a crash.
     */
    public static PlanAnalysis analyze(Plan p, List<Diagnostic> out) {
        try {
            Deadline.check();
            PlanAnalysis a = Analyzer.analyze(p);
            out.addAll(a.diagnostics());
            // A plan that cannot be laid out has its diagnostics but no analysis to hand on.
            return a.laidOut() ? a : null;
        } catch (Deadline.Exceeded | OutOfMemoryError e) {
            out.add(Deadline.resource(p.span(), "analysing plan `" + p.name() + "`", e));
            return null;
        } catch (RuntimeException | StackOverflowError e) {
            out.add(Diagnostic.of(Codes.INTERNAL, p.span(), "internal error while analysing plan `" + p.name() + "`: " + e)
                    .note("shardplan " + Version.VERSION + "; at " + (e.getStackTrace().length > 0 ? e.getStackTrace()[0] : "?"))
                    .help("this is a bug in shardplan, not in your plan; please report it").build());
            return null;
        }
    }
}
