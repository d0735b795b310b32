package dev.shardplan.analysis;

import dev.shardplan.diag.Code;
import dev.shardplan.diag.Diagnostic;
import dev.shardplan.diag.Severity;
import dev.shardplan.model.Plan;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * One test per analysis diagnostic: the plan that triggers it, the help it proposes, and the same
 * plan with that help applied (written again as source), on which the diagnostic is gone.
 */
class DiagnosticsTest {
    static Plan plan(String cluster, String model, String parallel, String engine, String workload) {
        return Fixtures.plan("cluster c { " + cluster + " }\nplan p {\n  model " + model + "\n  cluster c\n  workload "
                + workload + "\n  parallel { " + parallel + " }\n  engine " + engine + "\n}\n", "p");
    }

    static Diagnostic find(PlanAnalysis a, Code code) {
        for (Diagnostic d : a.diagnostics()) if (d.code().equals(code)) return d;
        return null;
    }

    static Diagnostic expect(Plan p, Code code, String help) {
        PlanAnalysis a = Analyzer.analyze(p);
        Diagnostic d = find(a, code);
        assertNotNull(d, "expected " + code + " in " + a.diagnostics());
        assertEquals(code.severity(), d.severity());
        assertTrue(d.help().contains(help), "help of " + code + " was: " + d.help());
        return d;
    }

    static void gone(Plan fixed, Code code) {
        PlanAnalysis a = Analyzer.analyze(fixed);
        assertTrue(find(a, code) == null, code + " still reported: " + a.diagnostics());
        List<Diagnostic> errors = a.diagnostics().stream().filter(Diagnostic::isError).collect(Collectors.toList());
        assertTrue(errors.isEmpty(), "fix introduced errors: " + errors);
    }

    static final String VLLM = "vllm { gpu_memory_utilization 0.90 }";
    static final String ONE_H100 = "nodes 1 x HGX_H100";
    static final String ONE_H200 = "nodes 1 x HGX_H200";

    @Test
    void sp0401_weights_do_not_fit() {
        // 70B in bf16 is 141 GB: one H100 cannot hold it; tp 2 leaves too little for one 32k sequence, tp 4 fits.
        Diagnostic d = expect(plan(ONE_H100, "llama_3_1_70b", "tp 1", VLLM, "natural_reasoning"),
                AnalysisCodes.WEIGHTS_DO_NOT_FIT, "use tp 1 -> 4");
        assertTrue(d.message().contains("131.45 GiB"), d.message());   // parameters + the 32 MB rope cache (LoadAllocation)
        gone(plan(ONE_H100, "llama_3_1_70b", "tp 4", VLLM, "natural_reasoning"), AnalysisCodes.WEIGHTS_DO_NOT_FIT);
    }

    @Test
    void sp0402_max_length_does_not_fit() {
        Diagnostic d = expect(plan(ONE_H100, "llama_3_1_70b", "tp 2", VLLM, "natural_reasoning"),
                AnalysisCodes.MAX_LENGTH_DOES_NOT_FIT, "use gpu_memory_utilization 0.90 -> 0.95");
        // 70B at tp 2: 163,840 B of kv per token, so 32k = 32,000 tokens need 4.9 GiB; 0.90 leaves 2.98 GiB, 0.95 another 3.96 GiB.
        assertTrue(d.message().startsWith("one sequence of 32,000 tokens needs 2,000 kv blocks, but the pool holds 1,222"), d.message());
        gone(plan(ONE_H100, "llama_3_1_70b", "tp 2", "vllm { gpu_memory_utilization 0.95 }", "natural_reasoning"),
                AnalysisCodes.MAX_LENGTH_DOES_NOT_FIT);
    }

    @Test
    void sp0403_capacity_trap_is_a_warning_with_counts_and_preemption_cost() {
        // 47,393 blocks per replica; p95 length 400 + 17,900 = 18,300 tokens = 1,144 blocks -> 41 fit;
        // a replica runs min(max_num_seqs 1024, 2000 requests / dp 4) = 500.
        Diagnostic d = expect(plan(ONE_H200, "qwen3_32b", "dp 4; tp 2", VLLM, "natural_reasoning"),
                AnalysisCodes.CAPACITY_TRAP, "choose max_num_seqs by simulation");
        assertEquals(Severity.WARNING, d.severity());
        assertTrue(d.message().contains("holds 41 sequences of p95 length 18,300 tokens, but a replica runs up to 500"), d.message());
        assertTrue(d.notes().stream().anyMatch(n -> n.contains("preempts") && n.contains("459 sequences wait")), d.notes().toString());
        gone(plan(ONE_H200, "qwen3_32b", "dp 4; tp 2", "vllm { gpu_memory_utilization 0.90; max_num_seqs 40 }", "natural_reasoning"),
                AnalysisCodes.CAPACITY_TRAP);
    }

