package dev.shardplan.predict;

import dev.shardplan.model.DType;
import dev.shardplan.model.Model;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

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

    /**
     * The GEMMs priced by shape are the rank's dense linear layers: for a dense model their weights
     * are its fixed weights less the norms, their FLOPs all of its linear FLOPs; for a MoE model they
     * leave out the routed experts; the shards narrow with TP (Llama-3.1-8B's shapes, vLLM's split).
     */
    @Test
    void theShapedGemmsAreTheRanksDenseLinearLayers() {
        Model m = Study.distill8b();
        var par = new dev.shardplan.model.Parallel(1, 2, 1, 1, false, List.of(), List.of());
        RankLoad l = RankLoad.of(m, par, DType.BF16);
        double bytes = 0, flops = 0;
        for (RankLoad.Gemm g : l.shapedGemms()) {
            bytes += g.weightBytes();
            flops += g.flopsPerToken();
        }
        double norms = l.layers() * (double) m.layerNormParams() * 2;
        assertEquals(l.fixedWeightBytes() - norms, bytes, 1e-6 * bytes);
        assertEquals(l.linearFlopsPerToken(), flops, 1e-6 * flops);
        var qkv = l.shapedGemms().get(0);
        assertEquals("qkv", qkv.what());
        assertEquals((16 + 2 * 4) * 128, qkv.n());  // 32 query and 8 KV heads over tp 2
        assertEquals(4096, qkv.k());
        RankLoad moe = RankLoad.of(Catalog.deepseekR1(), new dev.shardplan.model.Parallel(1, 8, 1, 8, false, List.of(), List.of()), DType.BF16);
        double mf = 0;
        for (RankLoad.Gemm g : moe.shapedGemms()) mf += g.flopsPerToken();
        assertTrue(mf + moe.expertFlopsPerToken() <= moe.linearFlopsPerToken() * (1 + 1e-9), "MoE: shaped + experts within the linear FLOPs");
    }

    /** σ is 1 for the widest measured GEMMs, below 1 for a narrow shard, and held at the grid's edges. */
    @Test
    void kernelShapeIsOneForWideGemmsAndFallsForNarrowOnes() {
        double wide = KernelShape.gemm(4096, 16384, 16384), narrow = KernelShape.gemm(1, 512, 512);
        assertTrue(wide > 0.7 && wide <= 1, "wide " + wide);
        assertTrue(narrow < 0.1, "narrow " + narrow);
        assertEquals(KernelShape.gemm(4096, 16384, 16384), KernelShape.gemm(16384, 131072, 16384), 1e-12);
        assertTrue(KernelShape.wideHbmEfficiency() > 0.8 && KernelShape.wideHbmEfficiency() < 1, "" + KernelShape.wideHbmEfficiency());
        assertTrue(KernelShape.wideBf16Efficiency() > 0.8 && KernelShape.wideBf16Efficiency() < 1, "" + KernelShape.wideBf16Efficiency());
    }
}
