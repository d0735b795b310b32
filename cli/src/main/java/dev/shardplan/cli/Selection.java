package dev.shardplan.cli;

import dev.shardplan.api.CheckResult;
import dev.shardplan.api.Compiler;
import dev.shardplan.diag.Diagnostic;
import dev.shardplan.model.Plan;
import dev.shardplan.model.Search;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** Checks the given files and picks plans (and searches) by name; prints errors when it cannot. */
final class Selection {
    final CheckResult result;
    final List<Plan> plans = new ArrayList<>();
    final List<Search> searches = new ArrayList<>();

    private Selection(CheckResult r) {
        this.result = r;
    }

    /** Null when the input has errors or the name matches nothing (already reported). */
    static Selection of(Path root, List<Path> paths, String name, PrintWriter out, PrintWriter err, Output.Color color) {
        CheckResult r = Compiler.check(root, paths, Activity::set);
        List<Diagnostic> errs = r.diagnostics().stream().filter(Diagnostic::isError).toList();
        if (!errs.isEmpty()) {
            Output.print(r.diagnostics(), r.sources(), Output.Format.human, color, out, err, "check");
            return null;
        }
        Selection s = new Selection(r);
        for (Plan p : r.plans()) if (name == null || p.name().equals(name)) s.plans.add(p);
        for (Search x : r.searches()) if (name == null || x.name().equals(name)) s.searches.add(x);
        if (s.plans.isEmpty() && s.searches.isEmpty()) {
            err.println("error: " + (name == null ? "no plan or search declared in " + paths : "no plan or search named `" + name + "` in " + paths));
            List<String> names = new ArrayList<>();
            r.plans().forEach(p -> names.add(p.name()));
            r.searches().forEach(x -> names.add(x.name()));
            if (!names.isEmpty()) err.println("  = note: declared: " + String.join(", ", names));
            return null;
        }
        return s;
    }
}
