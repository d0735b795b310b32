package dev.shardplan.predict;

import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import org.junit.jupiter.api.Test;

import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The event-driven simulator gives bit-for-bit the result of the stepping oracle, for any
 * scheduler configuration and request set: pools far too small (preemption storms, requests
 * preempting themselves), budgets smaller than max_num_seqs (decoders that do not all fit an
 * iteration), one-token pages, reserved admission, both routings, arrivals over time in any
 * order, and closed loops.
 */
class SimulatorEquivalenceTest {
    record Case(SchedulerConfig cfg, RequestSet reqs, double[] coef) {
        StepTimeModel model() {
            // depends on every argument (and not linearly), so that any difference in what is stepped shows
            return (d, c, ps, pt, pp) -> coef[0] + coef[1] * d + coef[2] * c + coef[3] * ps + coef[4] * pt + coef[5] * pp
                    + coef[6] * Math.sqrt(c + pt);
        }

        @Override
        public String toString() {
            return cfg + " " + reqs + " concurrency " + reqs.concurrency() + " prefix " + reqs.prefix();
        }
    }

    @Property(tries = 600)
    void eventDrivenEqualsStepping(@ForAll("cases") Case c) {
        SimResult slow = new SteppingSimulator(c.cfg(), c.model()).run(c.reqs());
        SimResult fast = new ServingSimulator(c.cfg(), c.model()).run(c.reqs());
        assertIdentical(slow, fast, c.toString());
    }

    /** Lowering max_num_seqs to what a replica can ever hold changes nothing (the search shares such simulations). */
    @Property(tries = 300)
    void canonicalSchedulerSimulatesTheSame(@ForAll("cases") Case c) {
        SchedulerConfig k = ServingSimulator.canonical(c.cfg(), c.reqs());
        assertIdentical(new ServingSimulator(c.cfg(), c.model()).run(c.reqs()), new ServingSimulator(k, c.model()).run(c.reqs()),
                c + " canonical " + k);
    }

    @Provide
    Arbitrary<Case> cases() {
        Arbitrary<Integer> replicas = Arbitraries.integers().between(1, 5);
        Arbitrary<Integer> blockSize = Arbitraries.of(1, 2, 3, 16, 32);
        Arbitrary<Integer> maxSeqs = Arbitraries.of(1, 2, 7, 32, 128, 300, 4096);
        Arbitrary<Integer> maxTokens = Arbitraries.of(1, 5, 24, 100, 512, 2048, 8192);
        Arbitrary<Boolean> chunked = Arbitraries.of(true, true, false);
        Arbitrary<SchedulerConfig.Admission> admission = Arbitraries.of(SchedulerConfig.Admission.ON_DEMAND,
                SchedulerConfig.Admission.ON_DEMAND, SchedulerConfig.Admission.RESERVE_FULL);
        Arbitrary<SchedulerConfig.Routing> routing = Arbitraries.of(SchedulerConfig.Routing.class);
        Arbitrary<Long> seed = Arbitraries.longs();
        Arbitrary<Double> pressure = Arbitraries.of(0.02, 0.1, 0.3, 1.0, 5.0, 100.0);
        return Combinators.combine(replicas, blockSize, maxSeqs, maxTokens, chunked, admission, routing, seed)
                .flatAs((dp, bs, seqs, tokens, ch, adm, rt, sd) -> pressure.map(p -> build(dp, bs, seqs, tokens, ch, adm, rt, sd, p)));
    }

