package dev.shardplan.cli;

import dev.shardplan.analysis.ExplainReport;
import dev.shardplan.analysis.PlanAnalysis;
import dev.shardplan.api.CheckResult;
import dev.shardplan.api.Compiler;
import dev.shardplan.diag.Code;
import dev.shardplan.diag.Codes;
import dev.shardplan.diag.Explanations;
import dev.shardplan.model.Plan;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;

/**
 * {@code shardplan explain CODE}: the catalogue page of a diagnostic code;
 * {@code shardplan explain PATH [--plan NAME] [--derivation]}: per-rank memory, KV capacity and
 * communication tables of plans.
 */
@Command(name = "explain", mixinStandardHelpOptions = true,
        header = "Explain a diagnostic code, or a plan's per-rank memory, KV capacity and communication.",
        description = "With a code such as SP0202, prints its catalogue page (`--list` lists every code). With .plan files or "
                + "folders, prints for each plan its rank layout, memory per rank, KV capacity at the workload's length percentiles "
                + "and the communication of a decode step and a prefill chunk; `--derivation` adds the formula, numbers and source "
                + "of each figure.",
        footer = {"", "Exit status: 0 explained, 1 errors in the plans, 2 bad usage: an unknown code, a path that does not exist, "
                + "or files that declare no plan (only searches: use `shardplan search` or `shardplan report --search`)."})
final class ExplainCommand implements Callable<Integer> {
    @Parameters(arity = "0..*", paramLabel = "CODE|PATH", description = "a diagnostic code such as SP0202, or .plan files/folders")
    List<String> what = List.of();

    @Option(names = "--list", description = "list every diagnostic code")
    boolean list;

    @Option(names = "--plan", description = "explain only this plan")
    String plan;

    @Option(names = "--derivation", description = "show the formula and inputs behind each figure")
    boolean derivation;

    @Option(names = "--format", defaultValue = "human", description = "human or json (schema in docs/cli.md)")
    Output.Format format;

    @picocli.CommandLine.Mixin
    Project project;

    private static List<dev.shardplan.diag.Diagnostic> errorsOnly(List<dev.shardplan.diag.Diagnostic> ds) {
        return ds.stream().filter(dev.shardplan.diag.Diagnostic::isError).toList();
    }

    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() {
        var out = spec.commandLine().getOut();
        var err = spec.commandLine().getErr();
        if (list || what.isEmpty()) {
            if (format == Output.Format.json) {
                var arr = dev.shardplan.diag.Jsons.MAPPER.createArrayNode();
                for (Code c : Codes.all()) arr.add(code(c, false));
                out.print(dev.shardplan.diag.Jsons.canonical(arr));
                return Main.OK;
            }
            for (Code c : Codes.all()) out.printf("%s  %-8s %-32s %s%n", c.id(), c.severity().label(), c.name(), c.summary());
            return Main.OK;
        }
        if (what.size() == 1 && what.get(0).matches("(?i)SP\\d{4}")) {
            Code c = Codes.byId(what.get(0));
            if (c == null) {
                err.println("error: no diagnostic code `" + what.get(0) + "`");
                err.println("see `shardplan explain --list`");
                return Main.USAGE;
            }
            String page = Explanations.page(c);
            if (format == Output.Format.json) {
                out.print(dev.shardplan.diag.Jsons.canonical(code(c, true)));
                return Main.OK;
            }
            if (page == null) {
                out.println(c.id() + ": " + c.name() + " (" + c.severity().label() + ")");
                out.println(c.summary());
            } else {
                out.print(page);
            }
            return Main.OK;
        }
        List<Path> paths = what.stream().map(Path::of).toList();
        for (Path p : paths) {
            if (!Files.exists(p)) {
                err.println("error: `" + p + "` is neither a diagnostic code (SPnnnn) nor an existing file or folder");
                return Main.USAGE;
            }
        }
        // Every plan that checks clean is explained; a plan with errors is reported instead (the
        // errors go to stderr), so one broken plan does not hide the others.
        CheckResult r = Compiler.check(project.root(), project.importPaths(), paths);
        List<Plan> chosen = r.plans().stream().filter(p -> plan == null || p.name().equals(plan)).toList();
        if (plan == null && r.declaredPlans().isEmpty() && !r.declaredSearches().isEmpty()) {
            // Only searches: explain shows a plan's layout, which a search does not have yet.
            err.println("error: " + Selection.display(paths) + " declare" + (paths.size() == 1 ? "s" : "") + " no plan, only "
                    + Selection.declared(r) + "; explain shows plans");
            err.println("  = help: run `shardplan search " + Selection.display(paths) + "` to rank the plans a search allows, "
                    + "or `shardplan report " + Selection.display(paths) + " --search NAME -o report.html`");
            return Main.USAGE;
        }
        if (plan != null && chosen.isEmpty()) {
            err.println("error: no plan named `" + plan + "` in " + paths);
            if (!r.declaredPlans().isEmpty()) err.println("  = note: declared: " + Selection.declared(r));
            if (r.hasErrors()) Output.print(errorsOnly(r.diagnostics()), r.sources(), Output.Format.human, Output.Color.auto, err, err, "explain");
            return Main.ERRORS;
        }
        var arr = dev.shardplan.diag.Jsons.MAPPER.createArrayNode();
        List<String> skipped = new ArrayList<>();
        for (Plan p : chosen) {
            PlanAnalysis a = r.analyses().get(p.name());
            if (a == null || a.hasErrors()) {
                skipped.add(p.name());
                continue;
            }
            if (format == Output.Format.json) arr.add(ExplainReport.tree(a, derivation));
            else out.println(ExplainReport.human(a, derivation));
        }
        if (format == Output.Format.json) out.print(dev.shardplan.diag.Jsons.canonical(arr));
        if (!r.hasErrors()) return Main.OK;
        Output.print(errorsOnly(r.diagnostics()), r.sources(), Output.Format.human, Output.Color.auto, err, err, "explain");
        if (!skipped.isEmpty()) err.println("not explained (errors above): " + String.join(", ", skipped));
        return Main.ERRORS;
    }

    /** A code as JSON: id, name, severity, summary, and with {@code page} its catalogue page (markdown, or null). */
    static com.fasterxml.jackson.databind.node.ObjectNode code(Code c, boolean page) {
        var o = dev.shardplan.diag.Jsons.MAPPER.createObjectNode();
        o.put("code", c.id());
        o.put("name", c.name());
        o.put("severity", c.severity().label());
        o.put("summary", c.summary());
        if (page) o.put("page", Explanations.page(c));
        return o;
    }
}
