package dev.shardplan.bench;

import dev.shardplan.api.CheckResult;
import dev.shardplan.model.Plan;
import dev.shardplan.predict.AnalysisInputs;
import dev.shardplan.predict.PlanInputs;
import dev.shardplan.predict.Predictor;
import dev.shardplan.predict.RankLoad;
import dev.shardplan.predict.RequestSet;
import dev.shardplan.predict.RooflineStepTime;
import dev.shardplan.predict.SchedulerConfig;
import dev.shardplan.predict.ServingSimulator;
import dev.shardplan.predict.StepTimeModel;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

import java.nio.file.Path;
import java.util.List;

/**
 * The serving simulation (issues 7 and 16) of the study's capacity-trap plan (plans/study/
 * capacity_trap.plan: DeepSeek-R1-Distill-Llama-8B on one H200, max_num_seqs 1024, the
 * natural_reasoning workload, which preempts throughout): its 2,000 requests, and 200,000 drawn
 * from the same workload; on one replica and on eight with the same pool each ({@code dp}).
 */
@State(Scope.Benchmark)
public class PredictBench {
    @Param({"2000", "200000"})
    public int requests;

    @Param({"1", "8"})
    public int dp;

    Path dir;
    SchedulerConfig scheduler;
    StepTimeModel model;
    RequestSet reqs;

    @Setup(Level.Trial)
    public void setUp() {
        dir = Inputs.unpack();
        Path f = dir.resolve("plans/study/capacity_trap.plan");
        CheckResult r = Inputs.clean(dir.resolve("plans"), List.of(f));
        Plan p = r.plans().stream().filter(x -> x.name().equals("r1_8b_one_h200")).findFirst().orElseThrow();
        PlanInputs in = AnalysisInputs.of(p, r.analyses().get(p.name()));
        SchedulerConfig sc = Predictor.scheduler(p, in);
        scheduler = new SchedulerConfig(dp, sc.kvBlocks(), sc.blockSize(), sc.maxNumSeqs(), sc.maxNumBatchedTokens(), sc.chunkedPrefill(),
                sc.admission(), sc.routing());
        model = new RooflineStepTime(RankLoad.of(p.model(), p.parallel(), in.engine().kvDtype()), p.cluster().gpu(), Predictor.efficiency(p), in.comm());
        reqs = RequestSet.draw(p.workload(), Predictor.DEFAULT_SEED, requests);
        if (new ServingSimulator(scheduler, model).run(reqs).completed() == 0) throw new IllegalStateException("nothing completes");
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        Inputs.delete(dir);
    }

    @Benchmark
    public Object simulate() {
        return new ServingSimulator(scheduler, model).run(reqs);
    }
}
