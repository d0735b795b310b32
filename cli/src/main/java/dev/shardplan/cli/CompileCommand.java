package dev.shardplan.cli;

import dev.shardplan.api.CompileResult;
import dev.shardplan.api.Compiler;
import dev.shardplan.diag.Severity;
import dev.shardplan.model.Target;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.Iterator;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Callable;

/** {@code shardplan compile PATH... -o OUT}: check plans and write plan.json plus the launch configurations they ask for. */
@Command(name = "compile", mixinStandardHelpOptions = true,
        header = "Check plans and write their launch configurations.",
        description = "Checks the plans, then writes for each plan OUT/<plan>/plan.json and the targets its `emit` list (or "
                + "--target) asks for: vllm, sglang, trtllm, kubernetes, slurm, shim, report. Nothing is written when a plan has an "
                + "error; a plan's previous output is replaced as a whole.",
        footer = {"", "Exit status: 0 written, 1 errors in the plans (nothing written), 2 bad usage."})
final class CompileCommand implements Callable<Integer> {
    @Parameters(arity = "1..*", paramLabel = "PATH", description = ".plan files or folders")
    List<Path> paths;

    @Option(names = {"-o", "--out"}, required = true, paramLabel = "OUT", description = "output folder")
    Path out;

    @Option(names = "--target", split = ",", paramLabel = "TARGET", converter = TargetConverter.class,
            completionCandidates = TargetNames.class,
            description = "emit these targets instead of each plan's `emit` list: ${COMPLETION-CANDIDATES}")
    List<Target> targets;

    /** Target names as the language writes them (lowercase). */
    static final class TargetConverter implements picocli.CommandLine.ITypeConverter<Target> {
        @Override
        public Target convert(String value) {
            Target t = Target.parse(value);
            if (t == null) throw new picocli.CommandLine.TypeConversionException("unknown target `" + value
                    + "`; use " + String.join(", ", new TargetNames()));
            return t;
        }
    }

    /** Every target, for the help text and the error message. */
    static final class TargetNames implements Iterable<String> {
        @Override
        public Iterator<String> iterator() {
            return Arrays.stream(Target.values()).map(Target::id).iterator();
        }
    }

    @Option(names = "--format", defaultValue = "human", description = "human or json (default: ${DEFAULT-VALUE}; schema in docs/cli.md)")
    Output.Format format;

    @Option(names = "--color", defaultValue = "auto", description = "auto, always or never")
    Output.Color color;

    @Mixin
    Project project;

    @Option(names = "--fail-on-warning", description = "exit 1 when there are warnings")
    boolean failOnWarning;

    @Option(names = "--predict", description = "simulate each plan and write the predictions into plan.json (slower)")
    boolean predict;

    @Option(names = {"-q", "--quiet"}, description = "no progress line")
    boolean quiet;

    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() {
        Set<Target> chosen = targets == null || targets.isEmpty() ? Set.of() : EnumSet.copyOf(targets);
        CompileResult res;
        try (ProgressLine line = ProgressLine.of(spec.commandLine().getErr(), quiet)) {
            long t0 = System.nanoTime();
            var stage = new java.util.concurrent.atomic.AtomicReference<>("starting");
            line.tick(() -> String.format(java.util.Locale.ROOT, "compile: %s (%.1f s)", stage.get(), (System.nanoTime() - t0) / 1e9));
            res = Compiler.compile(project.root(), project.importPaths(), paths, out, chosen, predict, msg -> {
                stage.set(msg);
                Activity.set(msg);
            });
        }
        int plans = res.check().plans().size();
        String summary = res.hasErrors() ? "nothing written: checked " + Output.counted(res.check())
                : "compiled " + Output.count(plans, "plan") + " from " + Output.count(res.check().files(), "file") + " into " + out
                + " (" + Output.count(res.written().size(), "file") + " written)";
        var extra = CheckCommand.counts(res.check());
        var written = extra.putArray("written");
        Path base = out.toAbsolutePath().normalize();
        res.written().stream().map(p -> base.relativize(p.toAbsolutePath().normalize()).toString().replace('\\', '/')).sorted()
                .forEach(written::add);
        extra.put("out", out.toString());
        Output.print(res.diagnostics(), res.suppressed(), res.check().sources(), format, color, spec.commandLine().getOut(), spec.commandLine().getErr(),
                summary, extra);
        boolean errors = res.hasErrors();
        boolean warnings = res.diagnostics().stream().anyMatch(d -> d.severity() == Severity.WARNING);
        return errors || (failOnWarning && warnings) ? Main.ERRORS : Main.OK;
    }

}
