package dev.shardplan.api;

import dev.shardplan.analysis.PlanAnalysis;
import dev.shardplan.diag.Diagnostic;
import dev.shardplan.diag.Sources;
import dev.shardplan.model.Plan;
import dev.shardplan.model.Search;

import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The outcome of checking: plans that resolved, all diagnostics (sorted), sources, dependencies,
 * and the analysis of each plan by name.
 */
public record CheckResult(List<Plan> plans, List<Search> searches, List<Diagnostic> diagnostics, Sources sources,
                          int files, Map<String, Set<String>> dependencies,
                          Map<String, PlanAnalysis> analyses) {
    public boolean hasErrors() {
        return diagnostics.stream().anyMatch(Diagnostic::isError);
    }
}
