package dev.shardplan.analysis;

import dev.shardplan.diag.Diagnostic;
import dev.shardplan.engine.EngineConfig;
import dev.shardplan.engine.MemoryBudget;
import dev.shardplan.graph.GraphSummary;
import dev.shardplan.layout.RankLayout;
import dev.shardplan.model.Plan;

import java.util.List;

/**
 * Everything the analysis stage knows about a plan: its engine configuration (release and
 * effective settings), the device graph's summary, the rank layout
 * (ranks, shards, groups), each rank's memory budget ({@code memory.get(rank)}), the clamped KV
 * capacity of one replica, the interconnect costs per step, and the diagnostics (sorted).
 * Immutable; emitters and predictions consume it.
 */
public record PlanAnalysis(Plan plan, EngineConfig engine, GraphSummary graph, RankLayout layout, List<MemoryBudget> memory,
                           KvCapacity kv, Interconnect interconnect, List<Diagnostic> diagnostics) {
    public PlanAnalysis {
        memory = List.copyOf(memory);
        diagnostics = List.copyOf(diagnostics);
    }

    public MemoryBudget memory(int rank) {
        return memory.get(rank);
    }

    /**
     * Whether the plan was analysed past its structure: false for a plan with more ranks than
     * its cluster has GPUs, whose layout, memory and interconnect are then absent (null).
     */
    public boolean laidOut() {
        return layout != null;
    }

    public boolean hasErrors() {
        for (Diagnostic d : diagnostics) if (d.isError()) return true;
        return false;
    }

    PlanAnalysis withDiagnostics(List<Diagnostic> ds) {
        return new PlanAnalysis(plan, engine, graph, layout, memory, kv, interconnect, ds);
    }
}
