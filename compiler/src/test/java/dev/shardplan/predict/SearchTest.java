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

    /** A space where most candidates can be pruned: every split of 8 H200s for an 8B model, three max_num_seqs, two KV types. */
    static SearchSpace prunable() {
        return new SearchSpace("s8b", Study.distill8b(), Study.hgxH200(), Study.reasoning(400), Study.vllm(256),
                List.of(new Slo("tpot", 50, "<", 0.05, Span.NONE)), SearchSpace.Objective.THROUGHPUT, 8, true, List.of(),
                List.of(), List.of(1, 2), List.of(), List.of(64, 256, 1024), List.of(DType.BF16, DType.FP8), Map.of(), Span.NONE);
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