    static Case build(int dp, int bs, int seqs, int tokens, boolean chunked, SchedulerConfig.Admission adm,
                      SchedulerConfig.Routing rt, long seed, double pressure) {
        SplittableRandom rnd = new SplittableRandom(seed);
        int n = 1 + rnd.nextInt(160);
        double[] a = new double[n];
        int[] p = new int[n];
        int[] o = new int[n];
        int kind = rnd.nextInt(4); // 0 offline, 1 Poisson, 2 unsorted trace, 3 bursts with ties
        double t = 0;
        long longest = 1;
        for (int i = 0; i < n; i++) {
            p[i] = 1 + (rnd.nextInt(4) == 0 ? rnd.nextInt(3000) : rnd.nextInt(200));
            o[i] = 1 + (rnd.nextInt(3) == 0 ? rnd.nextInt(1500) : rnd.nextInt(120));
            longest = Math.max(longest, p[i] + o[i]);
            switch (kind) {
                case 1 -> a[i] = t += -Math.log(1 - rnd.nextDouble()) * 0.05;
                case 2 -> a[i] = rnd.nextDouble() * 5;
                case 3 -> a[i] = rnd.nextInt(4) * 0.5;
                default -> a[i] = 0;
            }
        }
        int concurrency = rnd.nextInt(3) == 0 ? 1 + rnd.nextInt(Math.max(1, n)) : 0;
        // pool: a multiple of the longest request, from "a few blocks short of it" (rejections) to roomy
        long need = (longest + bs - 1) / bs;
        long blocks = Math.max(1, (long) (need * pressure * (1 + rnd.nextInt(4))));
        if (pressure > 50) {
            // every request at full length at once: no replica ever runs short
            blocks = 0;
            for (int i = 0; i < n; i++) blocks += (p[i] + o[i] + bs - 1) / bs;
        }
        // prefix caching (preempted requests find what was not evicted), a shared prompt prefix, lockstep replicas
        boolean cache = rnd.nextInt(2) == 0;
        boolean lock = dp > 1 && rnd.nextInt(4) == 0;
        int prefix = cache && rnd.nextInt(3) == 0 ? rnd.nextInt(600) : 0;
        var cfg = new SchedulerConfig(dp, blocks, bs, seqs, tokens, chunked, adm, rt, cache, lock, 1);
        double[] coef = {0.002 + rnd.nextDouble() * 0.01, rnd.nextDouble() * 1e-4, rnd.nextDouble() * 1e-8, rnd.nextDouble() * 1e-3,
                rnd.nextDouble() * 1e-6, rnd.nextDouble() * 1e-12, rnd.nextDouble() * 1e-6};
        return new Case(cfg, new RequestSet(a, p, o, concurrency, prefix), coef);
    }

    /** The study's shape at full size: 2,000 reasoning requests on one replica and on eight. */
    @Test
    void reasoningWorkloadAtStudySize() {
        var w = Study.reasoning(2000);
        RequestSet reqs = RequestSet.draw(w, Predictor.DEFAULT_SEED);
        StepTimeModel m = ServingSimulatorTest.UNEVEN;
        for (int dp : new int[]{1, 8}) {
            for (long blocks : new long[]{40_000, 400_000}) {
                for (boolean cache : new boolean[]{false, true}) {
                    var cfg = new SchedulerConfig(dp, blocks, 16, 1024, 8192, true, SchedulerConfig.Admission.ON_DEMAND,
                            SchedulerConfig.Routing.LEAST_LOADED, cache, cache && dp > 1, 1);
                    assertIdentical(new SteppingSimulator(cfg, m).run(reqs), new ServingSimulator(cfg, m).run(reqs),
                            "dp " + dp + ", " + blocks + " blocks, prefix cache " + cache);
                }
            }
        }
    }

    /** Every component, doubles compared by their bits. */
    static void assertIdentical(SimResult a, SimResult b, String what) {
        assertEquals(a.requests(), b.requests(), what);
        assertEquals(a.completed(), b.completed(), what);
        assertEquals(a.rejected(), b.rejected(), what);
        assertBits(a.makespan(), b.makespan(), what + ": makespan");
        assertEquals(a.promptTokens(), b.promptTokens(), what);
        assertEquals(a.outputTokens(), b.outputTokens(), what);
        assertBits(a.outputThroughput(), b.outputThroughput(), what);
        assertBits(a.totalThroughput(), b.totalThroughput(), what);
        assertBits(a.requestThroughput(), b.requestThroughput(), what);
        assertEquals(a.ttft(), b.ttft(), what + ": ttft");
        assertEquals(a.tpot(), b.tpot(), what + ": tpot");
        assertEquals(a.e2e(), b.e2e(), what + ": e2e");
        assertEquals(a.preemptions(), b.preemptions(), what + ": preemptions");
        assertEquals(a.recomputedTokens(), b.recomputedTokens(), what + ": recomputed");
        assertEquals(a.steps(), b.steps(), what + ": steps");
        assertBits(a.meanRunning(), b.meanRunning(), what + ": meanRunning");
        assertBits(a.peakKvUtil(), b.peakKvUtil(), what + ": peak");
        assertArrayEquals(a.timeT(), b.timeT(), what + ": timeline");
        assertArrayEquals(a.timeUtil(), b.timeUtil(), what + ": timeline");
        assertEquals(a, b, what);
    }

    static void assertBits(double x, double y, String what) {
        assertEquals(Double.doubleToLongBits(x), Double.doubleToLongBits(y), what + ": " + x + " vs " + y);
    }
}
