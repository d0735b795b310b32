package dev.shardplan.analysis;

import dev.shardplan.graph.DeviceGraph;
import dev.shardplan.graph.Link;
import dev.shardplan.model.Plan;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.*;

/**
 * KV transfer figures of a disaggregated plan, derived by hand from the models' configs and the
 * HGX H200's NICs (8 x 400 Gb/s = 50 GB/s per GPU, one NIC per GPU).
 */
class KvTransferTest {
    private static final double NIC = 400e9 / 8;

    private static Plan plan(String model, String workload, String kvDtype, String prefill, int pReplicas, String decode, int dReplicas, int nodes) {
        return Fixtures.plan("cluster c { nodes " + nodes + " x HGX_H200 }\n"
                + "workload w { requests 100; arrival 1 req/s; prompt " + workload + " tokens; output 100 tokens; max_length 32k tokens }\n"
                + "plan p {\n  model " + model + "\n  cluster c\n  workload w\n  engine vllm { gpu_memory_utilization 0.90" + kvDtype + " }\n"
                + "  pool prefill { parallel { " + prefill + " }; replicas " + pReplicas + " }\n"
                + "  pool decode { parallel { " + decode + " }; replicas " + dReplicas + " }\n"
                + "  kv_transfer { connector nixl }\n}\n", "p");
    }

    /**
     * Llama 3.1 70B (GQA: 80 layers, 8 KV heads of 128, bf16): 80 x 2 x 8 x 128 x 2 B = 327,680 B
     * per prompt token; 8,000 tokens: 2,621,440,000 B. Prefill TP4 on node 0, decode TP4 on node 1:
     * decode rank t pulls its 2 heads from prefill rank t, a quarter each (655,360,000 B) over its
     * own NIC: 655,360,000 / 50e9 = 13.107 ms, plus the route's latency.
     */
    @Test
    void denseGqaEightThousandTokenPromptOnFourNics() {
        Plan p = plan("llama_3_1_70b", "8000", "", "tp 4", 2, "tp 4", 2, 2);
        PlanAnalysis a = Analyzer.analyze(p);
        PoolsAnalysis pools = a.pools();
        assertNotNull(pools, () -> "diagnostics: " + a.diagnostics());
        assertEquals(327_680, KvTransfer.logicalBytesPerToken(p.model(), pools.decode().engine()));
        KvTransfer.Result r = pools.mean();
        assertEquals(8000, r.promptTokens());
        assertEquals(2_621_440_000L, r.logicalBytes());
        assertEquals(2_621_440_000L, r.wireBytes(), "no head is replicated at tp 4: the wire carries the cache once");
        assertEquals(4, r.flows());
        assertEquals(655_360_000, r.busiestBytes(), 1);
        DeviceGraph g = DeviceGraph.of(p.cluster());
        double expected = 655_360_000 / NIC + g.latency(0, 8);
        assertEquals(expected, r.seconds(), 1e-9);
        assertEquals(0.013107, r.seconds(), 2e-5);
        assertTrue(r.busiest().kind() == Link.Kind.NIC || r.busiest().kind() == Link.Kind.NETWORK, r.busiest().describe());
    }

    /**
     * Decode at TP 8 with 8 KV heads still holds one head per rank; at TP 2 prefill, each prefill
     * rank's 4 heads go to 4 decode ranks, so two NICs send 1.31 GB each: 26.214 ms.
     */
    @Test
    void prefillTpSmallerThanDecodeSendsFromFewerNics() {
        Plan p = plan("llama_3_1_70b", "8000", "", "tp 2", 4, "tp 8", 1, 2);
        PoolsAnalysis pools = Analyzer.analyze(p).pools();
        assertNotNull(pools);
        KvTransfer.Result r = pools.mean();
        assertEquals(2_621_440_000L, r.wireBytes());
        assertEquals(8, r.flows());
        assertEquals(1_310_720_000, r.busiestBytes(), 1);
        assertEquals(1_310_720_000 / NIC, r.seconds(), 2e-5);
    }

    /**
     * DeepSeek-R1 (MLA: 61 layers, latent 512 + rope key 64 = 576 values per token and layer). An
     * fp8 cache holds 576 B: 61 x 576 = 35,136 B per prompt token, 4,000 tokens 140,544,000 B.
     * The decode pool runs attention data-parallel (dp 8, tp 1): one rank holds the request and
     * pulls the whole latent from one prefill rank over one NIC: 140,544,000 / 50e9 = 2.811 ms.
     * In bf16 it is twice that: 70,272 B per token, 5.622 ms.
     */
    @Test
    void deepseekR1MlaLatentOverOneNic() {
        Plan fp8 = plan("deepseek_r1", "4000", "; kv_cache_dtype fp8", "tp 8", 1, "dp 8; ep 8; dp_attention", 1, 2);
        PoolsAnalysis pools = Analyzer.analyze(fp8).pools();
        assertNotNull(pools);
        assertEquals(35_136, KvTransfer.logicalBytesPerToken(fp8.model(), pools.decode().engine()));
        KvTransfer.Result r = pools.mean();
        assertEquals(140_544_000L, r.logicalBytes());
        assertEquals(140_544_000L, r.wireBytes());
        assertEquals(1, r.flows());
        DeviceGraph g = DeviceGraph.of(fp8.cluster());
        assertEquals(140_544_000 / NIC + g.latency(0, 8), r.seconds(), 1e-9);
        assertEquals(0.0028109, r.seconds(), 2e-5);

        Plan bf16 = plan("deepseek_r1", "4000", "", "tp 8", 1, "dp 8; ep 8; dp_attention", 1, 2);
        PoolsAnalysis b = Analyzer.analyze(bf16).pools();
        assertNotNull(b);
        assertEquals(70_272, KvTransfer.logicalBytesPerToken(bf16.model(), b.decode().engine()));
        assertEquals(0.0056218, b.mean().seconds(), 2e-5);
    }

    /**
     * MLA at decode TP 8: every rank caches the whole latent, so the instance pulls it 8 times
     * (8 x 140,544,000 B on the wire), each rank from its own prefill rank over its own NIC: the
     * time stays one latent's, 2.811 ms.
     */
    @Test
    void mlaLatentIsPulledByEveryDecodeTpRank() {
        Plan p = plan("deepseek_r1", "4000", "; kv_cache_dtype fp8", "tp 8", 1, "tp 8", 1, 2);
        PoolsAnalysis pools = Analyzer.analyze(p).pools();
        assertNotNull(pools);
        KvTransfer.Result r = pools.mean();
        assertEquals(140_544_000L, r.logicalBytes());
        assertEquals(8 * 140_544_000L, r.wireBytes());
        assertEquals(8, r.flows());
        assertEquals(0.0028109, r.seconds(), 2e-5);
    }
}
