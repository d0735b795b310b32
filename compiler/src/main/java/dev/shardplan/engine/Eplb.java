package dev.shardplan.engine;

import dev.shardplan.layout.Rank;
import dev.shardplan.layout.RankLayout;
import dev.shardplan.layout.Shard;
import dev.shardplan.layout.Sharding;
import dev.shardplan.model.Derivation;
import dev.shardplan.model.Plan;

import java.util.Locale;

/**
 * The weights of the redundant expert copies that expert-parallel load balancing (EPLB) places,
 * per rank. Every engine lays the physical experts (routed + redundant) out like the routed ones:
 * vLLM's FusedMoE sizes global_num_experts = num_experts + num_redundant_experts and gives EP rank
 * i its determine_expert_map slice; SGLang's num_physical_experts = routed + ep_num_redundant_experts,
 * num_physical_experts / ep_size per rank; TensorRT-LLM's load balancer num_slots / ep_size. A copy
 * is one more expert of this rank's shard (its width split like the routed ones), in every MoE
 * layer the rank holds.
 */
final class Eplb {
    private Eplb() {}

    /** {@code copies} experts more on this rank, {@code bytes} their weights (0 and null without EPLB copies or EP). */
    record Extra(long copies, long bytes, Derivation derivation) {
        static final Extra NONE = new Extra(0, 0, null);
    }

    static Extra of(EngineConfig cfg, Plan plan, RankLayout layout, Rank r) {
        var moe = plan.model().moe();
        long redundant = cfg.spec().redundantExperts(cfg, plan.model());
        Shard s = r.shard();
        if (moe == null || redundant <= 0 || layout.epSize() <= 1 || s.moeLayers() == 0 || s.experts().size() <= 0) return Extra.NONE;
        long physical = moe.experts() + redundant;
        if (physical > Integer.MAX_VALUE) return Extra.NONE;
        int here = Sharding.expertSlice((int) physical, layout.epSize(), r.ep()).size();
        int routed = s.experts().size();
        long copies = Math.max(0, here - routed);
        if (copies == 0) return Extra.NONE;
        long perExpert = s.weights().experts() / routed;
        long bytes = copies * perExpert;
        Derivation d = new Derivation("eplb copies",
                "(routed + redundant experts) split over the ep ranks like the routed ones; each copy weighs one of this rank's experts over its MoE layers",
                String.format(Locale.ROOT, "slice of (%d + %d) over %d ranks = %d experts here, %d routed: %d copies x %d B = %d B (%.2f GiB)",
                        moe.experts(), redundant, layout.epSize(), here, routed, copies, perExpert, bytes, bytes / (double) (1L << 30)),
                "vllm FusedMoE global_num_experts = num_experts + num_redundant_experts (determine_expert_map); "
                        + "sglang num_physical_experts = n_routed_experts + ep_num_redundant_experts; tensorrt_llm MoeLoadBalancerConfig num_slots / ep_size");
        return new Extra(copies, bytes, d);
    }
}