    @Test
    void sp0405_sglang_starts_with_a_pool_shorter_than_the_context() {
        // SGLang keeps 0.22 of the free memory for weights and KV: 8B in bf16 leaves ~2 GiB, under one
        // 32k-token sequence at 128 KiB per token. vLLM refuses to start (SP0402); SGLang starts and
        // caps requests at its pool, so it is a warning, and no SP0402.
        String sglang = "sglang { mem_fraction_static 0.22 }";
        PlanAnalysis a = Analyzer.analyze(plan(ONE_H100, "llama_3_1_8b", "tp 1", sglang, "natural_reasoning"));
        assertNull(find(a, AnalysisCodes.MAX_LENGTH_DOES_NOT_FIT), a.diagnostics().toString());
        Diagnostic d = expect(plan(ONE_H100, "llama_3_1_8b", "tp 1", sglang, "natural_reasoning"),
                AnalysisCodes.SHORT_KV_POOL, "mem_fraction_static");
        assertEquals(Severity.WARNING, d.severity());
        assertTrue(d.notes().stream().anyMatch(n -> n.contains("starts, but a request longer than")), d.notes().toString());
        gone(plan(ONE_H100, "llama_3_1_8b", "tp 1", "sglang { mem_fraction_static 0.5 }", "natural_reasoning"), AnalysisCodes.SHORT_KV_POOL);
    }

    @Test
    void sp0404_stranded_dp_capacity() {
        Diagnostic d = expect(plan(ONE_H200, "qwen3_32b", "dp 4; tp 2", VLLM, "natural_reasoning"),
                AnalysisCodes.STRANDED_DP_CAPACITY, "");
        assertEquals(Severity.NOTE, d.severity());
        // described, not recommended: pooling the memory is not always faster
        assertTrue(d.notes().stream().anyMatch(n -> n.startsWith("pooled: dp 4 -> 1, tp 2 -> 8")), d.notes().toString());
        gone(plan(ONE_H200, "qwen3_32b", "tp 8", VLLM, "natural_reasoning"), AnalysisCodes.STRANDED_DP_CAPACITY);
    }

    @Test
    void sp0501_tp_crosses_scale_up_domain() {
        Diagnostic d = expect(plan("nodes 2 x HGX_H100", "llama_3_1_70b", "tp 16", VLLM, "natural_reasoning"),
                AnalysisCodes.TP_CROSSES_DOMAIN, "use tp 16 -> 8, pp 1 -> 2");
        assertTrue(d.message().contains("spans 2 domains of 8 gpus"), d.message());
        gone(plan("nodes 2 x HGX_H100", "llama_3_1_70b", "tp 8; pp 2", VLLM, "natural_reasoning"), AnalysisCodes.TP_CROSSES_DOMAIN);
    }

    @Test
    void sp0502_network_bound_collectives() {
        expect(plan("nodes 2 x HGX_H100", "llama_3_1_70b", "tp 16", VLLM, "natural_reasoning"),
                AnalysisCodes.NETWORK_BOUND, "use tp 16 -> 8, pp 1 -> 2");
        gone(plan("nodes 2 x HGX_H100", "llama_3_1_70b", "tp 8; pp 2", VLLM, "natural_reasoning"), AnalysisCodes.NETWORK_BOUND);
    }

    @Test
    void sp0601_heads_not_divisible() {
        // 40 heads over tp 16: 40 % 16 = 8.
        expect(plan("nodes 2 x HGX_H200", "deepseek_r1_distill_qwen_32b", "tp 16", VLLM, "natural_reasoning"),
                AnalysisCodes.HEADS_NOT_DIVISIBLE, "use dp 1 -> 2, tp 16 -> 8");
        gone(plan("nodes 2 x HGX_H200", "deepseek_r1_distill_qwen_32b", "dp 2; tp 8", VLLM, "natural_reasoning"),
                AnalysisCodes.HEADS_NOT_DIVISIBLE);
    }

