package dev.shardplan.cli;

import dev.shardplan.api.Predictions;
import dev.shardplan.predict.HtmlReport;
import dev.shardplan.predict.Predictor;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;

/** {@code shardplan report PATH --plan|--search NAME -o report.html}: one self-contained HTML report. */
@Command(name = "report", mixinStandardHelpOptions = true,
        description = "Write a self-contained HTML report (SVG charts) for a plan or a search.")
final class ReportCommand implements Callable<Integer> {
    @Parameters(arity = "1..*", paramLabel = "PATH", description = ".plan files or folders")
    List<Path> paths;

    @Option(names = {"--plan", "--search"}, description = "the plan or search to report on (needed when the files declare several)")
    String name;

    @Option(names = {"-o", "--output"}, required = true, description = "the HTML file to write")
    Path output;

    @Option(names = "--seed", description = "seed of the request draw (default: fixed)")
    Long seed;

    @Option(names = "--root", description = "project root (default: the current folder)")
    Path root;

    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        var out = spec.commandLine().getOut();
        var err = spec.commandLine().getErr();
        Selection s = Selection.of(Roots.root(root, paths), paths, name, out, err, Output.Color.auto);
        if (s == null) return Main.ERRORS;
        int n = s.plans.size() + s.searches.size();
        if (n != 1) {
            err.println("error: the files declare " + n + " plans and searches; pick one with --plan NAME");
            return Main.USAGE;
        }
        long sd = seed == null ? Predictor.DEFAULT_SEED : seed;
        String html;
        try {
            html = !s.plans.isEmpty() ? HtmlReport.of(Predictions.simulate(s.plans.get(0), s.result.analyses().get(s.plans.get(0).name()), sd))
                : HtmlReport.of(dev.shardplan.predict.Search.run(Predictions.space(s.searches.get(0)), sd, Predictions.inputs(),
                        new dev.shardplan.predict.Search.Options(Runtime.getRuntime().availableProcessors(), true, null)));
        } catch (dev.shardplan.predict.TooLargeException e) {
            Output.print(List.of(e.diagnostic()), s.result.sources(), Output.Format.human, Output.Color.auto, out, err, "report");
            return Main.ERRORS;
        }
        Path abs = output.toAbsolutePath();
        if (abs.getParent() != null) Files.createDirectories(abs.getParent());
        Path tmp = abs.resolveSibling("." + abs.getFileName() + ".tmp");
        Files.writeString(tmp, html, StandardCharsets.UTF_8);
        Files.move(tmp, abs, java.nio.file.StandardCopyOption.REPLACE_EXISTING, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
        out.println("wrote " + output);
        return Main.OK;
    }
}
