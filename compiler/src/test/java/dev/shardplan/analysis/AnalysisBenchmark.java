package dev.shardplan.analysis;

import dev.shardplan.model.Plan;

import java.util.Arrays;
import java.util.Locale;

/**
 * Times the analysis of plans on 1,024 GPUs (128 HGX H100 nodes): device graph, rank layout,
 * memory budgets, KV capacity and interconnect, then the full analysis with its checks. Run with
 * {@code java -cp <test classpath> dev.shardplan.analysis.AnalysisBenchmark}; results go in
 * docs/benchmarks.md. Not a test: timings are never asserted.
 */
public final class AnalysisBenchmark {
    private AnalysisBenchmark() {}

    public static void main(String[] args) {
        System.out.println("cpus " + Runtime.getRuntime().availableProcessors() + ", load average "
                + java.lang.management.ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage() + ", java " + System.getProperty("java.version"));
        String cluster = "cluster big { nodes 128 x HGX_H100 }\n";
        Plan dense = Fixtures.plan(cluster + "plan p { model llama_3_1_70b; cluster big; workload natural_reasoning\n"
                + "  parallel { dp 128; tp 8 }\n  engine vllm { gpu_memory_utilization 0.9 }\n}\n", "p");
        Plan deep = Fixtures.plan(cluster + "plan p { model llama_3_1_405b; cluster big; workload natural_reasoning\n"
                + "  parallel { dp 64; tp 8; pp 2 }\n  engine vllm { gpu_memory_utilization 0.9 }\n}\n", "p");
        Plan moe = Fixtures.plan(cluster + "plan p { model deepseek_r1; cluster big; workload natural_reasoning\n"
                + "  parallel { dp 128; tp 8; ep 1024 }\n  engine vllm { gpu_memory_utilization 0.9 }\n}\n", "p");
        run("llama-3.1-70b dp128 x tp8 (1,024 gpus)", dense);
        run("llama-3.1-405b dp64 x tp8 x pp2 (1,024 gpus)", deep);
        run("deepseek-r1 dp128 x tp8, ep 1,024 (1,024 gpus)", moe);
    }

    static final java.lang.management.ThreadMXBean CPU = java.lang.management.ManagementFactory.getThreadMXBean();

    static void run(String name, Plan p) {
        for (int i = 0; i < 50; i++) Analyzer.core(p, StepTimeModel.ROOFLINE);
        double[] wall = new double[100], cpu = new double[100];
        for (int i = 0; i < wall.length; i++) {
            long c = CPU.getCurrentThreadCpuTime();
            long t = System.nanoTime();
            Analyzer.core(p, StepTimeModel.ROOFLINE);
            wall[i] = (System.nanoTime() - t) / 1e6;
            cpu[i] = (CPU.getCurrentThreadCpuTime() - c) / 1e6;
        }
        for (int i = 0; i < 3; i++) Analyzer.analyze(p);
        double[] full = new double[10];
        for (int i = 0; i < full.length; i++) {
            long t = CPU.getCurrentThreadCpuTime();
            Analyzer.analyze(p);
            full[i] = (CPU.getCurrentThreadCpuTime() - t) / 1e6;
        }
        System.out.printf(Locale.ROOT, "%-48s graph+layout+budgets+interconnect: cpu median %6.2f ms, min %6.2f | wall median %6.2f ms, min %6.2f | with checks and fix search: cpu median %7.2f ms%n",
                name, median(cpu), min(cpu), median(wall), min(wall), median(full));
    }

    static double median(double[] a) {
        double[] c = a.clone();
        Arrays.sort(c);
        return c[c.length / 2];
    }

    static double min(double[] a) { return Arrays.stream(a).min().orElse(0); }

}
