package dev.shardplan.predict;

import dev.shardplan.analysis.CollectiveSchedule;
import dev.shardplan.engine.EngineLoop;
import dev.shardplan.model.Gpu;
import dev.shardplan.model.Workload;

import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.FutureTask;

/**
 * Simulation results shared between the plans of one call, by what a simulation reads: the
 * scheduler, the step-time model's inputs and the request set (workload and seed). Two plans that
 * differ only in what the simulator does not read (their names, their cluster's name, their
 * targets, their deploy settings: the two DeepSeek-R1 pp 4 x tp 2 plans of plans/ and
 * plans/study/) are simulated once, and the result is the same bits either way, because it is
 * the same computation on equal inputs. Safe for threads: a simulation asked for twice at once
 * runs once, and the second caller waits for it.
 */
public final class SimulationMemo {
    private final ConcurrentHashMap<Key, FutureTask<SimResult>> results = new ConcurrentHashMap<>();

    /** Everything {@link Simulation#run} and {@link RequestSet#draw(Workload, long)} read (records: compared by value). */
    private record Key(SchedulerConfig scheduler, RankLoad load, Gpu gpu, Efficiency efficiency, CollectiveSchedule comm,
                       EngineLoop loop, Workload workload, long seed) {}

    /** Simulations run (for tests). */
    public int size() {
        return results.size();
    }

    /** The result of simulating {@code s}'s scheduler and model on its workload's requests, run at most once per key. */
    SimResult run(Predictor.Setup s) {
        var in = s.inputs();
        Key k = new Key(s.scheduler(), s.load(), s.plan().cluster().gpu(), s.efficiency(), in.comm(), in.loop(),
                s.plan().workload(), s.seed());
        FutureTask<SimResult> t = new FutureTask<>(() -> Simulation.run(s.scheduler(), s.model(), RequestSet.draw(s.plan().workload(), s.seed())));
        FutureTask<SimResult> known = results.putIfAbsent(k, t);
        if (known != null) t = known;
        t.run(); // does nothing when it ran, or runs now, on another thread
        try {
            return t.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting for a simulation", e);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof RuntimeException r) throw r;
            if (e.getCause() instanceof Error r) throw r;
            throw new IllegalStateException(e.getCause());
        }
    }
}
