package dev.shardplan.bench;

import dev.shardplan.api.CheckResult;
import dev.shardplan.api.Compiler;
import dev.shardplan.api.Frontend;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * Checking (issue 2): the project's plans/ (18 files, 34 plans) through the front end alone and
 * through {@code Compiler.check} (front end, every plan's analyses with their verified fix
 * suggestions, and the launcher rules of each plan's targets); and 1,000 generated plan files,
 * every one clean.
 */
@State(Scope.Benchmark)
public class FrontendBench {
    Path dir, plans;

    @Setup(Level.Trial)
    public void setUp() {
        dir = Inputs.unpack();
        plans = dir.resolve("plans");
        Inputs.clean(plans, List.of(plans));
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        Inputs.delete(dir);
    }

    /** The 1,000 generated plan files, written and checked clean once. */
    @State(Scope.Benchmark)
    public static class Thousand {
        Path many;

        @Setup(Level.Trial)
        public void setUp() throws IOException {
            many = Files.createTempDirectory("shardplan-bench-many");
            writeThousandPlans(many);
            CheckResult r = Inputs.clean(many, List.of(many));
            if (r.plans().size() != 1000) throw new IllegalStateException("expected 1000 plans, got " + r.plans().size());
        }

        @TearDown(Level.Trial)
        public void tearDown() {
            Inputs.delete(many);
        }
    }

    @Benchmark
    public Object frontEndOfPlans() {
        return Frontend.check(plans, List.of(plans));
    }

    @Benchmark
    public Object checkPlans() {
        return Compiler.check(plans, List.of(plans));
    }

    @Benchmark
    public Object checkThousandPlans(Thousand t) {
        return Compiler.check(t.many, List.of(t.many));
    }

    /**
     * 1,000 plan files, each its own cluster, workload and plan over the standard models, each
     * clean: degrees each engine's launcher accepts (SGLang: dp over a node, ep dividing tp).
     */
    static void writeThousandPlans(Path dir) {
        String[] models = {"llama_3_1_8b", "llama_3_1_70b", "qwen3_32b", "qwen3_30b_a3b", "deepseek_r1_distill_qwen_32b", "mixtral_8x7b",
                "deepseek_r1", "gpt_oss_120b", "deepseek_v3", "qwen3_235b_a22b"};
        int[][] degrees = {{8, 1}, {4, 2}, {2, 4}, {1, 8}};
        for (int i = 0; i < 1000; i++) {
            int[] d = degrees[i % degrees.length];
            String model = models[i % models.length];
            String text = """
                    import "std:models"
                    import "std:nodes"

                    cluster c%1$d {
                      nodes 1 x HGX_H200
                    }

                    workload w%1$d {
                      requests %2$d
                      arrival offline
                      prompt lognormal(median %3$d, p95 %4$d) tokens
                      output lognormal(median 4500, p95 17.9k) tokens
                      max_length 32k tokens
                    }

                    plan p%1$d {
                      model %5$s
                      cluster c%1$d
                      workload w%1$d
                      parallel { dp %6$d; tp %7$d%9$s }
                      engine vllm { gpu_memory_utilization 0.90; max_num_seqs %8$d; block_size 16 }
                      slo { ttft p99 < 5 s; tpot p50 < 60 ms }
                      emit vllm
                    }
                    """.formatted(i, 1000 + i, 100 + i % 50, 400 + i % 200, model, d[0], d[1], 64 + i % 256,
                    model.startsWith("gpt_oss") ? "; ep 8" : "");
            try {
                Files.writeString(dir.resolve(String.format("plan_%04d.plan", i)), text, StandardCharsets.UTF_8);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    }
}
