package dev.shardplan.emit;

import com.fasterxml.jackson.databind.JsonNode;
import dev.shardplan.analysis.PlanAnalysis;
import dev.shardplan.analysis.PoolsAnalysis;
import dev.shardplan.engine.EngineConfig;
import dev.shardplan.model.Plan;
import dev.shardplan.predict.Prediction;
import dev.shardplan.predict.PredictionRenderer;
import dev.shardplan.report.PlanReport;

/**
 * What an emitter reads: the resolved plan, its engine configuration (release and effective
 * settings), its rank layout and memory budget, the plan's source
 * path relative to the project root (as written into generated files), and the predictions of
 * the predict stage when they were computed (null otherwise; plan.json then has no
 * "predictions"), what the report target shows (null unless the plan emits a report), and the
 * analysis of a disaggregated plan's pools (null for an aggregated plan), from which the pool
 * launchers take each instance's engine and layout.
 */
public record EmitInput(Plan plan, EngineConfig engine, Layout layout, String source, JsonNode predictions, PlanReport report,
                        PoolsAnalysis pools) {
    public EmitInput(Plan plan, EngineConfig engine, Layout layout, String source) {
        this(plan, engine, layout, source, null, null, null);
    }

    public EmitInput(Plan plan, EngineConfig engine, Layout layout, String source, JsonNode predictions, PlanReport report) {
        this(plan, engine, layout, source, predictions, report, null);
    }

    /** This input with the predict stage's result, written into plan.json as "predictions". */
    public EmitInput withPrediction(Prediction p) {
        return new EmitInput(plan, engine, layout, source, PredictionRenderer.toJson(p), report, pools);
    }

    /** This input with the report target's input (the analysis and prediction it shows). */
    public EmitInput withReport(PlanReport r) {
        return new EmitInput(plan, engine, layout, source, predictions, r, pools);
    }

    /** An input whose engine configuration, layout and memory budgets are the analysis stage's result for the plan. */
    public static EmitInput of(Plan plan, PlanAnalysis analysis) {
        return new EmitInput(plan, analysis.engine(), AnalysisLayout.of(plan, analysis), source(plan), null, null, analysis.pools());
    }

    static String source(Plan plan) {
        return plan.sourceFile() == null ? "" : plan.sourceFile().replace('\\', '/');
    }

    public Deployment deployment() {
        return Deployment.of(plan);
    }
}
