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
        description = "Predict throughput, TTFT/TPOT/E2E and KV utilisation of plans by simulating the engine's batching.")
final class SimulateCommand implements Callable<Integer> {
    @Parameters(arity = "1..*", paramLabel = "PATH", description = ".plan files or folders")
    List<Path> paths;

    @Option(names = "--plan", description = "simulate only this plan")
    String plan;

    @Option(names = "--seed", description = "seed of the request draw (default: fixed)")
    Long seed;

    @Option(names = "--format", defaultValue = "human", description = "human or json")
    Output.Format format;

    @Option(names = "--root", description = "project root (default: the current folder)")
    Path root;

    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() {
        var out = spec.commandLine().getOut();
        var err = spec.commandLine().getErr();
        Selection s = Selection.of(Roots.root(root, paths), paths, plan, out, err, Output.Color.auto);
        if (s == null) return Main.ERRORS;
        long sd = seed == null ? Predictor.DEFAULT_SEED : seed;
        var arr = Jsons.MAPPER.createArrayNode();
        boolean ok = true;
        for (Plan p : s.plans) {
            Prediction pr = Predictions.simulate(p, sd);
            ok &= pr.simulated();
            if (format == Output.Format.json) arr.add(PredictionRenderer.toJson(pr));
            else out.println(PredictionRenderer.human(pr));
        }
        if (format == Output.Format.json) out.print(Jsons.canonical(arr));
        return ok ? Main.OK : Main.ERRORS;
    }
}
