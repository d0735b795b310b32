package dev.shardplan.predict;

import dev.shardplan.model.DType;

import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The benchmarks of docs/benchmarks.md, "Predictions (issue 7)" (a main, not a test: no timed
 * assertions in tests). Run single-threaded after a warm-up; reports the median of 5.
 */
public final class PredictBenchmark {
    public static void main(String[] args) {
        // 1. 2,000 requests, ~100-token prompts, outputs averaging 5,000 tokens: 8B on one H200
        var w = new dev.shardplan.model.Workload("avg5000", 2000, 0, 0, new dev.shardplan.model.LengthDist.LogNormal(100, 0.6),
                new dev.shardplan.model.LengthDist.Uniform(1, 9999), 16384, dev.shardplan.diag.Span.NONE);
        var plan = Study.plan("bench", Study.distill8b(), w, 1, 1, 1, 1024);
        var in = AnalysisInputs.of(plan);
        var reqs = RequestSet.draw(w, 1);
        System.out.printf(Locale.ROOT, "output tokens %d (mean %.0f)%n", reqs.outputTokens(), reqs.outputTokens() / 2000.0);
        time("simulate 2000 x ~5000 tokens, 8B on 1 H200", () -> Predictor.simulate(plan, in, reqs, 1));
        // the same simulation stepping every iteration (no decode runs): the reference it must equal
        var sc = Predictor.scheduler(plan, in);
        var stm = new RooflineStepTime(RankLoad.of(plan.model(), plan.parallel(), plan.kvDtype()), plan.cluster().gpu(),
                Predictor.efficiency(plan), in.comm());
        if (!new SteppingSimulator(sc, stm).run(reqs).equals(new ServingSimulator(sc, stm).run(reqs))) {
            throw new AssertionError("decode runs changed the result");
        }
        time("  the same, stepping every iteration", () -> new SteppingSimulator(sc, stm).run(reqs));
        // 2. every valid plan of one model on one 8-GPU node
        var s = new SearchSpace("all", Catalog.qwen32b(), Study.hgxH200(), Study.reasoning(2000), Study.vllm(256), List.of(),
                SearchSpace.Objective.THROUGHPUT, 8, true, List.of(), List.of(), List.of(), List.of(), List.of(), List.of(DType.BF16),
                Map.of(), dev.shardplan.diag.Span.NONE);
        System.out.println("candidates " + Search.enumerate(s).size());
        time("search every dp x tp x pp of 32B on 8 H200", () -> Search.run(s, 1));
    }

    static void time(String name, Runnable r) {
        r.run();
        r.run();
        double[] t = new double[5];
        for (int i = 0; i < t.length; i++) {
            long a = System.nanoTime();
            r.run();
            t[i] = (System.nanoTime() - a) / 1e9;
        }
        java.util.Arrays.sort(t);
        System.out.printf(Locale.ROOT, "%s: median %.3f s (min %.3f, max %.3f)%n", name, t[2], t[0], t[4]);
    }
}
