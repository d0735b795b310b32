package dev.shardplan.analysis;

import dev.shardplan.graph.Link;
import dev.shardplan.model.Disaggregation;

/**
 * What the analysis knows about a disaggregated plan's pools: each pool's instance analysed as a
 * plan of its own, the KV transfer of a request of the mean and the p95 prompt, the request rates
 * each pool sustains by the analysis's step costs, the rate the pools serve together (the
 * workload's, capped by the slower pool), and the busiest link of the transfers at that rate
 * with its utilisation (above 1 the network cannot carry them: SP0503).
 */
public record PoolsAnalysis(Disaggregation disagg, PlanAnalysis prefill, PlanAnalysis decode, KvTransfer.Result mean,
                            KvTransfer.Result p95, double prefillRps, double decodeRps, double rate, double busiestUtilisation,
                            Link busiest) {}
