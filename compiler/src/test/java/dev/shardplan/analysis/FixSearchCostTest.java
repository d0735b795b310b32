package dev.shardplan.analysis;

import dev.shardplan.model.Plan;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The fix search of one plan's checks analyses each candidate once, and never one whose tp
 * cannot split the heads (an error whatever else it changes). Found by the fuzzing long run: a
 * 65,535-layer MoE model on 524,288 GPUs with weights that fit nowhere made three checks
 * (SP0401, SP0501, SP0502) each lay out the same model-parallel reshapes, up to tp 16,384 for
 * 32 heads, 6.2 s of CPU for one plan.
 */
class FixSearchCostTest {
    static final String PLAN = """
            cluster c { nodes 512 x MI300X_PLATFORM }
            model m { layers 2048; hidden 7168; heads 32; kv_heads 8; ffn 28672; vocab 152064; moe { experts 128; top_k 1; expert_ffn 65535 } }
            plan p {
              model m
              cluster c
              workload natural_reasoning
              parallel { tp 16; dp 8 }
              engine sglang { mem_fraction_static 0.74 }
            }
            """;

    /** Counts the analyses a plan's checks ask for, by candidate, in order. */
    static List<Plan> analysedByTheFixSearch(Plan plan, Map<Plan, Integer> analysed) {
        List<Plan> order = new ArrayList<>();
        CheckContext ctx = new CheckContext(Analyzer.core(plan, StepTimeModel.ROOFLINE), true, p -> {
            analysed.merge(p, 1, Integer::sum);
            order.add(p);
            return Analyzer.core(p, StepTimeModel.ROOFLINE);
        });
        Analyzer.runChecks(ctx);
        return order;
    }

    /**
     * The fuzzing long run's second finding: DeepSeek-R1 on 8,192 GPUs of 24 GiB with ep 8 on vLLM
     * (ep over dp x tp): the idle-GPU note's variant "dp 1 -> 8192" would split 256 experts over
     * 8,192 ranks, an error (SP0603), and laying it out was most of the plan's check (9 s of 17 at
     * 131,072 GPUs).
     */
    @Test
    void noCandidateWhoseExpertsCannotSplitIsLaidOut() {
        Plan plan = Fixtures.plan("""
                gpu g { memory 24 GiB; hbm_bandwidth 3.35 TB/s; flops { bf16 312 TFLOPS }; link_bandwidth 450 GB/s }
                node n { gpus 2 x g; fabric pcie; nics 1 x 400 Gb/s }
                cluster c { nodes 4096 x n }
                plan p {
                  model deepseek_r1
                  cluster c
                  workload natural_reasoning
                  parallel { ep 8 }
                  engine vllm { gpu_memory_utilization 0.69 }
                }
                """, "p");
        Map<Plan, Integer> analysed = new HashMap<>();
        List<Plan> order = analysedByTheFixSearch(plan, analysed);
        assertFalse(order.isEmpty(), "the checks tried fixes");
        var rules = dev.shardplan.engine.Engines.configure(plan).spec().layoutRules();
        for (Plan p : order) {
            int ep = dev.shardplan.layout.Layouts.epSize(p, rules);
            assertEquals(0, 256 % ep, "laid out 256 experts over " + ep + " ranks: " + Variants.describe(plan, p));
        }
        analysed.forEach((p, n) -> assertEquals(1, n, "analysed " + n + " times: " + Variants.describe(plan, p)));
    }

