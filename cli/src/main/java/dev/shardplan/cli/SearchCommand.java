package dev.shardplan.cli;

import dev.shardplan.api.Predictions;
import dev.shardplan.diag.Jsons;
import dev.shardplan.model.Search;
import dev.shardplan.predict.Predictor;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;

/** {@code shardplan search PATH [--search NAME] [--emit FILE] [--jobs N] [--format json]}: explore plans and rank them. */
@Command(name = "search", mixinStandardHelpOptions = true,
        description = {"Explore the plans a `search` declaration allows, simulate those that fit, rank them.",
                "Candidates whose bounds keep them below the first " + dev.shardplan.predict.Search.EXACT_TOP
                        + " ranks and off the Pareto front are pruned, not simulated; the result is the same for any --jobs."})
final class SearchCommand implements Callable<Integer> {
    @Parameters(arity = "1..*", paramLabel = "PATH", description = ".plan files or folders")
    List<Path> paths;

    @Option(names = "--search", description = "run only this search")
    String name;

    @Option(names = "--emit", description = "write the winner as .plan source to this file")
    Path emit;

    @Option(names = "--seed", description = "seed of the request draw (default: fixed)")
    Long seed;

    @Option(names = "--root", description = "project root (default: the current folder)")
    Path root;

    @Option(names = "--time-limit", paramLabel = "SECONDS",
            description = "stop a search that runs longer and report it (SP0904) instead of running on (default: no limit)")
    Long timeLimit;

    @Option(names = {"-j", "--jobs"}, paramLabel = "N", description = "threads that analyse and simulate candidates (default: one per processor)")
    Integer jobs;

    @Option(names = "--no-prune", description = "simulate every candidate, pruned or not")
    boolean noPrune;

    @Option(names = "--format", defaultValue = "human", description = "human or json (docs/search.schema.json)")
    Output.Format format;

    @Option(names = {"-q", "--quiet"}, description = "no progress line")
    boolean quiet;

    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        var out = spec.commandLine().getOut();
        var err = spec.commandLine().getErr();
        if (jobs != null && jobs < 1) {
            err.println("error: --jobs must be at least 1, got " + jobs);
            return Main.USAGE;
        }
        Path projectRoot = Roots.root(root, paths);
        Selection s = Selection.of(projectRoot, paths, name, out, err, Output.Color.auto);
        if (s == null) return Main.ERRORS;
        if (s.searches.isEmpty()) {
            err.println("error: no `search` declaration" + (name == null ? "" : " named `" + name + "`") + " in " + paths);
            return Main.ERRORS;
        }
        if (emit != null && s.searches.size() > 1) {
            err.println("error: --emit needs one search; name it with --search");
            return Main.USAGE;
        }
        long sd = seed == null ? Predictor.DEFAULT_SEED : seed;
        int threads = jobs != null ? jobs : Runtime.getRuntime().availableProcessors();
        List<dev.shardplan.predict.Search.Result> results = new ArrayList<>();
        // progress and notes go to stderr, so that stdout holds only the table or the JSON
        var notes = format == Output.Format.json ? err : out;
        for (Search x : s.searches) {
            dev.shardplan.predict.Search.Result res;
            try (ProgressLine line = ProgressLine.of(err, quiet)) {
                Activity.set("searching " + x.name());
                var opts = new dev.shardplan.predict.Search.Options(threads, !noPrune, st -> line.show(status(x.name(), st)));
                res = dev.shardplan.predict.Search.run(Predictions.space(x), sd, Predictions.inputs(), Predictions.pools(sd), opts);
            } catch (dev.shardplan.predict.TooLargeException e) {
                Output.print(List.of(e.diagnostic()), s.result.sources(), Output.Format.human, Output.Color.auto, out, err, "search");
                return Main.ERRORS;
            }
            results.add(res);
            if (format == Output.Format.human) out.println(dev.shardplan.predict.Search.human(res));
            if (emit != null) {
                if (res.winner() == null) {
                    err.println("error: no candidate fits; nothing to emit");
                    return Main.ERRORS;
                }
                String source;
                try {
                    source = dev.shardplan.api.SearchSource.of(projectRoot, x, res.winner().plan(), emit, List.of(
                            "written by `shardplan search " + x.name() + " --emit` (seed " + res.seed() + ")", res.why()));
                } catch (IllegalArgumentException e) {
                    err.println("error: " + e.getMessage());
                    err.println("  help: name a new file, e.g. --emit " + x.name() + "-winner.plan");
                    return Main.USAGE;
                }
                // the project's one writer: an exclusive temporary beside the file, renamed over it
                dev.shardplan.emit.OutputWriter.writeFile(emit, source);
                notes.println("wrote the winner to " + emit);
            }
        }
        if (format == Output.Format.json) out.print(Jsons.canonical(dev.shardplan.predict.Search.toJson(results)));
        return Main.OK;
    }

    static String status(String search, dev.shardplan.predict.Search.Status st) {
        StringBuilder sb = new StringBuilder();
        sb.append(String.format(Locale.ROOT, "search %s: %d/%d candidates", search, st.done(), st.total()));
        if (st.best() != null) {
            sb.append(String.format(Locale.ROOT, ", best %s %.0f tok/s", st.best().label(), st.best().result().outputThroughput()));
        }
        if (st.done() < st.total()) sb.append(", ETA ").append(ProgressLine.duration(st.etaSeconds()));
        return sb.toString();
    }
}
