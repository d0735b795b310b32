package dev.shardplan.analysis;

import dev.shardplan.engine.MemoryBudget;
import dev.shardplan.layout.Rank;
import dev.shardplan.model.Plan;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Serving recipes in the memory budget and the KV analysis: MTP's weights and KV layer, the host tier of a KV offload. */
class RecipeMemoryTest {
    static Plan r1(String engine) {
        return Fixtures.simple("deepseek_r1", "HGX_H200", 1, "tp 8; ep 8", engine, "natural_reasoning");
    }

    @Test
    void mtpAddsItsLayerToTheLastStagesWeightsAndKv() {
        for (String[] e : new String[][] {{"vllm { }", "vllm { num_speculative_tokens 1 }"},
                {"sglang { }", "sglang { speculative_num_steps 2 }"}, {"trtllm { }", "trtllm { mtp_layers 1 }"}}) {
            PlanAnalysis off = Analyzer.analyze(r1(e[0])), on = Analyzer.analyze(r1(e[1]));
            Rank last = on.layout().ranks().get(0);
            MemoryBudget a = off.memory(last.rank()), b = on.memory(last.rank());
            long extra = b.weights() - a.weights();
            // One DeepSeek-R1 MoE layer at tp 8 / ep 8 (32 of 256 fp8 experts, ~1.4 GB) plus eh_proj 2h x h in bf16 (0.2 GB).
            assertTrue(extra > 1_200_000_000L && extra < 2_200_000_000L, e[1] + ": MTP weights per rank " + extra);
            assertEquals(a.kvLayers() + 1, b.kvLayers(), e[1] + ": the drafter's layer has its own KV");
            assertTrue(on.kv().tokens() < off.kv().tokens(), e[1] + ": fewer KV tokens");
            assertTrue(b.derivation().stream().anyMatch(d -> d.quantity().equals("mtp drafter")), "the derivation says so");
        }
    }

    @Test
    void aKvOffloadIsAHostTierInTheKvAnalysis() {
        PlanAnalysis none = Analyzer.analyze(r1("vllm { }"));
        assertNull(none.kv().offload());
        // vLLM's size is the total over the engine's 8 TP ranks: 100 GiB per rank.
        PlanAnalysis v = Analyzer.analyze(r1("vllm { kv_offloading_size 800 GiB }"));
        assertEquals(100L << 30, v.kv().offload().bytesPerRank());
        assertEquals((100L << 30) / v.kv().bytesPerToken(), v.kv().offload().tokens());
        assertEquals(v.kv().tokens(), none.kv().tokens(), "the GPU pool is unchanged");
        // SGLang's is per rank, in GB.
        PlanAnalysis s = Analyzer.analyze(r1("sglang { hicache_size 100 GB }"));
        assertEquals(100_000_000_000L, s.kv().offload().bytesPerRank());
        assertTrue(ExplainReport.human(v, false).contains("kv offload to host memory: 100.00 GiB per rank"), ExplainReport.human(v, false));
    }
}
