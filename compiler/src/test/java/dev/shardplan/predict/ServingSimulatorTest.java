package dev.shardplan.predict;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ServingSimulatorTest {
    /** Every step costs 10 ms whatever it carries: timings are then countable by hand. */
    static final StepTimeModel TEN_MS = (d, c, ps, pt, pp) -> 0.010;

    static SchedulerConfig cfg(long blocks, int bs, int maxSeqs, int maxTokens) {
        return new SchedulerConfig(1, blocks, bs, maxSeqs, maxTokens, true, SchedulerConfig.Admission.ON_DEMAND,
                SchedulerConfig.Routing.LEAST_LOADED);
    }

    @Test
    void oneRequestTakesOnePrefillStepAndOneStepPerLaterToken() {
        // prompt 100 in one chunk (budget 2048) yields token 1; tokens 2..10 take 9 decode steps
        SimResult r = new ServingSimulator(cfg(100, 16, 8, 2048), TEN_MS).run(RequestSet.fixed(1, 100, 10));
        assertEquals(1, r.completed());
        assertEquals(10, r.steps());
        assertEquals(0.100, r.makespan(), 1e-12);
        assertEquals(0.010, r.ttft().p50(), 1e-12);
        assertEquals(0.010, r.tpot().p50(), 1e-12);
        assertEquals(0, r.preemptions());
    }

    @Test
    void chunkedPrefillSplitsALongPromptOverTheTokenBudget() {
        // 1000-token prompt, budget 256: ceil(1000/256) = 4 prefill steps, then 4 decode steps
        SimResult r = new ServingSimulator(cfg(1000, 16, 8, 256), TEN_MS).run(RequestSet.fixed(1, 1000, 5));
        assertEquals(8, r.steps());
        assertEquals(0.040, r.ttft().p50(), 1e-12);
    }

    @Test
    void maxNumSeqsBoundsTheBatch() {
        // 4 requests, 2 at a time: two waves of (1 prefill + 4 decode) steps = 10 steps
        SimResult r = new ServingSimulator(cfg(1000, 16, 2, 4096), TEN_MS).run(RequestSet.fixed(4, 16, 5));
        assertEquals(10, r.steps());
        assertEquals(2.0, r.meanRunning(), 1e-12);
    }

    @Test
    void runningOutOfBlocksPreemptsTheNewestAndRecomputesIt() {
        // block size 4, 6 blocks = 24 tokens. Two requests of prompt 8 + output 8 need 4 blocks each at
        // the end (16 tokens), 8 together: the second is preempted when the pool runs dry.
        SimResult r = new ServingSimulator(cfg(6, 4, 8, 4096), TEN_MS).run(RequestSet.fixed(2, 8, 8));
        assertEquals(2, r.completed());
        assertTrue(r.preemptions() >= 1, "expected a preemption: " + r);
        assertTrue(r.recomputedTokens() >= 8);
        // without pressure, the same pair never preempts
        SimResult roomy = new ServingSimulator(cfg(8, 4, 8, 4096), TEN_MS).run(RequestSet.fixed(2, 8, 8));
        assertEquals(0, roomy.preemptions());
        assertEquals(8, roomy.steps());
        assertTrue(r.steps() > roomy.steps());
    }

    @Test
    void reserveFullAdmissionNeverPreempts() {
        SchedulerConfig c = new SchedulerConfig(1, 6, 4, 8, 4096, true, SchedulerConfig.Admission.RESERVE_FULL,
                SchedulerConfig.Routing.LEAST_LOADED);
        SimResult r = new ServingSimulator(c, TEN_MS).run(RequestSet.fixed(2, 8, 8));
        assertEquals(0, r.preemptions());
        // 4 blocks each: only one fits at a time, so they run one after the other: 2 × 8 steps
        assertEquals(16, r.steps());
    }

    @Test
    void replicasSplitAnOfflineBatch() {
        SchedulerConfig two = new SchedulerConfig(2, 1000, 16, 1, 4096, true, SchedulerConfig.Admission.ON_DEMAND,
                SchedulerConfig.Routing.LEAST_LOADED);
        SimResult r = new ServingSimulator(two, TEN_MS).run(RequestSet.fixed(4, 16, 5));
        // each replica serves 2 requests one at a time: 2 × 5 steps each, in parallel
        assertEquals(0.100, r.makespan(), 1e-12);
        assertEquals(20, r.steps());
    }

    @Test
    void tooLongRequestsAreRejectedNotSimulated() {
        SimResult r = new ServingSimulator(cfg(4, 4, 8, 4096), TEN_MS).run(RequestSet.fixed(3, 10, 10));
        assertEquals(3, r.rejected());
        assertEquals(0, r.completed());
    }

    @Test
    void closedLoopConcurrencyCapsRequestsInFlight() {
        SimResult r = new ServingSimulator(cfg(1000, 16, 64, 4096), TEN_MS)
                .run(RequestSet.fixed(6, 16, 5).withConcurrency(2));
        assertEquals(6, r.completed());
        assertTrue(r.meanRunning() <= 2.0 + 1e-12);
    }

    @Test
    void sameSeedSameResult() {
        var w = new dev.shardplan.model.Workload("w", 300, 0, 0,
                new dev.shardplan.model.LengthDist.LogNormal(100, 0.5),
                new dev.shardplan.model.LengthDist.LogNormal(2000, 1.0), 16384, dev.shardplan.diag.Span.NONE);
        StepTimeModel m = (d, c, ps, pt, pp) -> 0.005 + 1e-9 * c + 1e-6 * pt;
        var sim = new ServingSimulator(cfg(4000, 16, 256, 2048), m);
        SimResult a = sim.run(RequestSet.draw(w, 7));
        SimResult b = sim.run(RequestSet.draw(w, 7));
        assertEquals(a, b);
        assertTrue(a.preemptions() > 0, "the pool is small enough to preempt: " + a);
        SimResult c = sim.run(RequestSet.draw(w, 8));
        assertTrue(c.makespan() != a.makespan());
    }

    /** A step cost that depends on every argument, so that any difference in what is stepped shows. */
    static final StepTimeModel UNEVEN = (d, c, ps, pt, pp) -> 0.004 + 3e-5 * d + 2.5e-9 * c + 1e-3 * ps + 4e-7 * pt + 1e-12 * pp;

    static RequestSet reasoning(int n, double rate, int concurrency, long seed) {
        var w = new dev.shardplan.model.Workload("r", n, rate, concurrency, new dev.shardplan.model.LengthDist.LogNormal(100, 0.6),
                new dev.shardplan.model.LengthDist.LogNormal(1500, 0.8), 16384, dev.shardplan.diag.Span.NONE);
        return RequestSet.draw(w, seed);
    }

    @Test
    void decodeRunsGiveExactlyTheStepByStepResult() {
        record Case(String what, SchedulerConfig cfg, RequestSet reqs) {}
        var onDemand = SchedulerConfig.Admission.ON_DEMAND;
        var least = SchedulerConfig.Routing.LEAST_LOADED;
        java.util.List<Case> cases = java.util.List.of(
                // one replica, pool far too small for max_num_seqs: preemption storms
                new Case("trap", new SchedulerConfig(1, 4000, 16, 256, 2048, true, onDemand, least), reasoning(300, 0, 0, 1)),
                // roomy pool: long decode runs between finishes
                new Case("roomy", new SchedulerConfig(1, 200_000, 16, 64, 8192, true, onDemand, least), reasoning(300, 0, 0, 2)),
                // four replicas whose clocks interleave
                new Case("dp4", new SchedulerConfig(4, 3000, 16, 128, 2048, true, onDemand, least), reasoning(400, 0, 0, 3)),
                // TensorRT-LLM's admission (blocks for the whole output up front), round robin, no chunking
                new Case("reserve", new SchedulerConfig(2, 6000, 32, 512, 8192, false, SchedulerConfig.Admission.RESERVE_FULL,
                        SchedulerConfig.Routing.ROUND_ROBIN), reasoning(300, 0, 0, 4)),
                // arrivals over time and a closed loop
                new Case("rate", new SchedulerConfig(2, 5000, 16, 128, 2048, true, onDemand, least), reasoning(300, 2.0, 0, 5)),
                new Case("closed", new SchedulerConfig(1, 5000, 16, 128, 2048, true, onDemand, least), reasoning(300, 0, 40, 6)),
                // block size 1 (SGLang pages): a new block every step
                new Case("pages", new SchedulerConfig(1, 60_000, 1, 128, 8192, true, onDemand, least), reasoning(200, 0, 0, 7)));
        for (Case c : cases) {
            SimResult slow = new SteppingSimulator(c.cfg(), UNEVEN).run(c.reqs());
            SimResult fast = new ServingSimulator(c.cfg(), UNEVEN).run(c.reqs());
            assertEquals(slow, fast, c.what());
            assertEquals(slow.completed() + slow.rejected(), c.reqs().size(), c.what());
        }
    }
}
