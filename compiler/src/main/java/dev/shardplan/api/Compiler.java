package dev.shardplan.api;

import dev.shardplan.diag.Version;
import dev.shardplan.analysis.Analyzer;
import dev.shardplan.analysis.PlanAnalysis;
import dev.shardplan.diag.Codes;
import dev.shardplan.diag.Deadline;
import dev.shardplan.diag.Diagnostic;
import dev.shardplan.diag.Diagnostics;
import dev.shardplan.diag.Findings;
import dev.shardplan.diag.Suppression;
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
        return check(root, List.of(), inputs, List.of(), s -> {});
    }

    /** As {@link #check(Path, List)}, with extra import roots searched for relative imports. */
    public static CheckResult check(Path root, List<Path> importPaths, List<Path> inputs) {
        return check(root, importPaths, inputs, List.of(), s -> {});
    }

    /**
     * As {@link #check(Path, List, List)}, applying the launcher rules of {@code targets} (when not
     * empty) instead of each plan's own {@code emit} list: the rules a compile with those targets
     * enforces, so that what this check passes that compile writes.
     */
    public static CheckResult check(Path root, List<Path> importPaths, List<Path> inputs, Set<Target> targets) {
        return check(root, importPaths, inputs, List.of(), targets, s -> {});
    }

    /** As {@link #check(Path, List)}, telling {@code progress} what it is doing ("analysing plan 3/34: name"). */
    public static CheckResult check(Path root, List<Path> inputs, java.util.function.Consumer<String> progress) {
        return check(root, List.of(), inputs, List.of(), progress);
    }

    /** As {@link #check(Path, List, List)}, telling {@code progress} what it is doing. */
    public static CheckResult check(Path root, List<Path> importPaths, List<Path> inputs, java.util.function.Consumer<String> progress) {
        return check(root, importPaths, inputs, List.of(), progress);
    }

    /** As {@link #check(Path, List, List, List, java.util.function.Consumer<String>)}, quietly. */
    public static CheckResult check(Path root, List<Path> importPaths, List<Path> inputs, List<Suppression> project) {
        return check(root, importPaths, inputs, project, s -> {});
    }

    /**
     * As {@link #check(Path, List, List)}; {@code project} are suppressions that apply to every
     * plan (a build's project-wide list, see {@link Suppression#project}), after each plan's own
     * {@code allow}s. Suppressed findings are in {@link CheckResult#suppressed()}, not in the
     * diagnostics; errors are never suppressed. {@code progress} is told what the check is doing.
     */
    public static CheckResult check(Path root, List<Path> importPaths, List<Path> inputs, List<Suppression> project, java.util.function.Consumer<String> progress) {
        return check(root, importPaths, inputs, Map.of(), project, Set.of(), AnalysisCache.none(), progress);
    }

    /**
     * As {@link #check(Path, List, List)}, reading the files in {@code overlay} (absolute paths to
     * their text) from memory instead of disk: what an editor checks as the user types.
     */
    public static CheckResult check(Path root, List<Path> importPaths, List<Path> inputs, Map<Path, String> overlay) {
        return check(root, importPaths, inputs, overlay, List.of(), Set.of(), AnalysisCache.none(), s -> {});
    }

    /**
     * As {@link #check(Path, List, List, Map)}, reusing from {@code cache} the analyses of plans
     * checked before and unchanged since, and keeping the new ones there: what a language server
     * does on every edit (see {@link AnalysisCache}).
     */
    public static CheckResult check(Path root, List<Path> importPaths, List<Path> inputs, Map<Path, String> overlay,
                                    AnalysisCache cache) {
        return check(root, importPaths, inputs, overlay, List.of(), Set.of(), cache, s -> {});
    }

    /** As the full form, analysing every plan afresh against each plan's own targets. */
    public static CheckResult check(Path root, List<Path> importPaths, List<Path> inputs, Map<Path, String> overlay,
                                    List<Suppression> project, java.util.function.Consumer<String> progress) {
        return check(root, importPaths, inputs, overlay, project, Set.of(), AnalysisCache.none(), progress);
    }

    /** As the full form, from disk and analysing every plan afresh. */
    public static CheckResult check(Path root, List<Path> importPaths, List<Path> inputs, List<Suppression> project, Set<Target> targets,
                                    java.util.function.Consumer<String> progress) {
        return check(root, importPaths, inputs, Map.of(), project, targets, AnalysisCache.none(), progress);
    }

    /**
     * The full form: import roots, open buffers, the project's suppressions, the targets whose
     * launcher rules apply (empty: each plan's own), known analyses, and progress. The cache's
     * findings include the launcher rules of each plan's own targets, so it is used only when
     * {@code targets} is empty.
     */
    public static CheckResult check(Path root, List<Path> importPaths, List<Path> inputs, Map<Path, String> overlay,
                                    List<Suppression> project, Set<Target> targets, AnalysisCache cache,
                                    java.util.function.Consumer<String> progress) {
        if (!targets.isEmpty()) cache = AnalysisCache.none();
        progress.accept("checking " + inputs.size() + (inputs.size() == 1 ? " path" : " paths"));
        FrontendResult fr = Frontend.check(root, importPaths, inputs, overlay);
        Findings all = Findings.split(fr.diagnostics(), project);
        Map<String, PlanAnalysis> analyses = new LinkedHashMap<>();
        // Two passes: the first starts each plan's analysis, with the simulations that weigh its
        // fixes (api/Advice), on worker threads; the second takes them in the plans' order,
        // analysing here a plan no worker has started (api/Background).
        Advice.Weighing weighing = new Advice.Weighing(true);
        List<Background.Task<Analysed>> started = new ArrayList<>(fr.plans().size());
        for (Plan p : fr.plans()) {
            AnalysisCache.Entry known = cache.get(p);
            started.add(Background.start(known == null, () -> known != null
                    ? new Analysed(p, known.analysis(), known::findings, List.of(), false)
                    : analyzeLater(p, weighing, targets)));
        }
        int i = 0;
        for (Background.Task<Analysed> t : started) {
            Analysed x = t.join();
            progress.accept("analysing plan " + ++i + "/" + fr.plans().size() + ": " + x.plan().name());
            Plan p = x.plan();
            PlanAnalysis a = x.analysis();
            List<Diagnostic> own = new ArrayList<>();
            try {
                own.addAll(x.weighed().get());
                own.addAll(x.targetRules());
            } catch (Deadline.Exceeded | OutOfMemoryError e) {
                // As when the analysis itself runs out: the plan's findings are this one, and it has no analysis.
                own = new ArrayList<>(List.of(Deadline.resource(p.span(), "analysing plan `" + p.name() + "`", e)));
                a = null;
            } catch (RuntimeException | StackOverflowError e) {
                own = new ArrayList<>(List.of(internal(p, e)));
                a = null;
            }
            // A plan whose analysis failed (a bug) is not kept: the next check tries again.
            if (x.fresh() && a != null) cache.put(p, new AnalysisCache.Entry(a, own));
            if (a != null) analyses.put(p.name(), a);
            Findings f = findings(p, own, project);
            all = all.plus(f);
            // Launcher rules run only on a plan whose analysis passed; without them an allow cannot be judged.
            if (a != null && !a.hasErrors()) all = all.plus(new Findings(unusedAllows(p, f, false), List.of()));
        }
        return new CheckResult(fr.plans(), fr.searches(), all.reported(), fr.sources(), fr.files(),
                fr.dependencies(), analyses, fr.declaredPlans(), fr.declaredSearches(), all.suppressed(), fr.modules());
    }

    /**
     * An {@code allow} of the plan that hid nothing in {@code f} (SP0214): the finding it was
     * written for no longer occurs, and left in place it would hide the next, unreviewed one.
     * Each stage judges the allows of its own codes: {@code prediction} the SP07xx codes, which
     * only a simulation produces, otherwise all the others.
     */
    public static List<Diagnostic> unusedAllows(Plan p, Findings f, boolean prediction) {
        List<Diagnostic> out = new ArrayList<>();
        for (Suppression s : p.allows()) {
            if (s.code().id().startsWith("SP07") != prediction) continue;
            if (f.suppressed().stream().anyMatch(x -> x.by().equals(s))) continue;
            out.add(Diagnostic.of(Codes.UNUSED_ALLOW, s.span(), "`allow " + s.code().id() + "` in plan `" + p.name() + "` suppressed nothing")
                    .note(s.code().id() + " (" + s.code().name() + ") is not reported for this plan"
                            + (prediction ? " by the simulation" : ""))
                    .help("remove the `allow`; the finding it accepted is gone").build());
        }
        return out;
    }

    /**
     * The findings of one plan (from any stage: analysis, launcher rules, emit, prediction) split
     * by the plan's {@code allow}s, then the project's suppressions: the one place that applies them.
     */
    public static Findings findings(Plan p, List<Diagnostic> ds, List<Suppression> project) {
        List<Suppression> allows = new ArrayList<>(p.allows());
        allows.addAll(project);
        return Findings.split(ds, allows);
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
        return compile(root, List.of(), inputs, out, targets, predict, List.of(), s -> {});
    }

    /** As {@link #compile(Path, List, Path, Set, boolean)}, with extra import roots searched for relative imports. */
    public static CompileResult compile(Path root, List<Path> importPaths, List<Path> inputs, Path out, Set<Target> targets,
                                        boolean predict) {
        return compile(root, importPaths, inputs, out, targets, predict, List.of(), s -> {});
    }

    /** As {@link #compile(Path, List, Path, Set, boolean)}, telling {@code progress} what it is doing. */
    public static CompileResult compile(Path root, List<Path> inputs, Path out, Set<Target> targets, boolean predict, java.util.function.Consumer<String> progress) {
        return compile(root, List.of(), inputs, out, targets, predict, List.of(), progress);
    }

    /** As {@link #compile(Path, List, List, Path, Set, boolean)}, telling {@code progress} what it is doing. */
    public static CompileResult compile(Path root, List<Path> importPaths, List<Path> inputs, Path out, Set<Target> targets,
                                        boolean predict, java.util.function.Consumer<String> progress) {
        return compile(root, importPaths, inputs, out, targets, predict, List.of(), progress);
    }

    /** As {@link #compile(Path, List, List, Path, Set, boolean)}, with the project's suppressions (see {@link #check(Path, List, List, List)}). */
    public static CompileResult compile(Path root, List<Path> importPaths, List<Path> inputs, Path out, Set<Target> targets,
                                        boolean predict, List<Suppression> project) {
        return compile(root, importPaths, inputs, out, targets, predict, project, s -> {});
    }

    /** The full form: import roots, the project's suppressions, and progress. */
    public static CompileResult compile(Path root, List<Path> importPaths, List<Path> inputs, Path out, Set<Target> targets,
                                        boolean predict, List<Suppression> project, java.util.function.Consumer<String> progress) {
        CheckResult res = check(root, importPaths, inputs, project, targets, progress);
        if (res.hasErrors()) return new CompileResult(res, List.of(), res.diagnostics(), res.suppressed());
        try {
            return emit(res, out, targets, predict, project, progress);
        } catch (Deadline.Exceeded | OutOfMemoryError e) {
            List<Diagnostic> all = new ArrayList<>(res.diagnostics());
            all.add(Deadline.resource(res.plans().isEmpty() ? dev.shardplan.diag.Span.NONE : res.plans().get(0).span(),
                    "compiling " + res.plans().size() + " plan" + (res.plans().size() == 1 ? "" : "s") + " into " + out, e));
            return new CompileResult(res, List.of(), Diagnostics.sort(all), res.suppressed());
        }
    }

    private static CompileResult emit(CheckResult res, Path out, Set<Target> targets, boolean predict, List<Suppression> project,
                                      java.util.function.Consumer<String> progress) {
        List<EmitInput> ins = new ArrayList<>();
        int i = 0;
        for (Plan p : res.plans()) {
            Deadline.check();
            PlanAnalysis a = res.analyses().get(p.name());
            // check made an analysis for every plan it passed (a failed one is an internal error, and compile stops above).
            EmitInput in = EmitInput.of(p, a);
            boolean report = (targets == null || targets.isEmpty() ? p.emit() : targets).contains(Target.REPORT);
            if (predict || report) {
                // One prediction per plan, from the analysis the check made, for plan.json and the report alike.
                progress.accept("simulating plan " + ++i + "/" + res.plans().size() + ": " + p.name());
                Prediction pr = Predictions.simulate(p, a, dev.shardplan.predict.Predictor.DEFAULT_SEED);
                if (predict) in = in.withPrediction(pr);
                if (report && a != null) in = in.withReport(Reports.of(p.name(), a, pr));
            }
            ins.add(in);
        }
        progress.accept("writing " + ins.size() + (ins.size() == 1 ? " plan" : " plans") + " into " + out);
        Emit.Result er = Emit.compile(ins, out, targets);
        // The emit stage checks the launchers again (check ran the plan's own targets; --target may name others).
        Findings all = new Findings(res.diagnostics(), res.suppressed());
        List<Diagnostic> other = new ArrayList<>(er.diagnostics());
        for (Plan p : res.plans()) {
            List<Diagnostic> own = er.byPlan().getOrDefault(p.name(), List.of());
            other.removeAll(own);
            all = all.plus(findings(p, own, project));
        }
        all = all.plus(Findings.split(other, project));
        return new CompileResult(res, er.written(), all.reported(), all.suppressed());
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
            // Each offered fix's help line says what it gains on the simulator (api/Advice).
            out.addAll(Advice.weigh(p, a));
            // A plan that cannot be laid out has its diagnostics but no analysis to hand on.
            return a.laidOut() ? a : null;
        } catch (Deadline.Exceeded | OutOfMemoryError e) {
            out.add(Deadline.resource(p.span(), "analysing plan `" + p.name() + "`", e));
            return null;
        } catch (RuntimeException | StackOverflowError e) {
            out.add(internal(p, e));
            return null;
        }
    }

    /**
     * A plan analysed by {@link Compiler#check}'s first pass: its analysis (null: none to hand on),
     * its diagnostics with the weighed fixes (waiting for their simulations), the launcher rules
     * of its targets, and whether it was analysed now (not taken from the cache).
     */
    private record Analysed(Plan plan, PlanAnalysis analysis, java.util.function.Supplier<List<Diagnostic>> weighed,
                            List<Diagnostic> targetRules, boolean fresh) {}

    /**
     * As {@link #analyze(Plan, List)} then the launcher rules of the plan's targets, with the
     * simulations that weigh its fixes started on {@code weighing}'s workers, not waited for.
     */
    private static Analysed analyzeLater(Plan p, Advice.Weighing weighing, Set<Target> targets) {
        PlanAnalysis a;
        java.util.function.Supplier<List<Diagnostic>> weighed;
        try {
            Deadline.check();
            a = Analyzer.analyze(p);
            weighed = weighing.start(p, a);
        } catch (Deadline.Exceeded | OutOfMemoryError e) {
            Diagnostic d = Deadline.resource(p.span(), "analysing plan `" + p.name() + "`", e);
            return new Analysed(p, null, () -> List.of(d), List.of(), true);
        } catch (RuntimeException | StackOverflowError e) {
            Diagnostic d = internal(p, e);
            return new Analysed(p, null, () -> List.of(d), List.of(), true);
        }
        // A plan that cannot be laid out has its diagnostics but no analysis to hand on.
        if (!a.laidOut()) return new Analysed(p, null, weighed, List.of(), true);
        // The launcher rules of the plan's own targets, so that a plan check passes compiles.
        return new Analysed(p, a, weighed, a.hasErrors() ? List.of() : targetRules(p, a, targets), true);
    }

    private static Diagnostic internal(Plan p, Throwable e) {
        return Diagnostic.of(Codes.INTERNAL, p.span(), "internal error while analysing plan `" + p.name() + "`: " + e)
                .note("shardplan " + Version.VERSION + "; at " + (e.getStackTrace().length > 0 ? e.getStackTrace()[0] : "?"))
                .help("this is a bug in shardplan, not in your plan; please report it").build();
    }
}
