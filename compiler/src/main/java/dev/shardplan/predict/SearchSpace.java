package dev.shardplan.predict;

import dev.shardplan.diag.Span;
import dev.shardplan.model.Cluster;
import dev.shardplan.model.DType;
import dev.shardplan.model.EfficiencyProfile;
import dev.shardplan.model.EngineBlock;
import dev.shardplan.model.Model;
import dev.shardplan.model.Slo;
import dev.shardplan.model.Workload;

import java.util.List;
import java.util.Map;

/**
 * A {@code search} declaration, resolved: what to explore and what to optimise. Empty degree
 * lists mean "every value that divides the GPUs"; {@code gpus} 0 means all of the cluster's.
 *
 * @param engine     the engine settings every candidate starts from
 * @param maxNumSeqs values of the engine's max-sequences setting to try (empty: the engine block's, else the release default)
 * @param kvDtypes   KV cache types to try (empty: the model's)
 * @param maxBatchedTokens values of the engine's step token budget (vLLM max_num_batched_tokens,
 *                   SGLang chunked_prefill_size, TensorRT-LLM max_num_tokens) to try (empty: the
 *                   engine block's, else the release default)
 * @param dpAttention whether attention runs data-parallel over the MoE group, values to try (empty:
 *                   for a MoE model with dp > 1 both where the engine has the switch, see
 *                   {@code Search.enumerate}; otherwise off)
 * @param allGpus    use exactly {@code gpus} GPUs (true) or any divisor of it (false; the
 *                   throughput-per-GPU objective can prefer fewer)
 * @param efficiency the step-time profile every candidate carries (the resolver's choice for the
 *                   search's GPU and engine: nothing below api loads std:efficiency) * @param disaggregated whether to try the GPUs as one aggregated plan (false) and split into
 *                   prefill and decode pools (true), values to try (empty: aggregated only)
 * @param prefillInstances how many of a pool candidate's instances prefill (empty: every split
 *                   that leaves at least one instance to decode, see {@code Search.splits})
 */
public record SearchSpace(String name, Model model, Cluster cluster, Workload workload, EngineBlock engine, List<Slo> slos,
                          Objective objective, int gpus, boolean allGpus, List<Integer> dp, List<Integer> tp,
                          List<Integer> pp, List<Integer> ep, List<Integer> maxNumSeqs, List<DType> kvDtypes,
                          Map<String, Double> tuning, Span span, List<Integer> maxBatchedTokens, List<Boolean> dpAttention,
                          EfficiencyProfile efficiency, List<Boolean> disaggregated, List<Integer> prefillInstances) {
    /** A space of aggregated plans only. */
    public SearchSpace(String name, Model model, Cluster cluster, Workload workload, EngineBlock engine, List<Slo> slos,
                       Objective objective, int gpus, boolean allGpus, List<Integer> dp, List<Integer> tp,
                       List<Integer> pp, List<Integer> ep, List<Integer> maxNumSeqs, List<DType> kvDtypes,
                       Map<String, Double> tuning, Span span, List<Integer> maxBatchedTokens, List<Boolean> dpAttention,
                       EfficiencyProfile efficiency) {
        this(name, model, cluster, workload, engine, slos, objective, gpus, allGpus, dp, tp, pp, ep, maxNumSeqs, kvDtypes, tuning, span,
                maxBatchedTokens, dpAttention, efficiency, List.of(), List.of());
    }

    /** A space that leaves the step token budget as the engine block has it and attention DP to the engine's recipe. */
    public SearchSpace(String name, Model model, Cluster cluster, Workload workload, EngineBlock engine, List<Slo> slos,
                       Objective objective, int gpus, boolean allGpus, List<Integer> dp, List<Integer> tp,
                       List<Integer> pp, List<Integer> ep, List<Integer> maxNumSeqs, List<DType> kvDtypes,
                       Map<String, Double> tuning, Span span, EfficiencyProfile efficiency) {
        this(name, model, cluster, workload, engine, slos, objective, gpus, allGpus, dp, tp, pp, ep, maxNumSeqs, kvDtypes, tuning, span,
                List.of(), List.of(), efficiency);
    }

    public SearchSpace {
        maxBatchedTokens = List.copyOf(maxBatchedTokens);
        disaggregated = List.copyOf(disaggregated);
        prefillInstances = List.copyOf(prefillInstances);
        dpAttention = List.copyOf(dpAttention);
        slos = List.copyOf(slos);
        dp = List.copyOf(dp);
        tp = List.copyOf(tp);
        pp = List.copyOf(pp);
        ep = List.copyOf(ep);
        maxNumSeqs = List.copyOf(maxNumSeqs);
        kvDtypes = List.copyOf(kvDtypes);
        tuning = Map.copyOf(tuning);
    }

    /** Whether the space has aggregated candidates. */
    public boolean aggregated() {
        return disaggregated.isEmpty() || disaggregated.contains(false);
    }

    /** Whether the space has candidates split into prefill and decode pools. */
    public boolean pooled() {
        return disaggregated.contains(true);
    }

    public int gpuCount() {
        return gpus > 0 ? gpus : cluster.totalGpus();
    }

    public enum Objective {
        /** Output tokens per second of the whole deployment. */
        THROUGHPUT,
        /** Output tokens per second per GPU used. */
        THROUGHPUT_PER_GPU,
        /** Median time per output token (lower is better). */
        LATENCY;

        public String id() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }
    }
}
