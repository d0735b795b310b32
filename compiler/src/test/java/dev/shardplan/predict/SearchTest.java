package dev.shardplan.predict;

import dev.shardplan.parse.PlanFileParser;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SearchTest {
    @Test
    void searchRanksParetoAndNeverSimulatesPlansThatDoNotFit() {
        var s = SmallSearch.space();
        Search.Result r = Search.run(s, 1);
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
        assertEquals(Search.human(r), Search.human(Search.run(s, 1)));
    }

    @Test
    void aSeventyBOnOneGpuIsDiscardedNotSimulated() {
        var plan = Study.plan("x", Study.distill70b(), Study.reasoning(10), 1, 1, 1, 64);
        Prediction p = Predictor.simulate(plan, 1);
        assertFalse(p.simulated());
        assertEquals(PredictCodes.NOT_SIMULATED, p.diagnostics().get(0).code());
    }

    @Test
    void emittedWinnerParses() {
        Search.Result r = Search.run(SmallSearch.space(), 1);
        String src = Search.emit(r);
        assertTrue(src.contains("parallel  { dp " + r.winner().plan().parallel().dp()));
        var parsed = PlanFileParser.parse("winner.plan", src);
        assertTrue(parsed.diagnostics().isEmpty(), parsed.diagnostics().toString());
    }
}
