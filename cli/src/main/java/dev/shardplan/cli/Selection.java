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
        return of(root, List.of(), paths, name == null ? List.of() : List.of(name), false, out, err, color);
    }

    /**
     * The plans and searches named (all of them when {@code names} is empty); null, with the
     * reason printed, when there are errors or a name matches nothing. With {@code analysed},
     * errors of the analysis stage (a plan that does not fit) do not stop a plan that resolved
     * from being selected: the caller shows them.
     */
    static Selection of(Path root, List<Path> importPaths, List<Path> paths, List<String> names, boolean analysed,
                        PrintWriter out, PrintWriter err, Output.Color color) {
        CheckResult r = Compiler.check(root, importPaths, paths, Activity::set);
        Selection s = new Selection(r);
        for (Plan p : r.plans()) if (names.isEmpty() || names.contains(p.name())) s.plans.add(p);
        for (Search x : r.searches()) if (names.isEmpty() || names.contains(x.name())) s.searches.add(x);
        List<Diagnostic> errs = r.diagnostics().stream().filter(Diagnostic::isError).toList();
        boolean fatal = !errs.isEmpty() && !(analysed && errs.stream().allMatch(d -> analysisError(r, d)));
        if (fatal) {
            Output.print(r.diagnostics(), r.sources(), Output.Format.human, color, out, err, "checked " + Output.counted(r));
            return null;
        }
        // in the order the names were given (a comparison shows them so)
        if (!names.isEmpty()) s.plans.sort(java.util.Comparator.comparingInt(p -> names.indexOf(p.name())));
        List<String> missing = new ArrayList<>();
        for (String n : names) {
            if (s.plans.stream().noneMatch(p -> p.name().equals(n)) && s.searches.stream().noneMatch(x -> x.name().equals(n))) missing.add(n);
        }
        if ((s.plans.isEmpty() && s.searches.isEmpty()) || !missing.isEmpty()) {
            err.println("error: " + (names.isEmpty() ? "no plan or search declared in " + display(paths)
                    : "no plan or search named " + String.join(", ", missing.stream().map(n -> "`" + n + "`").toList()) + " in " + display(paths)));
            String declared = declared(r);
            if (!declared.isEmpty()) err.println("  = note: declared: " + declared);
            return null;
        }
        return s;
    }

    /** Whether a diagnostic comes from the analysis of a plan that resolved. */
    private static boolean analysisError(CheckResult r, Diagnostic d) {
        for (var a : r.analyses().values()) if (a.diagnostics().contains(d)) return true;
        return false;
    }

    /** "plans a, b; searches s": what the files declare, for messages that ask to pick one. */
    static String declared(CheckResult r) {
        List<String> parts = new ArrayList<>();
        if (!r.declaredPlans().isEmpty()) parts.add((r.declaredPlans().size() == 1 ? "plan " : "plans ") + String.join(", ", r.declaredPlans()));
        if (!r.declaredSearches().isEmpty()) parts.add((r.declaredSearches().size() == 1 ? "search " : "searches ") + String.join(", ", r.declaredSearches()));
        return String.join("; ", parts);
    }

    static String display(List<Path> paths) {
        return String.join(", ", paths.stream().map(Path::toString).toList());
    }
}
