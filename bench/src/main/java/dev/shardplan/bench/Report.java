package dev.shardplan.bench;

import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.RunnerException;
import org.openjdk.jmh.runner.options.ChainedOptionsBuilder;
import org.openjdk.jmh.runner.options.OptionsBuilder;
import org.openjdk.jmh.runner.options.TimeValue;
import org.openjdk.jmh.annotations.Mode;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;

/**
 * Runs the benchmarks and prints the table of docs/benchmarks.md: per benchmark the median time
 * of its measured iterations, their range, and the median divided by that of {@link Reference}
 * measured in the same run, with the machine named. JMH times wall-clock: on a shared machine the
 * load average printed at the start and the end says how far to trust the absolute figures. Usage:
 * {@code java -cp bench/target/benchmarks.jar dev.shardplan.bench.Report [REGEX]} (default: all).
 */
public final class Report {
    private Report() {}

    public static void main(String[] args) throws RunnerException {
        System.out.printf(Locale.ROOT, "load average %.1f at the start%n",
                java.lang.management.ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage());
        String include = args.length > 0 ? args[0] : "dev\\.shardplan\\.bench\\..*";
        ChainedOptionsBuilder b = new OptionsBuilder()
                .include(include).include(Reference.class.getName())
                .mode(Mode.AverageTime).timeUnit(TimeUnit.MILLISECONDS)
                .forks(1).warmupIterations(3).warmupTime(TimeValue.seconds(2))
                .measurementIterations(5).measurementTime(TimeValue.seconds(2))
                .shouldFailOnError(true);
        Collection<RunResult> results = new Runner(b.build()).run();
        System.out.println(table(results));
    }

    static String table(Collection<RunResult> results) {
        double ref = Double.NaN;
        for (RunResult r : results) if (r.getParams().getBenchmark().endsWith("Reference.reference")) ref = median(r);
        StringBuilder sb = new StringBuilder();
        sb.append(machine()).append("\n\n");
        sb.append("| benchmark | parameters | median | min | max | / reference |\n|---|---|---|---|---|---|\n");
        List<RunResult> sorted = new ArrayList<>(results);
        sorted.sort((x, y) -> label(x).compareTo(label(y)));
        for (RunResult r : sorted) {
            var st = r.getPrimaryResult().getStatistics();
            String name = r.getParams().getBenchmark().replace("dev.shardplan.bench.", "");
            sb.append(String.format(Locale.ROOT, "| %s | %s | %s | %s | %s | %.3g |%n", name, params(r), ms(median(r)), ms(st.getMin()),
                    ms(st.getMax()), median(r) / ref));
        }
        return sb.toString();
    }

    private static String label(RunResult r) {
        return r.getParams().getBenchmark() + " " + params(r);
    }

    private static String params(RunResult r) {
        List<String> ps = new ArrayList<>();
        for (String k : r.getParams().getParamsKeys()) ps.add(k + "=" + r.getParams().getParam(k));
        return ps.isEmpty() ? "" : String.join(", ", ps);
    }

    static double median(RunResult r) {
        return r.getPrimaryResult().getStatistics().getPercentile(50);
    }

    private static String ms(double v) {
        return v >= 100 ? String.format(Locale.ROOT, "%.0f ms", v) : v >= 1 ? String.format(Locale.ROOT, "%.2f ms", v)
                : String.format(Locale.ROOT, "%.3f ms", v);
    }

    /** The CPU (model name from /proc/cpuinfo where there is one), processors, Java and load. */
    static String machine() {
        String cpu = System.getProperty("os.arch");
        try {
            for (String l : Files.readAllLines(Path.of("/proc/cpuinfo"))) {
                if (l.startsWith("model name")) {
                    cpu = l.substring(l.indexOf(':') + 1).trim();
                    break;
                }
            }
        } catch (IOException | RuntimeException e) {
            // not Linux: the architecture will do
        }
        var os = java.lang.management.ManagementFactory.getOperatingSystemMXBean();
        return String.format(Locale.ROOT, "CPU: %s, %d processors; %s %s; Java %s; load average %.1f at the end", cpu,
                Runtime.getRuntime().availableProcessors(), System.getProperty("os.name"), System.getProperty("os.version"),
                System.getProperty("java.version"), os.getSystemLoadAverage());
    }

}
