package dev.shardplan.cli;

import dev.shardplan.api.CompileResult;
import dev.shardplan.api.Compiler;
import dev.shardplan.diag.Severity;
import dev.shardplan.model.Target;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.nio.file.Path;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Callable;

/** {@code shardplan compile PATH... -o OUT}: check plans and write plan.json plus the launch configurations they ask for. */
@Command(name = "compile", mixinStandardHelpOptions = true,
        description = {"Check plans and write, per plan, OUT/<plan>/plan.json and the targets it asks for",
                "(vllm, sglang, trtllm, kubernetes, slurm, shim, report). Nothing is written when a plan has an error;",
                "a plan's previous output is replaced as a whole."})
final class CompileCommand implements Callable<Integer> {
    @Parameters(arity = "1..*", paramLabel = "PATH", description = ".plan files or folders")
    List<Path> paths;

    @Option(names = {"-o", "--out"}, required = true, paramLabel = "OUT", description = "output folder")
    Path out;

    @Option(names = "--target", split = ",", paramLabel = "TARGET", converter = TargetConverter.class,
            description = "emit these targets instead of each plan's `emit` list: vllm, sglang, trtllm, kubernetes, slurm")
    List<Target> targets;

    /** Target names as the language writes them (lowercase). */
    static final class TargetConverter implements picocli.CommandLine.ITypeConverter<Target> {
        @Override
        public Target convert(String value) {
            Target t = Target.parse(value);
            if (t == null) throw new picocli.CommandLine.TypeConversionException("unknown target `" + value
                    + "`; use vllm, sglang, trtllm, kubernetes or slurm");
            return t;
        }
    }

    @Option(names = "--format", defaultValue = "human", description = "human or json (default: ${DEFAULT-VALUE})")
    Output.Format format;

    @Option(names = "--color", defaultValue = "auto", description = "auto, always or never")
    Output.Color color;

    @Option(names = "--root", description = "project root: imports may not leave it (default: the current folder)")
    Path root;

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
        Path r = Roots.root(root, paths);
        Set<Target> chosen = targets == null || targets.isEmpty() ? Set.of() : EnumSet.copyOf(targets);
        CompileResult res;
        try (ProgressLine line = ProgressLine.of(spec.commandLine().getErr(), quiet)) {
            long t0 = System.nanoTime();
            var stage = new java.util.concurrent.atomic.AtomicReference<>("starting");
            line.tick(() -> String.format(java.util.Locale.ROOT, "compile: %s (%.1f s)", stage.get(), (System.nanoTime() - t0) / 1e9));
            res = Compiler.compile(r, paths, out, chosen, predict, msg -> {
                stage.set(msg);
                Activity.set(msg);
            });
        }
        int plans = res.check().plans().size();
        String summary = res.hasErrors() ? "nothing written"
                : "compiled " + plans + " plan" + (plans == 1 ? "" : "s") + " into " + out + " (" + res.written().size() + " files)";
        Output.print(res.diagnostics(), res.check().sources(), format, color, spec.commandLine().getOut(), spec.commandLine().getErr(), summary);
        boolean errors = res.hasErrors();
        boolean warnings = res.diagnostics().stream().anyMatch(d -> d.severity() == Severity.WARNING);
        return errors || (failOnWarning && warnings) ? Main.ERRORS : Main.OK;
    }
}