    @Test
    void sp0602_kv_heads_incompatible() {
        // 40 heads split over 5, but 8 kv heads neither split (8 % 5) nor replicate (5 % 8).
        PlanAnalysis a = Analyzer.analyze(plan(ONE_H200, "deepseek_r1_distill_qwen_32b", "tp 5", VLLM, "natural_reasoning"));
        assertTrue(find(a, AnalysisCodes.HEADS_NOT_DIVISIBLE) == null);
        expect(plan(ONE_H200, "deepseek_r1_distill_qwen_32b", "tp 5", VLLM, "natural_reasoning"),
                AnalysisCodes.KV_HEADS_VS_TP, "use tp 5 -> 4");
        gone(plan(ONE_H200, "deepseek_r1_distill_qwen_32b", "tp 4", VLLM, "natural_reasoning"), AnalysisCodes.KV_HEADS_VS_TP);
    }

    @Test
    void sp0603_experts_not_divisible() {
        // vLLM's EP size is dp x tp = 6; 128 experts % 6 = 2.
        expect(plan(ONE_H200, "qwen3_30b_a3b", "dp 3; tp 2; ep 6", VLLM, "natural_reasoning"),
                AnalysisCodes.EXPERTS_NOT_DIVISIBLE, "use ep 6 -> 1");
        gone(plan(ONE_H200, "qwen3_30b_a3b", "dp 3; tp 2", VLLM, "natural_reasoning"), AnalysisCodes.EXPERTS_NOT_DIVISIBLE);
    }

    @Test
    void sp0604_quant_block_misaligned() {
        // DeepSeek-R1 FP8 (128x128 blocks) at tp 32: expert width 2048 / 32 = 64 and dense 18432 / 32 = 576, not multiples of 128.
        Diagnostic d = expect(plan("nodes 4 x HGX_H200", "deepseek_r1", "tp 32", VLLM, "natural_reasoning"),
                AnalysisCodes.QUANT_BLOCK_MISALIGNED, "use tp 32 -> 16, pp 1 -> 2");
        assertTrue(d.message().contains("block 128"), d.message());
        gone(plan("nodes 4 x HGX_H200", "deepseek_r1", "tp 16; pp 2", VLLM, "natural_reasoning"), AnalysisCodes.QUANT_BLOCK_MISALIGNED);
    }

    @Test
    void sp0605_world_exceeds_cluster() {
        expect(plan(ONE_H100, "llama_3_1_8b", "dp 16", VLLM, "natural_reasoning"), AnalysisCodes.WORLD_EXCEEDS_CLUSTER, "use dp 16 -> 8");
        gone(plan(ONE_H100, "llama_3_1_8b", "dp 8", VLLM, "natural_reasoning"), AnalysisCodes.WORLD_EXCEEDS_CLUSTER);
    }

    @Test
    void sp0606_idle_gpus() {
        expect(plan(ONE_H100, "llama_3_1_8b", "dp 4", VLLM, "natural_reasoning"), AnalysisCodes.IDLE_GPUS, "use dp 4 -> 8");
        gone(plan(ONE_H100, "llama_3_1_8b", "dp 8", VLLM, "natural_reasoning"), AnalysisCodes.IDLE_GPUS);
    }

    @Test
    void sp0607_invalid_placement() {
        Diagnostic d = expect(plan(ONE_H100, "llama_3_1_70b", "tp 8; placement 0, 1, 2, 3, 4, 5, 6, 6", VLLM, "natural_reasoning"),
                AnalysisCodes.INVALID_PLACEMENT, "use remove the explicit placement");
        assertTrue(d.message().contains("gpu 6 is given to two ranks"), d.message());
        gone(plan(ONE_H100, "llama_3_1_70b", "tp 8", VLLM, "natural_reasoning"), AnalysisCodes.INVALID_PLACEMENT);
    }

    @Test
    void sp0608_uneven_pp_split() {
        // 32 layers over 3 stages: vLLM gives the 2 remaining layers to the stages before the last: [11, 11, 10].
        Diagnostic d = expect(plan(ONE_H100, "llama_3_1_8b", "pp 3", VLLM, "natural_reasoning"), AnalysisCodes.UNEVEN_PP_SPLIT, "use dp 1 -> 3, pp 3 -> 1");
        assertTrue(d.message().contains("[11, 11, 10]"), d.message());
        gone(plan(ONE_H100, "llama_3_1_8b", "pp 2", VLLM, "natural_reasoning"), AnalysisCodes.UNEVEN_PP_SPLIT);
    }

