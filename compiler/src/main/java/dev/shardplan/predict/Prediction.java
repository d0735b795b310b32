package dev.shardplan.predict;

import dev.shardplan.diag.Diagnostic;
import dev.shardplan.model.Plan;

import java.util.List;

/**
 * The prediction for one plan: the inputs it used, its step-time model and scheduler, and the
 * simulation result (null when the plan does not fit and was therefore not simulated).
 */
public record Prediction(Plan plan, long seed, PlanInputs inputs, Efficiency efficiency, RankLoad load,
                         SchedulerConfig scheduler, RooflineStepTime model, SimResult result, List<Diagnostic> diagnostics) {
    public Prediction {
        diagnostics = List.copyOf(diagnostics);
    }

    public boolean simulated() {
        return result != null;
    }
}