    @Test
    void eachCandidateIsAnalysedOnceAndNoneWithATpThatCannotSplitTheHeads() {
        Plan plan = Fixtures.plan(PLAN, "p");
        Map<Plan, Integer> analysed = new HashMap<>();
        List<Plan> order = new ArrayList<>();
        CheckContext ctx = new CheckContext(Analyzer.core(plan, StepTimeModel.ROOFLINE), true, p -> {
            analysed.merge(p, 1, Integer::sum);
            order.add(p);
            return Analyzer.core(p, StepTimeModel.ROOFLINE);
        });
        List<String> codes = Analyzer.runChecks(ctx).stream().map(d -> d.code().id()).toList();
        assertTrue(codes.contains(AnalysisCodes.WEIGHTS_DO_NOT_FIT.id()), "the weights fit nowhere: " + codes);
        assertFalse(order.isEmpty(), "the checks tried fixes");
        analysed.forEach((p, n) -> assertEquals(1, n, "analysed " + n + " times: " + Variants.describe(plan, p)));
        for (Plan p : order) {
            assertEquals(0, p.model().heads() % p.parallel().tp(), "laid out a tp that cannot split 32 heads: " + Variants.describe(plan, p));
        }
    }
    /**
     * The fuzzing long run's third finding: Mixtral 8x7B on one GPU of a 131,072-GPU cluster. The
     * idle-GPU note's variant dp 1 -> 131,072 is a valid plan (vLLM splits the experts by width over
     * dp x tp), and re-checking it ran the pure-dp lint, which laid out and fully analysed 17
     * reshapes of 131,072 ranks (tp 2 ... 131,072 for 32 heads): 19 s for one check. The lint
     * compares KV pools only, so it asks for capacities, never for full analyses, and only of tps
     * that split the heads.
     */
    @Test
    void thePureDpLintComparesPoolsWithoutFullAnalyses() {
        Plan plan = Fixtures.plan("""
                node n { gpus 2 x H200_SXM; fabric nvlink_island 2; nics 4 x 400 Gb/s }
                cluster c { nodes 65536 x n }
                plan p {
                  model mixtral_8x7b
                  cluster c
                  workload natural_reasoning
                  parallel { ep 1 }
                  engine vllm { gpu_memory_utilization 0.53 }
                }
                """, "p");
        Map<Plan, Integer> analysed = new HashMap<>();
        List<Plan> order = analysedByTheFixSearch(plan, analysed);
        long large = order.stream().filter(p -> p.parallel().worldSize() > 16_384).count();
        assertTrue(order.stream().anyMatch(p -> p.parallel().dp() == 131_072), "the idle-GPU note re-checked dp 131,072: " + order.size());
        assertEquals(1, large, "full analyses of 131,072-rank plans: only the candidate itself");
    }
    /**
     * A finding of the fuzzing long run (seed 41, case 6620807834346268256): a 61-layer model at
     * pp 4 on a 64-GPU cluster got the uneven-split note's fix "pp 4 -> 61", a 61-stage pipeline on
     * 61 GPUs that simulated at 0 tok/s and took seconds to weigh. The note's fixes keep the plan's
     * GPUs (fewer or more stages, as many replicas as fill the same ranks); more GPUs are the
     * idle-GPU note's business.
     */
    @Test
    void theUnevenSplitNoteNeverOffersAPipelineOnMoreGpus() {
        // 61 layers of ~0.87B parameters: too large for one H100 (so pp 4 -> 1 with dp 4 fails), fine in 4 stages
        Plan plan = Fixtures.plan("""
                cluster c { nodes 8 x HGX_H100 }
                model m { layers 61; hidden 8192; heads 64; kv_heads 8; ffn 28672; vocab 128256 }
                plan p {
                  model m
                  cluster c
                  workload natural_reasoning
                  parallel { tp 1; pp 4 }
                  engine vllm { gpu_memory_utilization 0.9 }
                }
                """, "p");
        Map<Plan, Integer> analysed = new HashMap<>();
        List<Plan> order = analysedByTheFixSearch(plan, analysed);
        for (Plan p : order) {
            if (p.parallel().pp() > 4) assertEquals(4, p.parallel().worldSize(), "a deeper pipeline on more gpus: " + Variants.describe(plan, p));
        }
        for (CheckContext.Fix f : Analyzer.fixes(plan)) {
            if (f.codes().contains(AnalysisCodes.UNEVEN_PP_SPLIT)) {
                assertEquals(4, f.plan().parallel().worldSize(), "the uneven-split fix keeps the plan's 4 gpus: " + Variants.describe(plan, f.plan()));
            }
        }
    }
}
