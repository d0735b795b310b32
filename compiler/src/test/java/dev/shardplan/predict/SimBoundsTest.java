package dev.shardplan.predict;

import dev.shardplan.model.DType;
import dev.shardplan.model.Model;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertTrue;

/** The search prunes with {@link SimBounds}: every bound must hold for what the simulator then predicts. */
class SimBoundsTest {
    @Property(tries = 400)
    void boundsHoldForRandomSchedulers(@ForAll("cases") SimulatorEquivalenceTest.Case c) {
        double[] k = c.coef();
        StepTimeModel base = c.model();
        // the case's model is linear in its arguments plus a square root: its floor per iteration is
        // the cheaper of a decode and a prefill sequence for each; per token the cheaper of context and prefill
        StepTimeModel m = new StepTimeModel() {
            public double seconds(int d, double ctx, int ps, int pt, double pp) {
                return base.seconds(d, ctx, ps, pt, pp);
            }

            public Floor floor() {
                return new Floor() {
                    public double iteration(int seqs) {
                        return k[0] + Math.min(k[1], k[3]) * Math.max(1, seqs);
                    }

                    public double perToken() {
                        return Math.min(k[2], k[4]);
                    }
                };
            }
        };
        check(c.cfg(), m, c.reqs(), c.toString());
    }

    @net.jqwik.api.Provide
    net.jqwik.api.Arbitrary<SimulatorEquivalenceTest.Case> cases() {
        return new SimulatorEquivalenceTest().cases();
    }

    /** The roofline's floor, on dense and MoE models with TP, PP and EP, roomy and capacity-bound. */
    @Test
    void boundsHoldForTheRoofline() {
        record Shape(Model m, int dp, int tp, int pp, int seqs) {}
        List<Shape> shapes = List.of(new Shape(Study.distill8b(), 1, 1, 1, 1024), new Shape(Study.distill8b(), 8, 1, 1, 256),
                new Shape(Study.distill70b(), 1, 4, 2, 512), new Shape(Study.distill70b(), 2, 2, 2, 1024),
                new Shape(Catalog.qwen3_235b(null, DType.FP8), 1, 8, 1, 1024), new Shape(Catalog.qwen32b(), 4, 2, 1, 256));
        for (Shape s : shapes) {
            for (RequestSet reqs : List.of(RequestSet.draw(Study.reasoning(2000), 3), ServingSimulatorTest.reasoning(400, 4.0, 0, 5),
                    ServingSimulatorTest.reasoning(400, 0, 64, 6))) {
                var plan = Study.plan("p", s.m(), Study.reasoning(10), s.dp(), s.tp(), s.pp(), s.seqs());
                var in = dev.shardplan.api.Predictions.inputs().apply(plan);
                if (!in.fits()) continue;
                var sc = Predictor.scheduler(plan, in);
                var stm = Predictor.model(plan, in, Predictor.efficiency(plan), RankLoad.of(plan.model(), plan.parallel(), in.engine().kvDtype()));
                check(sc, stm, reqs, s + " " + reqs);
                // a pool a tenth of the size: preemption storms
                var small = new SchedulerConfig(sc.replicas(), Math.max(2100, sc.kvBlocks() / 10), sc.blockSize(), sc.maxNumSeqs(),
                        sc.maxNumBatchedTokens(), sc.chunkedPrefill(), sc.admission(), sc.routing());
                check(small, stm, reqs, s + " small pool " + reqs);
            }
        }
    }

    /**
     * Replicas whose pool holds all their requests are bounded closely (the search prunes them):
     * the study's workload on eight 8B replicas, 250 requests each.
     */
    @Test
    void roomyReplicasAreBoundedClosely() {
        var plan = Study.plan("p", Study.distill8b(), Study.reasoning(2000), 8, 1, 1, 256);
        var in = dev.shardplan.api.Predictions.inputs().apply(plan);
        var sc = Predictor.scheduler(plan, in);
        var big = new SchedulerConfig(sc.replicas(), 2_000_000, sc.blockSize(), sc.maxNumSeqs(), sc.maxNumBatchedTokens(),
                sc.chunkedPrefill(), sc.admission(), sc.routing());
        var stm = Predictor.model(plan, in, Predictor.efficiency(plan), RankLoad.of(plan.model(), plan.parallel(), in.engine().kvDtype()));
        RequestSet reqs = RequestSet.draw(Study.reasoning(2000), Predictor.DEFAULT_SEED);
        SimResult r = new ServingSimulator(big, stm).run(reqs);
        SimBounds.Bound b = SimBounds.of(big, stm.floor(), new SimBounds.Requests(reqs), false);
        assertTrue(b.maxOutputThroughput() >= r.outputThroughput() && b.maxOutputThroughput() < 1.05 * r.outputThroughput(),
                r.outputThroughput() + " vs bound " + b.maxOutputThroughput());
        assertTrue(b.minTpot().p50() <= r.tpot().p50() && b.minTpot().p50() > 0.8 * r.tpot().p50(),
                r.tpot() + " vs bound " + b.minTpot());
    }

    static void check(SchedulerConfig cfg, StepTimeModel m, RequestSet reqs, String what) {
        SimResult r = new ServingSimulator(cfg, m).run(reqs);
        SimBounds.Bound b = SimBounds.of(cfg, m.floor(), new SimBounds.Requests(reqs), true);
        assertTrue(r.outputThroughput() <= b.maxOutputThroughput(), what + ": throughput " + r.outputThroughput() + " > " + b.maxOutputThroughput());
        atLeast(r.ttft(), b.minTtft(), what + ": ttft");
        atLeast(r.tpot(), b.minTpot(), what + ": tpot");
        atLeast(r.e2e(), b.minE2e(), what + ": e2e");
    }

    static void atLeast(SimResult.Summary actual, SimResult.Summary lb, String what) {
        assertTrue(actual.mean() >= lb.mean() && actual.p50() >= lb.p50() && actual.p90() >= lb.p90() && actual.p99() >= lb.p99()
                && actual.max() >= lb.max(), what + ": " + actual + " below " + lb);
    }
}