    @Test
    void sp0609_invalid_layer_split() {
        Diagnostic d = expect(plan(ONE_H100, "llama_3_1_8b", "pp 2; layer_split 10, 20", VLLM, "natural_reasoning"),
                AnalysisCodes.INVALID_LAYER_SPLIT, "remove the explicit layer split");
        assertTrue(d.message().contains("add up to 30, the model has 32"), d.message());
        gone(plan(ONE_H100, "llama_3_1_8b", "pp 2", VLLM, "natural_reasoning"), AnalysisCodes.INVALID_LAYER_SPLIT);
    }

    @Test
    void sp0610_pure_dp_against_the_study() {
        // Qwen3-32B on H100: bf16 weights (65.5 GB) leave ~8 GB per GPU, one 18.3k-token sequence each (8 in all);
        // dp 4 x tp 2 holds 16 per replica, 64 in all.
        Diagnostic d = expect(plan(ONE_H100, "qwen3_32b", "dp 8", VLLM, "natural_reasoning"),
                AnalysisCodes.AGAINST_STUDY, "use dp 8 -> 4, tp 1 -> 2");
        assertEquals(Severity.NOTE, d.severity());
        gone(plan(ONE_H100, "qwen3_32b", "dp 4; tp 2", VLLM, "natural_reasoning"), AnalysisCodes.AGAINST_STUDY);
    }

    // ---- disaggregated pools

    private static Plan pools(String node, int nodes, String model, String workload, String engine, String prefill, String decode) {
        return Fixtures.plan(node + "cluster c { nodes " + nodes + " x " + (node.isEmpty() ? "HGX_H200" : "n") + " }\n"
                + workload + "plan p {\n  model " + model + "\n  cluster c\n  workload w\n  engine vllm { " + engine + " }\n"
                + "  pool prefill { " + prefill + " }\n  pool decode { " + decode + " }\n  kv_transfer { connector nixl }\n}\n", "p");
    }

    private static final String LONG_PROMPTS = "workload w { requests 2000; arrival offline; prompt lognormal(median 8000, p95 16k) tokens;"
            + " output lognormal(median 2000, p95 6000) tokens; max_length 32k tokens }\n";

    @Test
    void sp0503_kv_transfers_over_one_slow_nic() {
        // Llama 3.1 8B: 131,072 B of KV per prompt token, 1.15 GB per mean request; at the decode
        // pool's ~9 req/s that is ~10 GB/s through one 50 Gb/s (6.25 GB/s) NIC per node.
        String slow = "node n { gpus 8 x H200_SXM; fabric nvswitch; nics 1 x 50 Gb/s }\n";
        String fast = "node n { gpus 8 x H200_SXM; fabric nvswitch; nics 8 x 400 Gb/s }\n";
        String e = "gpu_memory_utilization 0.90; max_num_seqs 40";
        Plan p = pools(slow, 2, "llama_3_1_8b", LONG_PROMPTS, e, "parallel { tp 1 }; replicas 8", "parallel { tp 1 }; replicas 8");
        Diagnostic d = expect(p, AnalysisCodes.KV_TRANSFER_EXCEEDS_NETWORK, "more NICs");
        assertTrue(d.message().contains("6.3 GB/s"), d.message());
        PoolsAnalysis a = Analyzer.analyze(p).pools();
        assertEquals(a.rate() * 8743.0 * 131_072, a.busiestUtilisation() * 6.25e9, a.busiestUtilisation() * 6.25e9 * 0.01);
        gone(pools(fast, 2, "llama_3_1_8b", LONG_PROMPTS, e, "parallel { tp 1 }; replicas 8", "parallel { tp 1 }; replicas 8"),
                AnalysisCodes.KV_TRANSFER_EXCEEDS_NETWORK);
    }

