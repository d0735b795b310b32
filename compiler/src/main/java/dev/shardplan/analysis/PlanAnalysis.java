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
 * For a disaggregated plan the figures are the decode pool's instance's and {@code pools} holds
 * both pools and the KV transfer (null for an aggregated plan). {@code fixes}: the verified plan
 * variants the checks offered as help lines, so that a later stage can weigh each by simulation
 * (api/Advice) without running the checks again.
 * Immutable; emitters and predictions consume it.
 */
public record PlanAnalysis(Plan plan, EngineConfig engine, GraphSummary graph, RankLayout layout, List<MemoryBudget> memory,
                           KvCapacity kv, Interconnect interconnect, List<Diagnostic> diagnostics, PoolsAnalysis pools,
                           List<CheckContext.Fix> fixes) {
    public PlanAnalysis {
        memory = List.copyOf(memory);
        diagnostics = List.copyOf(diagnostics);
        fixes = List.copyOf(fixes);
    }

    /** The analysis of a plan with pools, before its checks offered fixes. */
    public PlanAnalysis(Plan plan, EngineConfig engine, GraphSummary graph, RankLayout layout, List<MemoryBudget> memory,
                        KvCapacity kv, Interconnect interconnect, List<Diagnostic> diagnostics, PoolsAnalysis pools) {
        this(plan, engine, graph, layout, memory, kv, interconnect, diagnostics, pools, List.of());
    }

    /** The analysis of an aggregated plan. */
    public PlanAnalysis(Plan plan, EngineConfig engine, GraphSummary graph, RankLayout layout, List<MemoryBudget> memory,
                        KvCapacity kv, Interconnect interconnect, List<Diagnostic> diagnostics) {
        this(plan, engine, graph, layout, memory, kv, interconnect, diagnostics, null);
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
        return new PlanAnalysis(plan, engine, graph, layout, memory, kv, interconnect, ds, pools, fixes);
    }

    PlanAnalysis withDiagnostics(List<Diagnostic> ds, List<CheckContext.Fix> offered) {
        return new PlanAnalysis(plan, engine, graph, layout, memory, kv, interconnect, ds, pools, offered);
    }

    PlanAnalysis withPools(PoolsAnalysis p) {
        return new PlanAnalysis(plan, engine, graph, layout, memory, kv, interconnect, diagnostics, p, fixes);
    }
}
