package dev.shardplan.analysis;

import dev.shardplan.engine.MemoryBudget;
import dev.shardplan.layout.GroupKind;
import dev.shardplan.model.Plan;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Wide expert parallelism in the per-rank budget: DeepEP's buffers (vLLM's all2all_backend) and
 * the weights of EPLB's redundant expert copies, and DeepEP's FP8 dispatch on the wire, against
 * figures derived by hand.
 */
class WideEpMemoryTest {
    static final long GIB = 1L << 30, WORKSPACE = 32L << 20;
    /**
     * One DeepSeek-R1 routed expert in one layer, fp8 with fp32 scales per 128 x 128 block:
     * gate + up 4,096 x 7,168 = 29,360,128 B + 32 x 56 scales x 4 B = 7,168 B; down 7,168 x 2,048 =
     * 14,680,064 B + 56 x 16 x 4 B = 3,584 B; 44,050,944 B.
     */
    static final long R1_EXPERT = 29_360_128L + 7_168 + 14_680_064 + 3_584;
    /** DeepSeek-R1's MoE layers: 61 decoder layers, the first 3 dense. */
    static final int R1_MOE_LAYERS = 58;

    static Plan r1(int nodes, String parallel, String engine) {
        return Fixtures.simple("deepseek_r1", "HGX_H200", nodes, parallel, engine, "natural_reasoning");
    }

    static MemoryBudget rank0(Plan p) {
        return Analyzer.analyze(p).memory(0);
    }

    @Test
    void vllmLowLatencyDeepEpOverTwoNodesTakesItsBuffersFromTheKvPool() {
        // dp 16 x ep 16 over two HGX H200: vLLM's all-to-all kernels run (dp > 1 and expert parallel).
        // Low-latency RDMA buffer at VLLM_MOE_DP_CHUNK_SIZE 256 tokens, hidden 7,168, 256 experts:
        // dispatch message 16 + 14,336 = 14,352 B, combine 224 + 14,336 = 14,560 B;
        // send = recv = 256 x 256 x 14,560 = 954,204,160; signalling 1,024; 4 x 954,204,160 + 2,048
        // = 3,816,818,688, one 128-byte unit more: 3,816,818,816 B. With the NVLink buffer (1 GiB)
        // and the workspace (32 MiB): 4,924,115,072 B (4.59 GiB) per rank.
        MemoryBudget plain = rank0(r1(2, "dp 16; ep 16", "vllm { }"));
        MemoryBudget ll = rank0(r1(2, "dp 16; ep 16", "vllm { all2all_backend deepep_low_latency }"));
        long buffers = 3_816_818_816L + GIB + WORKSPACE;
        assertEquals(4_924_115_072L, buffers);
        assertEquals(buffers, ll.nonTorch() - plain.nonTorch());
        assertEquals(buffers, plain.kvPool() - ll.kvPool());
        assertTrue(ll.derivation().stream().anyMatch(d -> d.quantity().equals("all-to-all buffers") && d.numbers().contains("4924115072")),
                "the derivation shows the buffers");
    }

    @Test
    void vllmHighThroughputDeepEpHasAnRdmaBufferOnlyAcrossNodes() {
        MemoryBudget one = rank0(r1(1, "dp 8; ep 8", "vllm { }"));
        MemoryBudget oneHt = rank0(r1(1, "dp 8; ep 8", "vllm { all2all_backend deepep_high_throughput }"));
        assertEquals(GIB + WORKSPACE, oneHt.nonTorch() - one.nonTorch(), "inside one node: the NVLink buffer and the workspace");
        MemoryBudget two = rank0(r1(2, "dp 16; ep 16", "vllm { }"));
        MemoryBudget twoHt = rank0(r1(2, "dp 16; ep 16", "vllm { all2all_backend deepep_high_throughput }"));
        assertEquals(2 * GIB + WORKSPACE, twoHt.nonTorch() - two.nonTorch(), "across nodes: 1 GiB of RDMA buffer more");
    }

    @Test
    void vllmWithoutDataParallelRunsNoAllToAllKernels() {
        // tp 8 x ep 8 in one engine: use_all2all_kernels is dp > 1 and EP, so no DeepEP Buffer.
        MemoryBudget a = rank0(r1(1, "tp 8; ep 8", "vllm { }"));
        MemoryBudget b = rank0(r1(1, "tp 8; ep 8", "vllm { all2all_backend deepep_low_latency }"));
        assertEquals(a.nonTorch(), b.nonTorch());
    }

    @Test
    void redundantExpertsAddTheirWeightsAndGrowTheLowLatencyBuffer() {
        // 32 copies over 16 EP ranks: (256 + 32) / 16 = 18 experts per rank instead of 16, 2 copies
        // in each of 58 MoE layers: 2 x 58 x 44,050,944 = 5,109,909,504 B (4.76 GiB).
        MemoryBudget plain = rank0(r1(2, "dp 16; ep 16", "vllm { all2all_backend deepep_low_latency }"));
        MemoryBudget eplb = rank0(r1(2, "dp 16; ep 16",
                "vllm { all2all_backend deepep_low_latency; enable_eplb true; num_redundant_experts 32 }"));
        assertEquals(2L * R1_MOE_LAYERS * R1_EXPERT, eplb.weights() - plain.weights());
        assertEquals(5_109_909_504L, eplb.weights() - plain.weights());
        // The dispatch addresses 288 experts: combine buffers 288 x 256 x 14,560 = 1,073,479,680 B,
        // 4 x 1,073,479,680 + 2 x align(1,152, 128) = 4,293,921,024, + 128: 4,293,921,152 B, 477,102,336 B more.
        assertEquals(4_293_921_152L - 3_816_818_816L, eplb.nonTorch() - plain.nonTorch());
        assertTrue(eplb.derivation().stream().anyMatch(d -> d.quantity().equals("eplb copies")), "the derivation says so");
    }

