package dev.shardplan.cli;

import dev.shardplan.api.Predictions;
import dev.shardplan.model.Search;
import dev.shardplan.predict.Predictor;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;

/** {@code shardplan search PATH [--search NAME] [--emit FILE]}: explore plans and rank them. */
@Command(name = "search", mixinStandardHelpOptions = true,
        description = "Explore the plans a `search` declaration allows, simulate those that fit, rank them.")
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

    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        var out = spec.commandLine().getOut();
        var err = spec.commandLine().getErr();
        Selection s = Selection.of(Roots.root(root, paths), paths, name, out, err, Output.Color.auto);
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
        for (Search x : s.searches) {
            var res = dev.shardplan.predict.Search.run(Predictions.space(x), sd, Predictions.inputs());
            out.println(dev.shardplan.predict.Search.human(res));
            if (emit != null) {
                if (res.winner() == null) {
                    err.println("error: no candidate fits; nothing to emit");
                    return Main.ERRORS;
                }
                dev.shardplan.emit.OutputWriter.writeFile(emit, dev.shardplan.predict.Search.emit(res));
                out.println("wrote the winner to " + emit);
            }
        }
        return Main.OK;
    }
}
