package dev.shardplan.report;

import dev.shardplan.analysis.PlanAnalysis;
import dev.shardplan.model.Plan;
import dev.shardplan.predict.CliffSweep;
import dev.shardplan.predict.Prediction;

/**
 * What the report shows of one plan, computed by the stages before it: the analysis (layout,
 * per-rank memory, KV capacity, communication), the prediction (null fields when the plan does
 * not fit and was not simulated) and the reasoning-cliff sweep (null when not simulated).
 * {@code label} names the plan in charts: its name, or a search candidate's layout.
 */
public record PlanReport(String label, PlanAnalysis analysis, Prediction prediction, CliffSweep cliff) {
    public Plan plan() {
        return analysis.plan();
    }

    public boolean simulated() {
        return prediction != null && prediction.simulated();
    }

    /** Whether every rank's weights and reserves leave room for a KV pool that holds one sequence. */
    public boolean fits() {
        return prediction == null ? !analysis.hasErrors() : prediction.inputs().fits();
    }
}
