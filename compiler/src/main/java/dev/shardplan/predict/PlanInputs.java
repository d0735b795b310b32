package dev.shardplan.predict;

/**
 * What the predictions need from the analyses of a plan: the KV blocks of one DP replica (its
 * smallest rank's pool), whether the plan fits at all, the collective costs of its groups, and how
 * its engine release runs the serving loop. {@link AnalysisInputs} derives them from the analysis
 * stage's memory budget and device graph.
 *
 * @param fits               every rank's weights and reserves fit and leave room for KV
 * @param kvBlocksPerReplica KV blocks of one replica (0 when it does not fit)
 * @param reason             why it does not fit (empty when it does)
 * @param comm               the collectives of a step over the plan's groups (the analysis' schedule,
 *                           with the plan's call latency and link efficiency)
 * @param engine             the engine configuration (release, effective settings) the analyses used
 * @param loop               the engine's serving loop for this plan
 * @param layout             the rank layout (its MoE split: EP size, expert-slice TP, MoE group)
 */
public record PlanInputs(boolean fits, long kvBlocksPerReplica, String reason, dev.shardplan.analysis.CollectiveSchedule comm,
                         dev.shardplan.engine.EngineConfig engine, dev.shardplan.engine.EngineLoop loop,
                         dev.shardplan.layout.RankLayout layout) {}
