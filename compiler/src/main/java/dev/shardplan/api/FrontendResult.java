package dev.shardplan.api;

import dev.shardplan.diag.Diagnostic;
import dev.shardplan.diag.Sources;
import dev.shardplan.model.Plan;
import dev.shardplan.model.Search;
import dev.shardplan.resolve.Module;

import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * What the front end produced: resolved plans and searches (only those that resolved without
 * errors), all diagnostics sorted, the source texts for rendering, and for each input file the
 * project files it depends on (itself and its imports), for incremental builds. {@code declaredPlans}
 * and {@code declaredSearches} name every plan and search the input files declare, resolved or not,
 * in file order, so that a summary can count those that failed. {@code modules} are the input files
 * as the loader read them, by id, each with its imports: the syntax behind the plans, for a tool
 * that shows positions (an editor) without loading the files again.
 */
public record FrontendResult(List<Plan> plans, List<Search> searches, List<Diagnostic> diagnostics, Sources sources,
                             Map<String, Set<String>> dependencies, int files, List<String> declaredPlans,
                             List<String> declaredSearches, Map<String, Module> modules) {
    public FrontendResult {
        modules = java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(modules));
        declaredPlans = List.copyOf(declaredPlans);
        declaredSearches = List.copyOf(declaredSearches);
    }

    public boolean hasErrors() {
        return diagnostics.stream().anyMatch(Diagnostic::isError);
    }
}
