package dev.shardplan.api;

import dev.shardplan.diag.Diagnostic;
import dev.shardplan.diag.Sources;
import dev.shardplan.model.Plan;
import dev.shardplan.model.Search;

import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * What the front end produced: resolved plans and searches (only those that resolved without
 * errors), all diagnostics sorted, the source texts for rendering, and for each input file the
 * project files it depends on (itself and its imports), for incremental builds. {@code declaredPlans}
 * and {@code declaredSearches} name every plan and search the input files declare, resolved or not,
 * in file order, so that a summary can count those that failed.
 */
public record FrontendResult(List<Plan> plans, List<Search> searches, List<Diagnostic> diagnostics, Sources sources,
                             Map<String, Set<String>> dependencies, int files, List<String> declaredPlans,
                             List<String> declaredSearches) {
    public FrontendResult {
        declaredPlans = List.copyOf(declaredPlans);
        declaredSearches = List.copyOf(declaredSearches);
    }

    public boolean hasErrors() {
        return diagnostics.stream().anyMatch(Diagnostic::isError);
    }
}