    @Test
    void sp0611_reasoning_workload_leaves_prefill_idle() {
        String reasoning = "workload w { requests 2000; arrival offline; prompt lognormal(median 100, p95 400) tokens;"
                + " output lognormal(median 4500, p95 17.9k) tokens; max_length 32k tokens }\n";
        Plan p = pools("", 2, "llama_3_1_8b", reasoning, "gpu_memory_utilization 0.90; max_num_seqs 256",
                "parallel { tp 1 }; replicas 8", "parallel { tp 1 }; replicas 8");
        // Prompts of ~143 tokens against answers of ~6,400: even one prefill GPU for fifteen
        // decode GPUs idles, and the help says so instead of proposing a ratio that does not balance.
        Diagnostic d = expect(p, AnalysisCodes.IDLE_POOL, "does not pay for disaggregation");
        assertTrue(d.message().startsWith("pool `prefill` can serve"), d.message());
        PoolsAnalysis a = Analyzer.analyze(p).pools();
        assertTrue(a.prefillRps() > 2 * a.decodeRps(), a.prefillRps() + " vs " + a.decodeRps());
        // Long prompts: the help's ratio balances the pools, and the warning goes away with it.
        String e = "gpu_memory_utilization 0.90; max_num_seqs 40";
        Diagnostic lp = expect(pools("", 2, "llama_3_1_8b", LONG_PROMPTS, e, "parallel { tp 1 }; replicas 8", "parallel { tp 1 }; replicas 8"),
                AnalysisCodes.IDLE_POOL, "2 prefill and 14 decode instances balance the pools");
        assertTrue(lp.message().startsWith("pool `prefill`"), lp.message());
        gone(pools("", 2, "llama_3_1_8b", LONG_PROMPTS, e, "parallel { tp 1 }; replicas 2", "parallel { tp 1 }; replicas 14"),
                AnalysisCodes.IDLE_POOL);
    }

    @Test
    void sp0612_instance_of_six_gpus_on_eight_gpu_nodes() {
        Plan p = pools("", 2, "llama_3_1_70b", LONG_PROMPTS, "gpu_memory_utilization 0.90",
                "parallel { dp 3; tp 2 }; replicas 2", "parallel { tp 4 }");
        Diagnostic d = expect(p, AnalysisCodes.POOL_STRADDLES_NODES, "divide 8");
        assertTrue(d.message().contains("pool `prefill` takes 6 gpus"), d.message());
        gone(pools("", 2, "llama_3_1_70b", LONG_PROMPTS, "gpu_memory_utilization 0.90",
                "parallel { tp 4 }; replicas 2", "parallel { tp 4 }; replicas 2"), AnalysisCodes.POOL_STRADDLES_NODES);
    }

    @Test
    void sp0406_deepep_buffers_exceed_sglangs_headroom() {
        // 2.16 GiB of DeepEP buffers (deepep_mode auto, 16 ranks) against the 1.38 GiB that 0.99 leaves.
        String par = "dp 16; tp 1; ep 16; dp_attention true";
        Plan p = plan("nodes 2 x HGX_H200", "deepseek_r1", par, "sglang { mem_fraction_static 0.99; moe_a2a_backend deepep }", "natural_reasoning");
        Diagnostic d = expect(p, AnalysisCodes.HEADROOM_TOO_SMALL, "mem_fraction_static 0.99 -> 0.98");
        assertTrue(d.message().contains("2.16 GiB") && d.message().contains("1.38 GiB"), d.message());
        gone(plan("nodes 2 x HGX_H200", "deepseek_r1", par, "sglang { mem_fraction_static 0.98; moe_a2a_backend deepep }", "natural_reasoning"),
                AnalysisCodes.HEADROOM_TOO_SMALL);
        // Without DeepEP nothing is allocated after the pool.
        gone(plan("nodes 2 x HGX_H200", "deepseek_r1", par, "sglang { mem_fraction_static 0.99 }", "natural_reasoning"), AnalysisCodes.HEADROOM_TOO_SMALL);
    }

    @Test
    void every_analysis_code_has_a_test_and_a_page() throws Exception {
        var root = java.nio.file.Path.of(System.getProperty("user.dir")).getParent().resolve("docs/diagnostics");
        for (var f : AnalysisCodes.class.getFields()) {
            Code c = (Code) f.get(null);
            var page = root.resolve(c.id() + ".md");
            assertTrue(java.nio.file.Files.exists(page), "missing " + page);
            String text = java.nio.file.Files.readString(page);
            assertTrue(text.startsWith("# " + c.id() + ": " + c.name() + "\n"), page + " title");
            boolean tested = false;
            for (var m : DiagnosticsTest.class.getDeclaredMethods()) if (m.getName().startsWith(c.id().toLowerCase())) tested = true;
            assertTrue(tested, "no test for " + c.id());
        }
        assertFalse(AnalysisCodes.class.getFields().length == 0);
    }
}
