package dev.shardplan.layout;

import dev.shardplan.analysis.Fixtures;
import dev.shardplan.model.EngineKind;
import dev.shardplan.model.Plan;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class LayoutTest {
    static Plan plan(String cluster, String model, String parallel, String engine) {
        return Fixtures.plan("cluster c { " + cluster + " }\nplan p { model " + model + "; cluster c; workload natural_reasoning\n"
                + "  parallel { " + parallel + " }\n  engine " + engine + "\n}\n", "p");
    }

    static List<List<Integer>> ranks(RankLayout l, GroupKind k) {
        return l.groups(k).stream().map(Group::ranks).toList();
    }

    @Test
    void vllm_order_is_dp_pp_tp_with_tp_fastest() {
        // vllm parallel_state.initialize_model_parallel: all_ranks.reshape(-1, dp, pp, tp)
        RankLayout l = dev.shardplan.engine.Engines.layout(plan("nodes 1 x HGX_H100", "llama_3_1_8b", "dp 2; pp 2; tp 2", "vllm { }"));
        assertEquals(List.of(List.of(0, 1), List.of(2, 3), List.of(4, 5), List.of(6, 7)), ranks(l, GroupKind.TP));
        assertEquals(List.of(List.of(0, 2), List.of(1, 3), List.of(4, 6), List.of(5, 7)), ranks(l, GroupKind.PP));
        assertEquals(List.of(List.of(0, 4), List.of(1, 5), List.of(2, 6), List.of(3, 7)), ranks(l, GroupKind.DP));
        Rank r5 = l.rank(5);
        assertEquals(1, r5.dp());
        assertEquals(0, r5.pp());
        assertEquals(1, r5.tp());
        assertEquals(5, r5.gpu());
        assertEquals(new Range(0, 16), r5.shard().layers());
        assertEquals(new Range(16, 32), l.rank(6).shard().layers());
        assertTrue(l.rank(6).shard().lmHead() && !l.rank(6).shard().embedding());
    }

    @Test
    void remainder_layers_go_where_each_engine_puts_them() {
        // 126 layers over 4 stages, remainder 2.
        assertEquals(List.of(31, 32, 32, 31), sizes(Sharding.stages(126, 4, rules(EngineKind.VLLM).remainder(), List.of())));   // partitions[-2], [-3]
        assertEquals(List.of(31, 31, 32, 32), sizes(Sharding.stages(126, 4, rules(EngineKind.SGLANG).remainder(), List.of())));  // the last N
        assertEquals(List.of(32, 32, 31, 31), sizes(Sharding.stages(126, 4, rules(EngineKind.TRTLLM).remainder(), List.of())));  // the first N
        assertEquals(List.of(20, 32, 74), sizes(Sharding.stages(126, 3, rules(EngineKind.VLLM).remainder(), List.of(20, 32, 74))));
        // 61 layers over 4 stages with vLLM: base 15, remainder 1 -> stage 2: [15, 15, 16, 15]
        assertEquals(List.of(15, 15, 16, 15), sizes(Sharding.stages(61, 4, rules(EngineKind.VLLM).remainder(), List.of())));
    }

    static LayoutRules rules(EngineKind k) {
        return dev.shardplan.engine.Engines.spec(k).layoutRules();
    }

    static List<Integer> sizes(List<Range> rs) {
        return rs.stream().map(Range::size).toList();
    }

    @Test
    void kv_heads_are_replicated_when_tp_exceeds_them() {
        // 8 KV heads at tp 16: each head on 2 ranks, 1 cached per rank (vLLM max(1, 8 // 16)).
        RankLayout l = dev.shardplan.engine.Engines.layout(plan("nodes 2 x HGX_H100", "llama_3_1_70b", "tp 16", "vllm { }"));
        for (Rank r : l.ranks()) {
            assertEquals(new Range(r.tp() / 2, r.tp() / 2 + 1), r.shard().kvHeads());
            assertEquals(1, r.shard().kvHeadsCached());
            assertEquals(new Range(4 * r.tp(), 4 * r.tp() + 4), r.shard().qHeads());
        }
        var m = plan("nodes 1 x HGX_H100", "llama_3_1_70b", "tp 1", "vllm { }").model();
        assertEquals(1, Sharding.kvHeadsCached(m, 16, rules(EngineKind.VLLM).kvHeads()));
        assertEquals(1, Sharding.kvHeadsCached(m, 16, rules(EngineKind.TRTLLM).kvHeads()));   // ceil(8 / 16)
        assertEquals(2, Sharding.kvHeadsCached(m, 4, rules(EngineKind.VLLM).kvHeads()));
    }

    @Test
    void vocabulary_is_padded_to_64_and_split_over_tp() {
        assertEquals(128256, Sharding.paddedVocab(128256, 8));
        assertEquals(129280, Sharding.paddedVocab(129280, 8));      // DeepSeek: 2020 x 64
        assertEquals(32064, Sharding.paddedVocab(32000 + 1, 1));    // padded up to the next multiple of 64
        RankLayout l = dev.shardplan.engine.Engines.layout(plan("nodes 1 x HGX_H100", "llama_3_1_70b", "tp 8", "vllm { }"));
        assertEquals(new Range(16032 * 3, 16032 * 4), l.rank(3).shard().vocab());
    }

    @Test
    void expert_parallel_groups_follow_each_engine() {
        // SGLang: moe_ep_rank = tp_rank // (tp / ep): strided EP groups inside the TP group.
        RankLayout s = dev.shardplan.engine.Engines.layout(plan("nodes 1 x HGX_H200", "qwen3_30b_a3b", "tp 8; ep 4", "sglang { }"));
        assertEquals(List.of(List.of(0, 2, 4, 6), List.of(1, 3, 5, 7)), ranks(s, GroupKind.EP));
        assertEquals(new Range(32, 64), s.rank(2).shard().experts());
        assertEquals(new Range(0, 384), s.rank(0).shard().expertFfn());
        assertEquals(new Range(384, 768), s.rank(1).shard().expertFfn());
        // TRT-LLM: moe_ep_rank = tp_rank % ep: contiguous EP groups.
        RankLayout t = dev.shardplan.engine.Engines.layout(plan("nodes 1 x HGX_H200", "qwen3_30b_a3b", "tp 8; ep 4", "trtllm { }"));
        assertEquals(List.of(List.of(0, 1, 2, 3), List.of(4, 5, 6, 7)), ranks(t, GroupKind.EP));
        // vLLM: EP is the dp x tp ranks of a stage; 128 experts over 8 ranks.
        RankLayout v = dev.shardplan.engine.Engines.layout(plan("nodes 1 x HGX_H200", "qwen3_30b_a3b", "dp 2; tp 4; ep 8", "vllm { }"));
        assertEquals(List.of(List.of(0, 1, 2, 3, 4, 5, 6, 7)), ranks(v, GroupKind.EP));
        assertEquals(8, v.epSize());
        assertEquals(new Range(16 * 5, 16 * 6), v.rank(5).shard().experts());
        assertEquals(new Range(0, 768), v.rank(5).shard().expertFfn());
    }

    @Test
    void explicit_placement_maps_ranks_to_gpus() {
        RankLayout l = dev.shardplan.engine.Engines.layout(plan("nodes 2 x HGX_H100", "llama_3_1_8b", "dp 2; tp 2; placement 0, 8, 1, 9", "vllm { }"));
        assertTrue(l.explicitPlacement());
        assertEquals(8, l.rank(1).gpu());
        assertEquals(1, l.rank(1).node());
        assertEquals(0, l.rank(1).localGpu());
    }

    @Test
    void fp8_block_scales_are_counted() {
        // DeepSeek-R1 at tp 8: one routed expert's slice is gate_up 512 x 7168 and down 7168 x 256 in fp8,
        // with ceil(512/128) x 56 + 56 x 2 fp32 scales = 224 + 112 = 336 x 4 B.
        RankLayout l = dev.shardplan.engine.Engines.layout(plan("nodes 1 x HGX_H200", "deepseek_r1", "tp 8", "vllm { }"));
        WeightBytes w = l.rank(0).shard().weights();
        long perExpert = 512L * 7168 + 7168L * 256 + 336 * 4;
        assertEquals(perExpert * 256 * 58, w.experts());
        assertTrue(w.scales() > 0);
        assertEquals(16160L * 7168 * 2, w.embedding()); // kept in bf16
    }
}
