package dev.shardplan.predict;

import dev.shardplan.model.DType;
import dev.shardplan.model.Model;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;

class RooflineStepTimeTest {
    /**
     * {@code seconds} keeps the context-free terms between calls; it must still give exactly
     * {@code breakdown().total()}, in any order of calls (memo hits and misses), for dense and MoE
     * models with tensor, pipeline and expert parallelism.
     */
    @Test
    void secondsIsTheBreakdownsTotalBitForBit() {
        record Shape(Model m, int dp, int tp, int pp) {}
        List<Shape> shapes = List.of(new Shape(Study.distill8b(), 1, 1, 1), new Shape(Study.distill70b(), 1, 4, 2),
                new Shape(Catalog.qwen3_235b(null, DType.BF16), 1, 8, 1), new Shape(Catalog.deepseekR1(), 1, 8, 1),
                new Shape(Catalog.qwen3_235b(null, DType.FP8), 2, 2, 2));
        SplittableRandom rnd = new SplittableRandom(11);
        for (Shape s : shapes) {
            var plan = Study.plan("p", s.m(), Study.reasoning(10), s.dp(), s.tp(), s.pp(), 256);
            var in = dev.shardplan.api.Predictions.inputs().apply(plan);
            var stm = Predictor.model(plan, in, Predictor.efficiency(plan), RankLoad.of(plan.model(), plan.parallel(), in.engine().kvDtype()));
            int d = 1 + rnd.nextInt(300);
            for (int i = 0; i < 20_000; i++) {
                // runs of equal batches (memo hits) broken by random ones (misses)
                if (rnd.nextInt(8) == 0) d = rnd.nextInt(300);
                int ps = rnd.nextInt(4) == 0 ? 1 + rnd.nextInt(3) : 0;
                int pt = ps == 0 ? 0 : ps + rnd.nextInt(8000);
                if (d + ps == 0) d = 1;
                double ctx = d == 0 ? 0 : (double) d * (1 + rnd.nextInt(20_000));
                double pairs = ps == 0 ? 0 : (double) pt * rnd.nextInt(5000) + (double) pt * (pt + 1) / 2.0;
                double want = stm.breakdown(d, ctx, ps, pt, pairs).total();
                double got = stm.seconds(d, ctx, ps, pt, pairs);
                assertEquals(Double.doubleToLongBits(want), Double.doubleToLongBits(got), s + " " + d + " " + ctx + " " + ps + " " + pt);
            }
        }
    }
}
