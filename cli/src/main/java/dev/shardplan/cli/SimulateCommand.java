package dev.shardplan.cli;

import dev.shardplan.api.Predictions;
import dev.shardplan.diag.Jsons;
import dev.shardplan.model.Plan;
import dev.shardplan.predict.Prediction;
import dev.shardplan.predict.PredictionRenderer;
import dev.shardplan.predict.Predictor;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;

/** {@code shardplan simulate PATH [--plan NAME]}: step-time model + serving simulation. */
@Command(name = "simulate", mixinStandardHelpOptions = true,
        header = "Predict throughput, TTFT, TPOT, E2E and KV use of plans by simulating the engine's batching.",
        description = "Draws the workload's requests (seeded, so runs repeat) and simulates the engine's continuous batching "
                + "over a paged KV cache with preemption, step by step with the step-time model, for each plan (or the one --plan "
                + "names). Prints the predictions, then the findings: missed SLOs, predicted preemption, rejected requests, and "
                + "SLOs that do not apply to the workload.",
        footer = {"", "Exit status: 0 simulated, 1 errors in the plans, a plan that does not fit, an error finding (or a warning "
                + "with --fail-on-warning), 2 bad usage."})
final class SimulateCommand implements Callable<Integer> {
    @Parameters(arity = "1..*", paramLabel = "PATH", description = ".plan files or folders")
    List<Path> paths;

    @Option(names = "--plan", description = "simulate only this plan")
    String plan;

    @Option(names = "--seed", description = "seed of the request draw (default: fixed)")
    Long seed;

    @Option(names = "--format", defaultValue = "human", description = "human or json (schema in docs/cli.md)")
    Output.Format format;

    @picocli.CommandLine.Mixin
    Project project;

    @Option(names = "--fail-on-warning", description = "exit 1 when the prediction misses an SLO or warns otherwise")
    boolean failOnWarning;

    @Option(names = {"-j", "--jobs"}, paramLabel = "N", description = "plans simulated at once (default: one per processor)")
    Integer jobs;

    @Option(names = {"-q", "--quiet"}, description = "no progress line")
    boolean quiet;

    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() {
        var out = spec.commandLine().getOut();
        var err = spec.commandLine().getErr();
        if (jobs != null && jobs < 1) {
            err.println("error: --jobs must be at least 1, got " + jobs);
            return Main.USAGE;
        }
        Selection s = Selection.of(project.root(), project.importPaths(), paths, plan == null ? List.of() : List.of(plan), false,
                out, err, Output.Color.auto);
        if (s == null) return Main.ERRORS;
        if (s.plans.isEmpty()) {
            err.println("error: " + Selection.display(paths) + " declare" + (paths.size() == 1 ? "s" : "") + " no plan, only "
                    + Selection.declared(s.result) + "; simulate runs plans");
            err.println("  = help: run `shardplan search " + Selection.display(paths) + "` to simulate the plans a search allows");
            return Main.USAGE;
        }
        long sd = seed == null ? Predictor.DEFAULT_SEED : seed;
        List<Prediction> predictions;
        try (ProgressLine line = ProgressLine.of(err, quiet)) {
            predictions = Parallel.map(s.plans, jobs != null ? jobs : Runtime.getRuntime().availableProcessors(),
                    p -> {
                        Activity.set("simulating plan " + p.name());
                        return Predictions.simulate(p, s.result.analyses().get(p.name()), sd);
                    }, done -> line.show("simulate: " + done + "/" + s.plans.size() + " plans"));
        }
        var arr = Jsons.MAPPER.createArrayNode();
        boolean ok = true;
        List<dev.shardplan.diag.Diagnostic> findings = new java.util.ArrayList<>();
        List<dev.shardplan.diag.Suppressed> suppressed = new java.util.ArrayList<>();
        for (int i = 0; i < s.plans.size(); i++) {
            Plan p = s.plans.get(i);
            Prediction pr = predictions.get(i);
            ok &= pr.simulated();
            var split = Predictions.findings(p, pr, List.of());
            findings.addAll(split.reported());
            suppressed.addAll(split.suppressed());
            if (format == Output.Format.json) {
                var o = PredictionRenderer.toJson(pr);
                o.set("diagnostics", dev.shardplan.diag.JsonRenderer.toJson(split.reported()));
                var sup = o.putArray("suppressed");
                for (var x : split.suppressed()) sup.add(dev.shardplan.diag.JsonRenderer.toJson(x));
                arr.add(o);
            } else out.println(PredictionRenderer.human(pr));
        }
        if (format == Output.Format.json) {
            out.print(Jsons.canonical(arr));
        } else if (!findings.isEmpty() || !suppressed.isEmpty()) {
            // Missed SLOs, predicted preemption, rejected requests: printed like check's diagnostics.
            Output.print(dev.shardplan.diag.Diagnostics.sort(findings), suppressed, s.result.sources(), Output.Format.human,
                    Output.Color.auto, out, err, "simulated " + Output.count(s.plans.size(), "plan") + ": " + Output.count(findings.size(), "finding"), null);
        }
        boolean errors = findings.stream().anyMatch(dev.shardplan.diag.Diagnostic::isError);
        return ok && !errors && !(failOnWarning && findings.stream().anyMatch(d -> d.severity() == dev.shardplan.diag.Severity.WARNING))
                ? Main.OK : Main.ERRORS;
    }
}
