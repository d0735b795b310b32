package dev.shardplan.cli;

import dev.shardplan.diag.Deadline;
import dev.shardplan.diag.Diagnostic;
import dev.shardplan.diag.Span;
import dev.shardplan.diag.Version;
import picocli.CommandLine;
import picocli.CommandLine.Command;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.time.Duration;

/** The {@code shardplan} command. Exit codes: 0 clean, 1 errors in the input, 2 usage, 3 internal error. */
@Command(name = "shardplan", mixinStandardHelpOptions = true, versionProvider = Main.VersionProvider.class,
        description = {"Check and compile LLM inference parallelism plans.", ""},
        subcommands = {CheckCommand.class, CompileCommand.class, FmtCommand.class, ExplainCommand.class, RunCommand.class, SimulateCommand.class, SearchCommand.class, ReportCommand.class, StdCommand.class, LspCommand.class, CommandLine.HelpCommand.class},
        footer = {"", "Exit status: 0 clean, 1 errors in the plans, 2 bad usage, 3 internal error.",
                "Docs: docs/cli.md (commands, JSON output), docs/language.md (the language), docs/diagnostics/ (one page per code)."})
public final class Main implements Runnable {
    public static final int OK = 0, ERRORS = 1, USAGE = 2, INTERNAL = 3;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    /** The commands that load plans, and so the standard library. */
    private static final java.util.Set<String> LOADS_PLANS = java.util.Set.of("check", "compile", "explain", "simulate", "search", "report");

    public static void main(String[] args) {
        // The standard library is parsed on a second core while picocli builds its command model
        // (~0.1 s on the main thread before any plan is read; docs/benchmarks.md, "Start-up").
        if (args.length > 0 && LOADS_PLANS.contains(args[0])) {
            Thread t = new Thread(dev.shardplan.resolve.Loader::prefetchStd, "shardplan-std");
            t.setDaemon(true);
            t.start();
        }
        System.exit(run(args, new PrintWriter(System.out, true), new PrintWriter(System.err, true)));
    }

    /** Runs the command with the given streams; used by tests and by {@link #main}. */
    public static int run(String[] args, PrintWriter out, PrintWriter err) {
        CommandLine cl = new CommandLine(new Main());
        // Descriptions are paragraphs that picocli wraps at word boundaries to the terminal's width
        // (80 columns when it cannot tell), so no sentence is cut; the command list shows each header.
        cl.setUsageHelpAutoWidth(true);
        cl.setUsageHelpLongOptionsMaxWidth(28);
        cl.setOut(out);
        cl.setErr(err);
        cl.setParameterExceptionHandler((ex, a) -> {
            err.println("error: " + ex.getMessage());
            err.println("see `shardplan " + (ex.getCommandLine().getCommandName().equals("shardplan") ? "" : ex.getCommandLine().getCommandName() + " ") + "--help`");
            return USAGE;
        });
        cl.setExecutionExceptionHandler((ex, c, r) -> {
            if (ex instanceof Deadline.Exceeded) return resourceError(ex, args, err);
            if (outOfMemory(ex)) return outOfMemory(args, err);
            internalError(ex, err);
            return INTERNAL;
        });
        // --time-limit (on the commands that check or simulate) bounds the whole command's work.
        cl.setExecutionStrategy(pr -> {
            CommandLine.ParseResult sub = pr;
            while (sub.hasSubcommand()) sub = sub.subcommand();
            Long seconds = sub.matchedOptionValue("--time-limit", null);
            return Deadline.within(seconds == null ? null : Duration.ofSeconds(seconds), () -> new CommandLine.RunLast().execute(pr));
        });
        try {
            return cl.execute(args);
        } catch (Deadline.Exceeded t) {
            return resourceError(t, args, err);
        } catch (Throwable t) {
            if (outOfMemory(t)) return outOfMemory(args, err);
            internalError(t, err);
            return INTERNAL;
        } finally {
            out.flush();
            err.flush();
        }
    }

    /**
     * Running out of time is the input's size, not a bug: one SP0904 line naming what the command
     * was given, and exit 1 like any other error in the input.
     */
    static int resourceError(Throwable t, String[] args, PrintWriter err) {
        Diagnostic d = Deadline.resource(Span.NONE, "`shardplan " + String.join(" ", args) + "`", t);
        err.println(new dev.shardplan.diag.HumanRenderer(new dev.shardplan.diag.Sources(), false).render(d));
        return ERRORS;
    }

    static boolean outOfMemory(Throwable t) {
        for (int depth = 0; t != null && depth < 20; t = t.getCause(), depth++) if (t instanceof OutOfMemoryError) return true;
        return false;
    }

    /**
     * Running out of heap is a resource limit of this run, not a bug: SP0904 names the inputs, the
     * work under way and the heap, and suggests a larger one. Exit 1, as for any input the run cannot take.
     */
    static int outOfMemory(String[] args, PrintWriter err) {
        long max = Runtime.getRuntime().maxMemory();
        long suggest = Math.max(2, (long) Math.ceil(2.0 * max / (1L << 30)));
        StringBuilder inputs = new StringBuilder();
        for (String a : args) {
            if (a.startsWith("-")) continue;
            if (java.nio.file.Files.exists(java.nio.file.Path.of(a))) inputs.append(inputs.length() == 0 ? "" : ", ").append(a);
        }
        var d = dev.shardplan.diag.Diagnostic.of(dev.shardplan.diag.Codes.RESOURCE_LIMIT, dev.shardplan.diag.Span.NONE,
                        "out of memory while " + Activity.now())
                .note(String.format(java.util.Locale.ROOT, "input: %s; the JVM's heap is %.1f GiB (-Xmx)",
                        inputs.length() == 0 ? String.join(" ", args) : inputs, max / (double) (1L << 30)))
                .help(String.format(java.util.Locale.ROOT, "give the JVM more heap, e.g. -Xmx%1$dg (SHARDPLAN_JAVA_OPTS=-Xmx%1$dg ./shardplan ..., "
                        + "or java -Xmx%1$dg -jar shardplan.jar ...), or check a smaller part of the input", suggest)).build();
        err.println(new dev.shardplan.diag.HumanRenderer(new dev.shardplan.diag.Sources(), false).render(d));
        return ERRORS;
    }

    static void internalError(Throwable t, PrintWriter err) {
        StringWriter sw = new StringWriter();
        t.printStackTrace(new PrintWriter(sw));
        err.println("error[SP0901]: internal error, please report");
        err.println("  = note: shardplan " + Version.VERSION + ", Java " + System.getProperty("java.version"));
        err.println("  = note: " + t);
        err.println("  = help: this is a bug in shardplan, not in your plan; please report it with the details below");
        err.println("--- details ---");
        err.print(sw);
    }

    static final class VersionProvider implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            return new String[]{"shardplan " + Version.VERSION};
        }
    }
}
