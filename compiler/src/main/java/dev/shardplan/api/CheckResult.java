package dev.shardplan.api;

import dev.shardplan.analysis.PlanAnalysis;
import dev.shardplan.diag.Diagnostic;
import dev.shardplan.diag.Sources;
import dev.shardplan.diag.Suppressed;
import dev.shardplan.model.Plan;
import dev.shardplan.model.Search;
import dev.shardplan.resolve.Module;

import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The outcome of checking: plans that resolved, all diagnostics (sorted), sources, dependencies,
 * the analysis of each plan by name, and the names of every plan and search the input files
 * declare (resolved or not). Findings that an {@code allow} (or the project's list) suppresses are
 * in {@code suppressed}, not in {@code diagnostics}. {@code modules} are the input files as read,
 * by id, with their imports (see {@link FrontendResult}).
 */
public record CheckResult(List<Plan> plans, List<Search> searches, List<Diagnostic> diagnostics, Sources sources,
                          int files, Map<String, Set<String>> dependencies,
                          Map<String, PlanAnalysis> analyses, List<String> declaredPlans, List<String> declaredSearches,
                          List<Suppressed> suppressed, Map<String, Module> modules) {
    public CheckResult {
        modules = java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(modules));
        suppressed = List.copyOf(suppressed);
        declaredPlans = List.copyOf(declaredPlans);
        declaredSearches = List.copyOf(declaredSearches);
    }

    /** Plans declared in the input files that did not resolve (their errors are in the diagnostics). */
    public int failedPlans() {
        return declaredPlans.size() - plans.size();
    }

    public boolean hasErrors() {
        return diagnostics.stream().anyMatch(Diagnostic::isError);
    }
}
