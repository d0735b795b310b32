package dev.shardplan.cli;

import dev.shardplan.api.Compiler;
import dev.shardplan.api.CheckResult;
import dev.shardplan.diag.Diagnostic;
import dev.shardplan.diag.Severity;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;

/** {@code shardplan check PATH...}: parse, resolve and analyse plans; print diagnostics. */
@Command(name = "check", mixinStandardHelpOptions = true,
        description = "Check .plan files (or folders of them): syntax, names, units, model, memory and placement.")
final class CheckCommand implements Callable<Integer> {
    @Parameters(arity = "1..*", paramLabel = "PATH", description = ".plan files or folders")
    List<Path> paths;

    @Option(names = "--format", defaultValue = "human", description = "human or json (default: ${DEFAULT-VALUE})")
    Output.Format format;

    @Option(names = "--color", defaultValue = "auto", description = "auto, always or never")
    Output.Color color;

    @Option(names = "--root", description = "project root: imports may not leave it (default: the current folder)")
    Path root;

    @Option(names = "--fail-on-warning", description = "exit 1 when there are warnings")
    boolean failOnWarning;

    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() {
        Path r = Roots.root(root, paths);
        CheckResult res = Compiler.check(r, paths, Activity::set);
        int plans = res.plans().size();
        String summary = "checked " + res.files() + " file" + (res.files() == 1 ? "" : "s") + ", " + plans + " plan" + (plans == 1 ? "" : "s");
        Output.print(res.diagnostics(), res.sources(), format, color, spec.commandLine().getOut(), spec.commandLine().getErr(), summary);
        boolean errors = res.diagnostics().stream().anyMatch(Diagnostic::isError);
        boolean warnings = res.diagnostics().stream().anyMatch(d -> d.severity() == Severity.WARNING);
        return errors || (failOnWarning && warnings) ? Main.ERRORS : Main.OK;
    }
}
