package dev.shardplan.bench;

import dev.shardplan.analysis.Analyzer;
import dev.shardplan.api.CheckResult;
import dev.shardplan.api.Compiler;
import dev.shardplan.api.Frontend;
import dev.shardplan.model.Plan;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * Cost against cluster size (issue 16): Llama-3.1-70B at TP 8 on every GPU of 128 to 12,500
 * HGX H100 nodes (1,024 to 100,000 GPUs). {@code analyze}: the analysis stage (graph, layout,
 * memory, interconnect, checks with their fix suggestions); {@code check}: all of {@code
 * Compiler.check}, which adds the launcher rules of the plan's targets (the emit stage), timed
 * only up to 16,384 GPUs ({@link CheckScale}).
 */
public class ScaleBench {
    static Path write(Path dir, int nodes) {
        String text = """
                import "std:models"
                import "std:nodes"
                import "std:workloads"

                cluster big%1$d {
                  nodes %1$d x HGX_H100
                }

                plan llama70b_%1$d {
                  model llama_3_1_70b
                  cluster big%1$d
                  workload natural_reasoning
                  parallel { dp %1$d; tp 8 }
                  engine vllm { gpu_memory_utilization 0.9; max_num_seqs 256 }
                  emit vllm, kubernetes
                  deploy { hf_token_secret "hf-token" }
                }
                """.formatted(nodes);
        try {
            Path f = Files.createDirectories(dir).resolve("scale" + nodes + ".plan");
            Files.writeString(f, text);
            return f;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @State(Scope.Benchmark)
    public static class AnalyzeScale {
        @Param({"128", "512", "2048", "8192", "12500"})
        public int nodes;
        Path dir;
        Plan p;

        @Setup(Level.Trial)
        public void setUp() throws IOException {
            dir = Files.createTempDirectory("shardplan-scale");
            Path f = write(dir, nodes);
            // the front end and analysis must be clean (the launcher rules are timed separately)
            var fr = Frontend.check(dir, List.of(f));
            if (fr.hasErrors() || fr.plans().size() != 1) throw new IllegalStateException("scale input is not clean: " + fr.diagnostics());
            p = fr.plans().get(0);
            var a = Analyzer.analyze(p);
            if (a.hasErrors()) throw new IllegalStateException("scale input does not analyse clean: " + a.diagnostics());
        }

        @TearDown(Level.Trial)
        public void tearDown() {
            Inputs.delete(dir);
        }
    }

    @State(Scope.Benchmark)
    public static class CheckScale {
        @Param({"128", "2048"})
        public int nodes;
        Path dir, f;

        @Setup(Level.Trial)
        public void setUp() throws IOException {
            dir = Files.createTempDirectory("shardplan-scale");
            f = write(dir, nodes);
            CheckResult r = Inputs.clean(dir, List.of(f));
            if (r.plans().size() != 1) throw new IllegalStateException("expected one plan");
        }

        @TearDown(Level.Trial)
        public void tearDown() {
            Inputs.delete(dir);
        }
    }

    @Benchmark
    public Object analyze(AnalyzeScale s) {
        return Analyzer.analyze(s.p);
    }

    @Benchmark
    public Object check(CheckScale s) {
        return Compiler.check(s.dir, List.of(s.f));
    }
}
