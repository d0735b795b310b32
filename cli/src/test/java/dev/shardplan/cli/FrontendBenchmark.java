package dev.shardplan.cli;

import dev.shardplan.api.CheckResult;
import dev.shardplan.api.Compiler;
import dev.shardplan.api.Frontend;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

/**
 * Front-end benchmark (not a timed test; excluded from the default run). Run with
 * {@code mvn -o -pl cli -am test -Dsurefire.excludedGroups= -Dgroups=benchmark -Dtest=FrontendBenchmark -Dsurefire.failIfNoSpecifiedTests=false};
 * it prints the numbers recorded in docs/benchmarks.md.
 */
@Tag("benchmark")
class FrontendBenchmark {
    static final Path PLANS = Path.of("../plans");
    static final List<String> STD = List.of("gpus", "nodes", "models", "workloads");

    @TempDir
    Path tmp;

    /**
     * Each example plan file, and each std module (through a file that imports it), checked
     * in-process after warm-up: the front end alone, and {@code Compiler.check} (front end, then
     * every plan's analyses with their verified fix suggestions).
     */
    @Test
    void warmCheckPerPlan() throws IOException {
        List<Path> inputs = new ArrayList<>();
        Path root = PLANS.toAbsolutePath().normalize();
        try (Stream<Path> s = Files.walk(root)) {
            s.filter(f -> f.toString().endsWith(".plan")).sorted().forEach(inputs::add);
        }
        for (String m : STD) {
            Path f = tmp.resolve("std_" + m + ".plan");
            Files.writeString(f, "import \"std:" + m + "\"\n");
            inputs.add(f);
        }
        int plans = 0;
        for (Path in : inputs) {
            CheckResult r = Compiler.check(in.startsWith(root) ? root : tmp, List.of(in));
            assertFalse(r.hasErrors(), in + ": " + r.diagnostics());
            plans += r.plans().size();
        }
        for (int i = 0; i < 30; i++) {
            for (Path in : inputs) {
                Compiler.check(in.startsWith(root) ? root : tmp, List.of(in));
                Frontend.check(in.startsWith(root) ? root : tmp, List.of(in));
            }
        }
        int rounds = 100;
        System.out.printf(Locale.ROOT, "%n== warm in-process check, %d rounds after 30 warm-up rounds (%s, load average %.1f)%n",
                rounds, machine(), ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage());
        System.out.printf(Locale.ROOT, "%-45s %5s %12s %12s %12s%n", "file", "plans", "front end", "check", "check/plan");
        double frontMs = 0, checkMs = 0;
        var cpu = ManagementFactory.getThreadMXBean();
        for (Path in : inputs) {
            Path r = in.startsWith(root) ? root : tmp;
            int n = Compiler.check(r, List.of(in)).plans().size();
            long t0 = cpu.getCurrentThreadCpuTime();
            for (int i = 0; i < rounds; i++) Frontend.check(r, List.of(in));
            double front = (cpu.getCurrentThreadCpuTime() - t0) / 1e6 / rounds;
            t0 = cpu.getCurrentThreadCpuTime();
            for (int i = 0; i < rounds; i++) Compiler.check(r, List.of(in));
            double check = (cpu.getCurrentThreadCpuTime() - t0) / 1e6 / rounds;
            frontMs += front;
            checkMs += check;
            System.out.printf(Locale.ROOT, "%-45s %5d %9.2f ms %9.2f ms %9s%n", root.relativize(in.startsWith(root) ? in : root.resolve(in.getFileName())),
                    n, front, check, n > 0 ? String.format(Locale.ROOT, "%.2f ms", check / n) : "-");
        }
        System.out.printf(Locale.ROOT, "all %d files (%d plans), CPU time: front end %.2f ms per file; check %.2f ms per file, %.2f ms per plan%n",
                inputs.size(), plans, frontMs / inputs.size(), checkMs / inputs.size(), checkMs / Math.max(1, plans));
    }

    /** 1,000 generated plan files checked in one run of the CLI, in a JVM limited to 512 MB of heap. */
    @Test
    void thousandPlansUnder512m() throws Exception {
        Path dir = Files.createDirectories(tmp.resolve("many"));
        // Every plan passes the analyses (Compiler.check runs them): Kimi K2's 1T parameters do not fit
        // on 8 x H200, so DeepSeek-V3 stands in; gpt-oss-120b's experts need ep (SP0604: 2880 / 8 is
        // not a multiple of the fp4 group of 32 when vLLM shards them over dp x tp).
        String[] models = {"llama_3_1_8b", "llama_3_1_70b", "qwen3_32b", "qwen3_30b_a3b", "deepseek_r1_distill_qwen_32b", "mixtral_8x7b",
                "deepseek_r1", "gpt_oss_120b", "deepseek_v3", "qwen3_235b_a22b"};
        int[][] degrees = {{8, 1}, {4, 2}, {2, 4}, {1, 8}};
        for (int i = 0; i < 1000; i++) {
            int[] d = degrees[i % degrees.length];
            String text = """
                    import "std:models"
                    import "std:nodes"
                    import "std:workloads"

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
                      emit vllm, sglang
                    }
                    """.formatted(i, 1000 + i, 100 + i % 50, 400 + i % 200, models[i % models.length], d[0], d[1], 64 + i % 256,
                    models[i % models.length].startsWith("gpt_oss") ? "; ep 8" : "");
            Files.writeString(dir.resolve(String.format("plan_%04d.plan", i)), text, StandardCharsets.UTF_8);
        }
        List<String> cmd = List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx512m", "-XX:+UseSerialGC",
                "-cp", System.getProperty("java.class.path"), "dev.shardplan.cli.Main", "check", "--root", dir.toString(), dir.toString());
        long t0 = System.nanoTime();
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        int code = p.waitFor();
        double s = (System.nanoTime() - t0) / 1e9;
        System.out.printf(Locale.ROOT, "%n== 1,000 plan files, one CLI run with -Xmx512m (%s, load average %.1f)%n%s", machine(),
                ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage(), out.lines().filter(l -> l.matches("^(\\w+: )?checked \\d+ files.*")).reduce((a, b) -> b).orElse(out) + "\n");
        System.out.printf(Locale.ROOT, "exit %d, wall %.2f s, %.2f ms per plan including JVM start%n", code, s, s * 1000 / 1000);
        assertEquals(0, code, out);

        // the same in-process: heap retained by the result of checking all of them
        System.gc();
        long before = usedHeap();
        CheckResult r = Compiler.check(dir, List.of(dir));
        System.gc();
        long after = usedHeap();
        assertEquals(1000, r.plans().size());
        System.out.printf(Locale.ROOT, "in-process: %d plans resolved, %.1f MB of heap retained by the result%n",
                r.plans().size(), (after - before) / 1e6);
    }

    static long usedHeap() {
        return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
    }

    static String machine() {
        return System.getProperty("os.name") + " " + System.getProperty("os.arch") + ", " + Runtime.getRuntime().availableProcessors()
                + " CPUs, Java " + System.getProperty("java.version");
    }
}