    @Test
    void everyEngineCountsItsRedundantCopiesInItsOwnWords() {
        // tp 8 x ep 8: 32 routed experts per rank; 32 copies make (256 + 32) / 8 = 36, 4 copies per
        // layer: 4 x 58 x 44,050,944 = 10,219,819,008 B. TensorRT-LLM counts slots: 256 + 32 = 288.
        long copies = 4L * R1_MOE_LAYERS * R1_EXPERT;
        assertEquals(10_219_819_008L, copies);
        for (String[] e : new String[][] {{"vllm { }", "vllm { enable_eplb true; num_redundant_experts 32 }"},
                {"sglang { }", "sglang { enable_eplb true; ep_num_redundant_experts 32 }"},
                {"trtllm { }", "trtllm { eplb_slots 288 }"}}) {
            MemoryBudget a = rank0(r1(1, "tp 8; ep 8", e[0])), b = rank0(r1(1, "tp 8; ep 8", e[1]));
            assertEquals(copies, b.weights() - a.weights(), e[1]);
            assertTrue(b.kvPool() < a.kvPool(), e[1] + ": the copies come out of the KV pool");
        }
    }

    static Collective ep(PlanAnalysis a) {
        return a.interconnect().decode().stream().filter(c -> c.group() == GroupKind.EP).findFirst().orElseThrow();
    }

    @Test
    void deepEpDispatchesABlockFp8ModelInFp8() {
        // DeepSeek-R1 is FP8 in 128 x 128 blocks: DeepEP's dispatch carries 7,168 B of e4m3 and 56 fp32
        // scales (7,392 B) per token and expert, the combine 7,168 x 2 = 14,336 B; one of each per MoE
        // layer, a mean of 10,864 B instead of 14,336 B, over the same NICs.
        PlanAnalysis plain = Analyzer.analyze(r1(2, "dp 16; ep 16", "vllm { }"));
        PlanAnalysis ll = Analyzer.analyze(r1(2, "dp 16; ep 16", "vllm { all2all_backend deepep_low_latency }"));
        long tokens = ll.interconnect().decodeBatch();
        assertEquals(tokens * 8 * 7168 * 2, ep(plain).messageBytes());
        assertEquals(tokens * 8 * 10_864, ep(ll).messageBytes());
        assertTrue(ep(ll).overNetwork() && ep(ll).seconds() < ep(plain).seconds(), "less time on the NICs");
        // SGLang's DeepEP dispatcher does the same.
        PlanAnalysis s = Analyzer.analyze(r1(2, "dp 16; ep 16; dp_attention true", "sglang { moe_a2a_backend deepep }"));
        assertEquals(s.interconnect().decodeBatch() * 8 * 10_864, ep(s).messageBytes());
    }

    @Test
    void sglangDeepEpBuffersComeOutOfTheHeadroomNotThePool() {
        // deepep_mode auto at dp 16 x ep 16 (attention DP): the normal NVLink buffer 377,673,984 B,
        // the larger RDMA buffer (low latency, 128 tokens x 256 experts: 1,908,410,496 B against the
        // normal 91,887,744) and the workspace: 2,319,638,912 B (2.16 GiB).
        String par = "dp 16; ep 16; dp_attention true";
        MemoryBudget plain = rank0(r1(2, par, "sglang { mem_fraction_static 0.8 }"));
        MemoryBudget deepep = rank0(r1(2, par, "sglang { mem_fraction_static 0.8; moe_a2a_backend deepep }"));
        assertEquals(2_319_638_912L, deepep.afterPool());
        assertEquals(plain.kvPool(), deepep.kvPool(), "created after the pool is sized");
        assertEquals(0, plain.afterPool());
        assertTrue(deepep.headroom() > deepep.afterPool(), "0.8 leaves room");
        // Low-latency mode alone: no NVLink buffer; the RDMA buffer and the workspace.
        MemoryBudget ll = rank0(r1(2, par, "sglang { mem_fraction_static 0.8; moe_a2a_backend deepep; deepep_mode low_latency }"));
        assertEquals(1_908_410_496L + WORKSPACE, ll.afterPool());
        // 0.99 leaves 1.38 GiB: SP0406, with the fraction that fits.
        PlanAnalysis tight = Analyzer.analyze(r1(2, par, "sglang { mem_fraction_static 0.99; moe_a2a_backend deepep }"));
        assertTrue(tight.diagnostics().stream().anyMatch(d -> d.code() == AnalysisCodes.HEADROOM_TOO_SMALL
                && d.help() != null && d.help().contains("0.99 -> 0.98")), tight.diagnostics().toString());
    }
}
