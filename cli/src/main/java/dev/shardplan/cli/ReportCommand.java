package dev.shardplan.cli;

import dev.shardplan.analysis.PlanAnalysis;
import dev.shardplan.api.Predictions;
import dev.shardplan.api.Reports;
import dev.shardplan.diag.Diagnostic;
import dev.shardplan.diag.Diagnostics;
import dev.shardplan.model.Plan;
import dev.shardplan.predict.Predictor;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;

/** {@code shardplan report PATH... [--plan NAME]... -o report.html}: one self-contained HTML report. */
@Command(name = "report", mixinStandardHelpOptions = true,
        header = "Write a self-contained HTML report of a plan, a search, or several plans side by side.",
        description = "Writes one HTML file with SVG charts (axes, units and legends; no scripts, no external resources): for a "
                + "plan its memory per GPU, KV cache use over time, the reasoning cliff, its decode step and the derivation of each "
                + "figure, or, when it does not fit, why not; for a search every candidate on the Pareto front with the winner and "
                + "runner-up in detail; for two or more --plan names a comparison page.",
        footer = {"", "Exit status: 0 written (also for a plan that does not fit: the page says why), 1 errors in the plans, "
                + "2 bad usage (several plans and no --plan)."})
final class ReportCommand implements Callable<Integer> {
    @Parameters(arity = "1..*", paramLabel = "PATH", description = ".plan files or folders")
    List<Path> paths;

    @Option(names = {"--plan", "--search"}, paramLabel = "NAME",
            description = "the plan or search to report on; give --plan several times to compare plans (needed when the files declare several)")
    List<String> names = new ArrayList<>();

    @Option(names = {"-o", "--output"}, required = true, paramLabel = "FILE", description = "the HTML file to write")
    Path output;

    @Option(names = "--seed", description = "seed of the request draw (default: fixed)")
    Long seed;

    @Mixin
    Project project;

    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        var out = spec.commandLine().getOut();
        var err = spec.commandLine().getErr();
        Selection s = Selection.of(project.root(), project.importPaths(), paths, names, true, out, err, Output.Color.auto);
        if (s == null) return Main.ERRORS;
        int n = s.plans.size() + s.searches.size();
        long sd = seed == null ? Predictor.DEFAULT_SEED : seed;
        String html;
        String what;
        try {
            if (n == 1 && s.searches.size() == 1) {
                html = Reports.search(dev.shardplan.predict.Search.run(Predictions.space(s.searches.get(0)), sd, Predictions.inputs(),
                        Predictions.pools(sd), new dev.shardplan.predict.Search.Options(Runtime.getRuntime().availableProcessors(), true, null)));
                what = "search " + s.searches.get(0).name();
            } else if (n == 1 || (!names.isEmpty() && s.searches.isEmpty())) {
                List<PlanAnalysis> as = new ArrayList<>();
                List<Diagnostic> unfit = new ArrayList<>();
                for (Plan p : s.plans) {
                    PlanAnalysis a = s.result.analyses().get(p.name());
                    if (a == null) {
                        err.println("error: plan `" + p.name() + "` could not be analysed; see `shardplan check`");
                        return Main.ERRORS;
                    }
                    as.add(a);
                    a.diagnostics().stream().filter(Diagnostic::isError).forEach(unfit::add);
                }
                if (!unfit.isEmpty()) {
                    Output.print(Diagnostics.sort(unfit), s.result.sources(), Output.Format.human, Output.Color.auto, out, err,
                            "the report shows why " + (as.size() == 1 ? "the plan does" : "these plans do") + " not fit");
                }
                html = as.size() == 1 ? Reports.plan(as.get(0), sd) : Reports.compare(as, sd);
                what = as.size() == 1 ? "plan " + as.get(0).plan().name() : "comparison of " + as.size() + " plans";
            } else if (!s.searches.isEmpty() && !names.isEmpty()) {
                err.println("error: a report shows one search, or one or more plans; not a search together with other plans or searches");
                return Main.USAGE;
            } else {
                err.println("error: the files declare " + Selection.declared(s.result) + "; pick one with --plan NAME (or --search NAME), "
                        + "or compare plans with --plan A --plan B");
                return Main.USAGE;
            }
        } catch (dev.shardplan.predict.TooLargeException e) {
            Output.print(List.of(e.diagnostic()), s.result.sources(), Output.Format.human, Output.Color.auto, out, err, "report");
            return Main.ERRORS;
        }
        dev.shardplan.emit.OutputWriter.writeFile(output, html);
        out.println("wrote " + output + " (" + what + ")");
        return Main.OK;
    }
}
