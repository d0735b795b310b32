package dev.shardplan.cli;

import dev.shardplan.api.CheckResult;
import dev.shardplan.api.Compiler;
import dev.shardplan.diag.Diagnostic;
import dev.shardplan.diag.Jsons;
import dev.shardplan.diag.Severity;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;

/** {@code shardplan check PATH...}: parse, resolve and analyse plans; print diagnostics. */
@Command(name = "check", mixinStandardHelpOptions = true,
        header = "Check .plan files or folders: syntax, names, units, memory, KV capacity and placement.",
        description = "Parses, resolves and analyses every plan and search in the files given (folders are searched for "
                + "*.plan files) and prints each finding with its code, location and fix, then one line that says how many files, "
                + "plans and searches were checked and how many errors and warnings they have.",
        footer = {"", "Exit status: 0 no errors, 1 errors (or warnings with --fail-on-warning), 2 bad usage."})
final class CheckCommand implements Callable<Integer> {
    @Parameters(arity = "1..*", paramLabel = "PATH", description = ".plan files or folders")
    List<Path> paths;

    @Option(names = "--format", defaultValue = "human", description = "human or json (default: ${DEFAULT-VALUE}; schema in docs/cli.md)")
    Output.Format format;

    @Option(names = "--color", defaultValue = "auto", description = "auto, always or never")
    Output.Color color;

    @Mixin
    Project project;

    @Option(names = "--fail-on-warning", description = "exit 1 when there are warnings")
    boolean failOnWarning;

    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() {
        CheckResult res = Compiler.check(project.root(), project.importPaths(), paths, Activity::set);
        Output.print(res.diagnostics(), res.suppressed(), res.sources(), format, color, spec.commandLine().getOut(), spec.commandLine().getErr(),
                "checked " + Output.counted(res), counts(res));
        boolean errors = res.diagnostics().stream().anyMatch(Diagnostic::isError);
        boolean warnings = res.diagnostics().stream().anyMatch(d -> d.severity() == Severity.WARNING);
        return errors || (failOnWarning && warnings) ? Main.ERRORS : Main.OK;
    }

    /** What a check counted, for the JSON output: files, declared plans and searches, plans that failed. */
    static com.fasterxml.jackson.databind.node.ObjectNode counts(CheckResult res) {
        var o = Jsons.MAPPER.createObjectNode();
        o.put("files", res.files());
        var ps = o.putArray("plans");
        res.declaredPlans().forEach(ps::add);
        var ss = o.putArray("searches");
        res.declaredSearches().forEach(ss::add);
        o.put("failed_plans", res.failedPlans());
        return o;
    }
}
