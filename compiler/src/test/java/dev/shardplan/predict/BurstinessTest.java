package dev.shardplan.predict;

import dev.shardplan.api.Frontend;
import dev.shardplan.api.FrontendResult;
import dev.shardplan.diag.Span;
import dev.shardplan.model.LengthDist;
import dev.shardplan.model.Workload;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A workload's {@code burstiness}: gaps between arrivals are gamma with that shape and the
 * workload's mean rate, as vLLM's bench serve draws them (1: the Poisson process of before).
 */
class BurstinessTest {
    @TempDir
    Path root;

    static Workload at(double rate, double burstiness) {
        return new Workload("w", 20_000, rate, 0, new LengthDist.Fixed(100), new LengthDist.Fixed(100), 1000, 0,
                Workload.Sampling.GREEDY, burstiness, Span.NONE);
    }

    /** Mean and coefficient of variation of the gaps. */
    static double[] gaps(RequestSet s) {
        double[] a = s.arrival();
        double sum = 0, sq = 0;
        for (int i = 0; i < a.length; i++) {
            double g = a[i] - (i == 0 ? 0 : a[i - 1]);
            sum += g;
            sq += g * g;
        }
        double mean = sum / a.length, var = sq / a.length - mean * mean;
        return new double[]{mean, Math.sqrt(var) / mean};
    }

    @Test
    void gapsKeepTheMeanRateAndHaveTheGammaSpread() {
        // gamma(shape k): coefficient of variation 1 / sqrt(k); 20,000 gaps hold both within a few percent
        for (double k : new double[]{0.25, 1, 4}) {
            double[] g = gaps(RequestSet.draw(at(4, k), 7));
            assertEquals(0.25, g[0], 0.25 * 0.05, "mean gap at burstiness " + k);
            assertEquals(1 / Math.sqrt(k), g[1], 0.08 / Math.sqrt(k), "spread at burstiness " + k);
        }
    }

    @Test
    void burstinessOneIsThePoissonProcessOfBefore() {
        Workload poisson = new Workload("w", 20_000, 4, 0, new LengthDist.Fixed(100), new LengthDist.Fixed(100), 1000, Span.NONE);
        assertArrayEquals(RequestSet.draw(poisson, 3).arrival(), RequestSet.draw(at(4, 1), 3).arrival());
    }

    /** TTFT p99 of Llama-8B on one H200 at a mean 6 req/s, with the given burstiness. */
    private double ttftP99(double burstiness) throws Exception {
        Path f = root.resolve("b" + burstiness + ".plan");
        Files.writeString(f, """
                import "std:models"
                import "std:nodes"
                cluster one { nodes 1 x HGX_H200 }
                workload chat {
                  requests 2000
                  arrival 6 req/s
                  burstiness %s
                  prompt 1000 tokens
                  output 300 tokens
                  max_length 4k tokens
                }
                plan p {
                  model deepseek_r1_distill_llama_8b
                  cluster one
                  workload chat
                  parallel { dp 1 }
                  engine vllm { }
                }
                """.formatted(burstiness));
        var r = dev.shardplan.api.Compiler.check(root, List.of(f));
        var plan = r.plans().get(0);
        Prediction pr = dev.shardplan.api.Predictions.simulate(plan, r.analyses().get(plan.name()), Predictor.DEFAULT_SEED);
        assertTrue(pr.simulated(), pr.diagnostics().toString());
        return pr.result().ttft().p99();
    }

    @Test
    void burstyArrivalsAtTheSameMeanRateRaiseTheTailOfTtft() throws Exception {
        double poisson = ttftP99(1), bursty = ttftP99(0.2);
        assertTrue(bursty > 1.5 * poisson, "TTFT p99 bursty " + bursty + " s vs Poisson " + poisson + " s");
    }

    private FrontendResult check(String workloadBody) throws Exception {
        Path f = root.resolve("w.plan");
        Files.writeString(f, "workload w {\n  requests 100\n" + workloadBody + "\n  prompt 100 tokens\n  output 100 tokens\n  max_length 1k tokens\n}\n");
        return Frontend.check(root, List.of(f));
    }

    @Test
    void thePlanLanguageReadsItAndRefusesItWithoutARate() throws Exception {
        FrontendResult ok = check("  arrival 4 req/s\n  burstiness 0.5");
        assertTrue(ok.diagnostics().isEmpty(), ok.diagnostics().toString());
        FrontendResult offline = check("  burstiness 0.5");
        assertTrue(offline.diagnostics().stream().anyMatch(d -> d.isError() && d.message().contains("has no arrival rate")
                && d.span().line() == 3), offline.diagnostics().toString());
        FrontendResult zero = check("  arrival 4 req/s\n  burstiness 0");
        assertTrue(zero.diagnostics().stream().anyMatch(d -> d.code().id().equals("SP0207")), zero.diagnostics().toString());
    }
}
