package dev.shardplan.emit;

import com.fasterxml.jackson.databind.JsonNode;
import dev.shardplan.model.Plan;
import dev.shardplan.predict.Prediction;
import dev.shardplan.predict.PredictionRenderer;

/**
 * What an emitter reads: the resolved plan, its rank layout and memory budget, the plan's source
 * path relative to the project root (as written into generated files), and the predictions of
 * the predict stage when they were computed (null otherwise; plan.json then has no
 * "predictions").
 */
public record EmitInput(Plan plan, Layout layout, String source, JsonNode predictions) {
    public EmitInput(Plan plan, Layout layout, String source) {
        this(plan, layout, source, null);
    }

    /** This input with the predict stage's result, written into plan.json as "predictions". */
    public EmitInput withPrediction(Prediction p) {
        return new EmitInput(plan, layout, source, PredictionRenderer.toJson(p));
    }

    /** An input whose layout is computed from the plan alone ({@link InterimLayout}). */
    public static EmitInput of(Plan plan) {
        return new EmitInput(plan, InterimLayout.of(plan), plan.sourceFile() == null ? "" : plan.sourceFile().replace('\\', '/'));
    }

    public Deployment deployment() {
        return Deployment.of(plan);
    }
}
