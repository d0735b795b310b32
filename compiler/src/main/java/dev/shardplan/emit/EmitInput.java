package dev.shardplan.emit;

import com.fasterxml.jackson.databind.JsonNode;
import dev.shardplan.analysis.PlanAnalysis;
import dev.shardplan.analysis.PoolsAnalysis;
import dev.shardplan.engine.EngineConfig;
import dev.shardplan.engine.MemoryBudget;
import dev.shardplan.layout.RankLayout;
import dev.shardplan.model.Plan;
import dev.shardplan.predict.Prediction;
import dev.shardplan.predict.PredictionRenderer;
import dev.shardplan.report.PlanReport;

import java.util.List;

/**
 * What an emitter reads: the resolved plan, its engine configuration (release and effective
 * settings), its rank layout and each rank's memory budget (the analysis stage's), the plan's source
 * path relative to the project root (as written into generated files), and the predictions of
 * the predict stage when they were computed (null otherwise; plan.json then has no
 * "predictions"), what the report target shows (null unless the plan emits a report), and the
 * analysis of a disaggregated plan's pools (null for an aggregated plan), from which the pool
 * launchers take each instance's engine and layout.
 */
public record EmitInput(Plan plan, EngineConfig engine, RankLayout layout, List<MemoryBudget> memory, String source,
                        JsonNode predictions, PlanReport report, PoolsAnalysis pools) {
    public EmitInput {
        memory = memory == null ? List.of() : List.copyOf(memory);
    }

    public EmitInput(Plan plan, EngineConfig engine, RankLayout layout, List<MemoryBudget> memory, String source) {
        this(plan, engine, layout, memory, source, null, null, null);
    }

    /** This input with the predict stage's result, written into plan.json as "predictions". */
    public EmitInput withPrediction(Prediction p) {
        return new EmitInput(plan, engine, layout, memory, source, PredictionRenderer.toJson(p), report, pools);
    }

    /** This input with the report target's input (the analysis and prediction it shows). */
    public EmitInput withReport(PlanReport r) {
        return new EmitInput(plan, engine, layout, memory, source, predictions, r, pools);
    }

    /** An input whose engine configuration, layout and memory budgets are the analysis stage's result for the plan. */
    public static EmitInput of(Plan plan, PlanAnalysis analysis) {
        return new EmitInput(plan, analysis.engine(), analysis.layout(), analysis.memory(), source(plan), null, null, analysis.pools());
    }

    /** Rank {@code rank}'s memory as the plan's engine accounts for it. */
    public MemoryBudget memory(int rank) {
        return memory.get(rank);
    }

    /** GPUs per node of the plan's cluster. */
    public int gpusPerNode() {
        return plan.cluster().node().gpus();
    }

    /** The host name of a node: the deploy block's, else {@code node<n>}. */
    public String host(int node) {
        return plan.deploy() != null && node < plan.deploy().hosts().size() ? plan.deploy().hosts().get(node) : "node" + node;
    }

    static String source(Plan plan) {
        return plan.sourceFile() == null ? "" : plan.sourceFile().replace('\\', '/');
    }

    public Deployment deployment() {
        return Deployment.of(plan);
    }
}
