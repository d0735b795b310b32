package dev.shardplan.bench;

import org.junit.jupiter.api.Test;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.options.OptionsBuilder;
import org.openjdk.jmh.runner.options.TimeValue;
import org.openjdk.jmh.runner.options.VerboseMode;

import java.util.Collection;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The benchmarks' smoke run, part of every build: each benchmark, with each of its parameters,
 * set up (its inputs checked clean) and run once, in this JVM. A benchmark whose input stopped
 * being clean, or that throws, fails the build instead of rotting until someone times it. Nothing
 * is timed here.
 */
class SmokeTest {
    @Test
    void everyBenchmarkRunsOnceOnCleanInputs() throws Exception {
        var opts = new OptionsBuilder().include("dev\\.shardplan\\.bench\\..*")
                .forks(0).mode(Mode.SingleShotTime).warmupIterations(0).measurementIterations(1)
                .measurementTime(TimeValue.milliseconds(1)).shouldFailOnError(true).verbosity(VerboseMode.SILENT).build();
        Collection<RunResult> results = new Runner(opts).run();
        // Reference 1, FrontendBench 3, AnalysisBench 2 x 3, ScaleBench 5 + 2, PredictBench 4, SearchBench 4, EmitBench 1, LspBench 4 x 2
        assertEquals(1 + 3 + 6 + 7 + 4 + 4 + 1 + 8, results.size());
        for (RunResult r : results) assertTrue(r.getPrimaryResult().getScore() > 0, r.getParams().getBenchmark());
        String table = Report.table(results);
        assertTrue(table.contains("| Reference.reference |"), table);
    }
}
