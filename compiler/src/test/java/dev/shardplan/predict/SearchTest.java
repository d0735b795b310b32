package dev.shardplan.predict;

import dev.shardplan.diag.Span;
import dev.shardplan.model.DType;
import dev.shardplan.model.Slo;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SearchTest {
    @Test
    void searchRanksParetoAndNeverSimulatesPlansThatDoNotFit() {
        var s = SmallSearch.space();
        Search.Result r = Search.run(s, 1, dev.shardplan.api.Predictions.inputs());
        // 4 GPUs, pp 1: (dp, tp) in {(4,1), (2,2), (1,4)} × max_num_seqs {64, 256}
        assertEquals(6, r.ranked().size() + r.discarded().size());
        for (Search.Candidate c : r.discarded()) assertFalse(c.simulated());
        for (int i = 1; i < r.ranked().size(); i++) {
            var a = r.ranked().get(i - 1).result();
            var b = r.ranked().get(i).result();
            boolean sloA = Search.meetsSlos(r.ranked().get(i - 1)), sloB = Search.meetsSlos(r.ranked().get(i));
            assertTrue(sloA && !sloB || sloA == sloB && a.outputThroughput() >= b.outputThroughput());
        }
        // the front is sorted by throughput with strictly falling tpot
        for (int i = 1; i < r.pareto().size(); i++) {
            assertTrue(r.pareto().get(i).result().tpot().p50() < r.pareto().get(i - 1).result().tpot().p50());
        }
        assertTrue(r.why().startsWith(r.winner().label()));
        // deterministic
        assertEquals(Search.human(r), Search.human(Search.run(s, 1, dev.shardplan.api.Predictions.inputs())));
    }

    /** A space over the 8 GPUs of one H200 node for a plan's model, on {@code engine}. */
    static SearchSpace moeSpace(dev.shardplan.model.EngineKind engine) {
        var p = dev.shardplan.analysis.Fixtures.plan("cluster c { nodes 1 x HGX_H200 }\nplan p { model deepseek_r1; cluster c; "
                + "workload natural_reasoning\n  parallel { tp 8 }\n  engine vllm { }\n}\n", "p");
        return new SearchSpace("r1", p.model(), p.cluster(), p.workload(), new dev.shardplan.model.EngineBlock(engine, null, Map.of()),
                List.of(), SearchSpace.Objective.THROUGHPUT, 8, true, List.of(), List.of(), List.of(1), List.of(), List.of(), List.of(),
                Map.of(), Span.NONE, StdProfiles.profile(p.cluster().gpu().name(), engine));
    }

    static List<String> labels(SearchSpace s) {
        return Search.enumerate(s).stream().map(p -> new Search.Candidate(p, null, null).label()).toList();
    }

    /**
     * The engines' MoE recipes are candidates (issue 12 item 5): vLLM's attention DP is dp with EP
     * over dp × tp; SGLang's and TensorRT-LLM's is dp_attention, with every EP size that divides
     * both their MoE group and DeepSeek-R1's 256 routed experts.
     */
    @Test
    void moeSpacesHoldAttentionDpWithEpAndEverySizeThatDividesTheExperts() {
        List<String> vllm = labels(moeSpace(dev.shardplan.model.EngineKind.VLLM));
        assertTrue(vllm.contains("dp8 tp1 pp1 ep8 seqs default kv auto"), vllm.toString());
        assertTrue(vllm.contains("dp1 tp8 pp1 ep1 seqs default kv auto"), vllm.toString());
        assertFalse(vllm.contains("dp1 tp8 pp1 ep4 seqs default kv auto"), "vLLM's EP is all of dp x tp or none: " + vllm);
        assertTrue(vllm.stream().noneMatch(l -> l.contains("adp")), "vLLM has no attention-DP switch: " + vllm);
        List<String> sglang = labels(moeSpace(dev.shardplan.model.EngineKind.SGLANG));
        for (String l : List.of("dp8 tp1 pp1 ep8 adp", "dp4 tp2 pp1 ep8 adp", "dp2 tp4 pp1 ep2 adp", "dp1 tp8 pp1 ep1", "dp1 tp8 pp1 ep2",
                "dp1 tp8 pp1 ep4", "dp1 tp8 pp1 ep8", "dp2 tp4 pp1 ep4 seqs")) {
            assertTrue(sglang.stream().anyMatch(x -> x.startsWith(l)), l + " missing from " + sglang);
        }
        // without attention DP SGLang's MoE group is its tp group: ep 8 does not divide tp 4
        assertFalse(sglang.stream().anyMatch(x -> x.startsWith("dp2 tp4 pp1 ep8 seqs")), sglang.toString());
        var trt = moeSpace(dev.shardplan.model.EngineKind.TRTLLM);
        List<String> rules = Search.enumerate(trt).stream().filter(p -> p.parallel().dpAttention()).map(p -> p.parallel().tp() + ":" + Search.rules(p)).distinct().toList();
        assertTrue(rules.contains("1:null") && rules.contains("2:trtllm attention dp needs tp 1"), rules.toString());
    }

    /** max_num_batched_tokens is a dimension: each value a candidate, set under the engine's own name for the role. */
    @Test
    void maxNumBatchedTokensIsExplored() {
        var base = prunable();
        var s = new SearchSpace(base.name(), base.model(), base.cluster(), base.workload(), base.engine(), base.slos(), base.objective(),
                8, true, List.of(), List.of(8), List.of(1), List.of(), List.of(256), List.of(), Map.of(), Span.NONE,
                List.of(2048, 16384), List.of(), base.efficiency());
        var plans = Search.enumerate(s);
        assertEquals(List.of(2048L, 16384L), plans.stream().map(p -> p.engine().settings().get("max_num_batched_tokens")).toList());
        assertEquals(List.of("dp1 tp8 pp1 seqs 256 tokens 2048 kv auto", "dp1 tp8 pp1 seqs 256 tokens 16384 kv auto"),
                plans.stream().map(p -> new Search.Candidate(p, null, null).label()).toList());
        var sg = new SearchSpace(s.name(), s.model(), s.cluster(), s.workload(), new dev.shardplan.model.EngineBlock(dev.shardplan.model.EngineKind.SGLANG, null, Map.of()),
                s.slos(), s.objective(), 8, true, List.of(), List.of(8), List.of(1), List.of(), List.of(), List.of(), Map.of(), Span.NONE,
                List.of(4096), List.of(), StdProfiles.profile(s.cluster().gpu().name(), dev.shardplan.model.EngineKind.SGLANG));
        assertEquals(4096L, Search.enumerate(sg).get(0).engine().settings().get("chunked_prefill_size"));
    }

    /** The ranking states the winner's lead over the runner-up on the objective. */
    @Test
    void theExplanationGivesTheMarginOverTheRunnerUp() {
        var s = SmallSearch.space();
        Search.Result r = Search.run(s, 1, dev.shardplan.api.Predictions.inputs());
        double m = Search.margin(s, r.ranked());
        assertEquals(Search.score(s, r.ranked().get(0)) / Search.score(s, r.ranked().get(1)) - 1, m, 1e-12);
        assertTrue(r.why().contains(String.format(java.util.Locale.ROOT, "Margin: the winner leads by %.1f%% on throughput", 100 * m)), r.why());
    }

    /** A space where most candidates can be pruned: every split of 8 H200s for an 8B model, three max_num_seqs, two KV types. */
    static SearchSpace prunable() {
        return new SearchSpace("s8b", Study.distill8b(), Study.hgxH200(), Study.reasoning(400), Study.vllm(256),
                List.of(new Slo("tpot", 50, "<", 0.05, Span.NONE)), SearchSpace.Objective.THROUGHPUT, 8, true, List.of(),
                List.of(), List.of(1, 2), List.of(), List.of(64, 256, 1024), List.of(DType.BF16, DType.FP8), Map.of(), Span.NONE,
                StdProfiles.profile("H200_SXM", dev.shardplan.model.EngineKind.VLLM));
    }

    @Test
    void pruningKeepsTheTopRanksTheExplanationAndTheParetoFront() {
        var s = prunable();
        Search.Result all = Search.run(s, 1, dev.shardplan.api.Predictions.inputs(), new Search.Options(1, false, null));
        Search.Result pruned = Search.run(s, 1, dev.shardplan.api.Predictions.inputs(), new Search.Options(1, true, null));
        assertEquals(0, all.pruned().size());
        assertTrue(pruned.pruned().size() > all.ranked().size() / 3, "expected most to be pruned: " + Search.human(pruned));
        assertEquals(all.candidates(), pruned.candidates());
        for (int i = 0; i < Search.EXACT_TOP; i++) {
            assertEquals(all.ranked().get(i).plan().name(), pruned.ranked().get(i).plan().name(), "rank " + (i + 1));
            assertEquals(all.ranked().get(i).result(), pruned.ranked().get(i).result());
        }
        assertEquals(all.why(), pruned.why());
        assertEquals(all.pareto().stream().map(c -> c.plan().name()).toList(), pruned.pareto().stream().map(c -> c.plan().name()).toList());
        // every pruned candidate really ranks below the sixth and off the front
        var sixth = all.ranked().get(Search.EXACT_TOP - 1);
        var order = Search.order(s);
        for (Search.Candidate c : pruned.pruned()) {
            var full = all.ranked().stream().filter(x -> x.plan().name().equals(c.plan().name())).findFirst().orElseThrow();
            assertTrue(order.compare(full, sixth) > 0, c.plan().name());
            assertFalse(all.pareto().contains(full), c.plan().name());
        }
    }

    @Test
    void threadsDoNotChangeTheResult() {
        var s = prunable();
        String one = Search.human(Search.run(s, 7, dev.shardplan.api.Predictions.inputs(), new Search.Options(1, true, null)));
        for (int jobs : new int[]{2, 8}) {
            assertEquals(one, Search.human(Search.run(s, 7, dev.shardplan.api.Predictions.inputs(), new Search.Options(jobs, true, null))), jobs + " jobs");
        }
    }

    @Test
    void progressCountsEveryCandidate() {
        var s = prunable();
        var seen = new java.util.concurrent.CopyOnWriteArrayList<Search.Status>();
        Search.Result r = Search.run(s, 1, dev.shardplan.api.Predictions.inputs(), new Search.Options(4, true, seen::add));
        assertEquals(r.candidates(), seen.size());
        assertEquals(r.candidates(), seen.stream().mapToInt(Search.Status::done).max().orElse(0));
        assertTrue(seen.stream().allMatch(x -> x.total() == r.candidates()));
        assertTrue(seen.get(seen.size() - 1).best() != null);
    }

    @Test
    void aSeventyBOnOneGpuIsDiscardedNotSimulated() {
        var plan = Study.plan("x", Study.distill70b(), Study.reasoning(10), 1, 1, 1, 64);
        Prediction p = dev.shardplan.api.Predictions.simulate(plan, 1);
        assertFalse(p.simulated());
        assertEquals(PredictCodes.NOT_SIMULATED, p.diagnostics().get(0).code());
    }
}
