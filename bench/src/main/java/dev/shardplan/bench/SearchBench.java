package dev.shardplan.bench;

import dev.shardplan.api.CheckResult;
import dev.shardplan.api.Predictions;
import dev.shardplan.predict.Predictor;
import dev.shardplan.predict.Search;
import dev.shardplan.predict.SearchSpace;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Search (issue 16): the 256-point space of Qwen3-30B-A3B on 64 H200s (tp × pp × ep ×
 * max_num_seqs × kv_dtype; bench/.../inputs/search64.plan), and the four crossover searches of
 * plans/study/crossover.plan; on one thread and on every processor ({@code jobs} 0).
 */
@State(Scope.Benchmark)
public class SearchBench {
    @Param({"search64", "crossover"})
    public String space;

    @Param({"1", "0"})
    public int jobs;

    Path dir;
    List<SearchSpace> spaces = new ArrayList<>();

    @Setup(Level.Trial)
    public void setUp() {
        dir = Inputs.unpack();
        Path f = space.equals("search64") ? dir.resolve("bench/search64.plan") : dir.resolve("plans/study/crossover.plan");
        CheckResult r = Inputs.clean(f.getParent(), List.of(f));
        for (var s : r.searches()) spaces.add(Predictions.space(s));
        if (spaces.isEmpty()) throw new IllegalStateException("no search in " + f);
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        Inputs.delete(dir);
    }

    @Benchmark
    public Object search() {
        var opts = new Search.Options(jobs == 0 ? Runtime.getRuntime().availableProcessors() : jobs, true, null);
        List<Search.Result> out = new ArrayList<>();
        for (SearchSpace s : spaces) {
            Search.Result res = Search.run(s, Predictor.DEFAULT_SEED, Predictions.inputs(), opts);
            if (res.winner() == null) throw new IllegalStateException("no candidate fits in " + s.name());
            out.add(res);
        }
        return out;
    }
}
