package dev.shardplan.analysis;

import dev.shardplan.layout.GroupKind;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The expert-parallel all-to-all appears in the schedule only where the engine runs its dispatch
 * and combine kernels (issue 12, item 6): vLLM with dp > 1 (use_all2all_kernels), SGLang with an
 * all-to-all backend or attention DP, TensorRT-LLM with attention DP. With EP inside a TP group
 * (dp 1, or attention TP) every rank holds all tokens and the TP all-reduce sums the MoE output.
 */
class EpAllToAllRuleTest {
    static PlanAnalysis analyze(String engine, String parallel) {
        return Analyzer.analyze(Fixtures.plan("cluster c { nodes 1 x HGX_H200 }\nplan p { model deepseek_r1; cluster c; workload natural_reasoning\n"
                + "  parallel { " + parallel + " }\n  engine " + engine + "\n}\n", "p"));
    }

    static List<Collective> ep(PlanAnalysis a) {
        return a.interconnect().decode().stream().filter(c -> c.group() == GroupKind.EP).toList();
    }

    /** The plan's layout is expert-parallel, its decode step has no EP collective, and its TP all-reduce is 2 per layer. */
    static void noAllToAll(String engine, String parallel) {
        PlanAnalysis a = analyze(engine, parallel);
        String what = engine + " " + parallel;
        assertTrue(a.layout().epSize() > 1, what);
        assertEquals(List.of(), ep(a), what);
        assertTrue(a.interconnect().schedule().kinds().stream().noneMatch(k -> k.group() == GroupKind.EP), what + ": the step model's schedule");
        Collective tp = a.interconnect().decode().stream().filter(c -> c.group() == GroupKind.TP).findFirst().orElseThrow();
        assertEquals(2 * 61, tp.count(), what);
    }

    static void allToAll(String engine, String parallel) {
        PlanAnalysis a = analyze(engine, parallel);
        List<Collective> ep = ep(a);
        assertEquals(1, ep.size(), engine + " " + parallel);
        assertEquals("ep all-to-all", ep.get(0).name(), engine + " " + parallel);
        assertEquals(2 * 58, ep.get(0).count(), engine + " " + parallel);
    }

    @Test
    void vllmRunsItsAllToAllKernelsOnlyWithDataParallelism() {
        noAllToAll("vllm { gpu_memory_utilization 0.9 }", "tp 8; ep 8");
        allToAll("vllm { gpu_memory_utilization 0.9 }", "dp 8; ep 8; dp_attention true");
        allToAll("vllm { gpu_memory_utilization 0.9 }", "dp 2; tp 4; ep 8");
    }

    @Test
    void sglangDispatchesWithAnAllToAllBackendOrAttentionDp() {
        noAllToAll("sglang { mem_fraction_static 0.85 }", "tp 8; ep 8");
        allToAll("sglang { mem_fraction_static 0.85; moe_a2a_backend deepep }", "tp 8; ep 8");
        allToAll("sglang { mem_fraction_static 0.85 }", "dp 8; ep 8; dp_attention true");
    }

    @Test
    void trtllmDispatchesOnlyWithAttentionDp() {
        noAllToAll("trtllm { free_gpu_memory_fraction 0.85 }", "tp 8; ep 8");
        allToAll("trtllm { free_gpu_memory_fraction 0.85 }", "dp 8; ep 8; dp_attention true");
    }
}
