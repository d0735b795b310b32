package dev.shardplan.predict;

import dev.shardplan.model.PlanPaths;
import dev.shardplan.diag.Diagnostic;
import dev.shardplan.engine.Effective;
import dev.shardplan.engine.EngineConfig;
import dev.shardplan.engine.Role;
import dev.shardplan.model.Plan;
import dev.shardplan.model.Slo;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/** Predicts what a plan will do: step-time model + serving simulation over its workload. */
public final class Predictor {
    private Predictor() {}

    /** The default seed of {@code shardplan simulate}. */
    public static final long DEFAULT_SEED = 20260101L;

    /**
     * Simulates {@code plan} with the analyses' inputs; a plan that does not fit is not simulated,
     * nor one whose request set would not fit in this JVM's heap (SP0904).
     */
    public static Prediction simulate(Plan plan, PlanInputs in, long seed) {
        Diagnostic big = tooLarge(plan.workload(), plan.workload().span().isNone() ? plan.spanOf(PlanPaths.WORKLOAD) : plan.workload().span(), 1);
        if (big != null) return new Prediction(plan, seed, in, null, null, null, null, null, List.of(big));
        return simulate(plan, in, RequestSet.draw(plan.workload(), seed), seed);
    }

    /**
     * As {@link #simulate(Plan, PlanInputs, long)}, but the findings' suggestions (SP0703's smaller
     * max_num_seqs) are not simulated in turn: what weighing another change against this plan
     * needs, at half the cost.
     */
    public static Prediction simulateOnce(Plan plan, PlanInputs in, long seed) {
        return simulateOnce(plan, in, seed, null);
    }

    /**
     * As {@link #simulateOnce(Plan, PlanInputs, long)}, taking the simulation's result from
     * {@code memo} (null: none) when a plan with the same scheduler, step-time model and requests
     * was simulated there before: the same bits, computed once.
     */
    public static Prediction simulateOnce(Plan plan, PlanInputs in, long seed, SimulationMemo memo) {
        Diagnostic big = tooLarge(plan.workload(), plan.workload().span().isNone() ? plan.spanOf(PlanPaths.WORKLOAD) : plan.workload().span(), 1);
        if (big != null) return new Prediction(plan, seed, in, null, null, null, null, null, List.of(big));
        Setup s = setup(plan, in, seed);
        if (!s.simulable()) return s.unsimulated();
        return s.finish(memo != null ? memo.run(s) : Simulation.run(s.scheduler(), s.model(), RequestSet.draw(plan.workload(), seed)));
    }

    /** Bytes one more simulation of {@code requests} requests holds (its arrays, not the request set). */
    public static long simulationBytes(long requests) {
        return requests * (ServingSimulator.BYTES_PER_REQUEST - RequestSet.BYTES_PER_REQUEST);
    }

    /** Bytes a request set of {@code requests} requests holds, and as much again while it is drawn. */
    public static long requestSetBytes(long requests) {
        return 2 * requests * RequestSet.BYTES_PER_REQUEST;
    }

    /** Heap this JVM could still give: its maximum less what is in use now. */
    public static long freeHeap() {
        Runtime rt = Runtime.getRuntime();
        return rt.maxMemory() - (rt.totalMemory() - rt.freeMemory());
    }

    /**
     * SP0904 when simulating {@code w} on {@code jobs} threads at once (one request set) needs more
     * heap than this JVM has free; null when it fits. {@code at}: the span to point at.
     */
    public static Diagnostic tooLarge(dev.shardplan.model.Workload w, dev.shardplan.diag.Span at, int jobs) {
        long n = Math.min(Integer.MAX_VALUE, w.requests());
        return tooLarge(n, requestSetBytes(n), simulationBytes(n), jobs, at);
    }

    /** SP0904 when {@code shared + jobs · perJob} bytes for {@code n} requests do not fit in the free heap; else null. */
    static Diagnostic tooLarge(long n, long shared, long perJob, int jobs, dev.shardplan.diag.Span at) {
        long need = shared + jobs * perJob;
        long free = freeHeap();
        if (need <= free) return null;
        long max = Runtime.getRuntime().maxMemory();
        long suggest = (long) Math.ceil((need + (max - free)) * 1.25 / GIB);
        return Diagnostic.of(dev.shardplan.diag.Codes.RESOURCE_LIMIT, at, String.format(Locale.ROOT,
                        "simulating %d requests needs about %.1f GiB of heap; this JVM has %.1f GiB free of %.1f GiB",
                        n, need / GIB, free / GIB, max / GIB))
                .help(String.format(Locale.ROOT, "lower `requests` (throughput and latency percentiles settle within some 10,000 requests), "
                        + "or give the JVM more heap: -Xmx%1$dg (SHARDPLAN_JAVA_OPTS=-Xmx%1$dg ./shardplan ..., or java -Xmx%1$dg -jar shardplan.jar ...)",
                        Math.max(1, suggest))).build();
    }

    private static final double GIB = 1L << 30;

    /** Simulates {@code plan} on the given requests. */
    public static Prediction simulate(Plan plan, PlanInputs in, RequestSet reqs, long seed) {
        Setup s = setup(plan, in, seed);
        return s.simulable() ? s.finish(Simulation.run(s.scheduler(), s.model(), reqs), reqs) : s.unsimulated();
    }

    /**
     * A plan ready to simulate: its step-time model and scheduler; or, when it cannot be simulated
     * (a bad tuning key, or it does not fit), the diagnostics that say why.
     */
    record Setup(Plan plan, long seed, PlanInputs inputs, Efficiency efficiency, RankLoad load, SchedulerConfig scheduler,
                 RooflineStepTime model, List<Diagnostic> diagnostics) {
        boolean simulable() {
            return scheduler != null;
        }

        Prediction unsimulated() {
            return new Prediction(plan, seed, inputs, efficiency, load, null, null, null, diagnostics);
        }

        /** The prediction of a simulation of this plan's scheduler and model. */
        Prediction finish(SimResult r) {
            return finish(r, null);
        }

        /** With {@code reqs} (null: not), the findings' suggestions are simulated on the same requests before they are made. */
        Prediction finish(SimResult r, RequestSet reqs) {
            List<Diagnostic> ds = new ArrayList<>(diagnostics);
            ds.addAll(findings(plan, inputs.engine(), scheduler, r, model, reqs));
            return new Prediction(plan, seed, inputs, efficiency, load, scheduler, model, r, ds);
        }
    }

    static Setup setup(Plan plan, PlanInputs in, long seed) {
        List<Diagnostic> ds = new ArrayList<>();
        Efficiency eff;
        try {
            eff = efficiency(plan);
        } catch (IllegalArgumentException e) {
            ds.add(Diagnostic.of(PredictCodes.UNKNOWN_TUNING, plan.spanOf(PlanPaths.TUNING), e.getMessage())
                    .help("tuning keys: " + String.join(", ", Efficiency.KEYS)).build());
            return new Setup(plan, seed, in, null, null, null, null, ds);
        }
        RankLoad load = RankLoad.of(plan.model(), plan.parallel(), in.engine().kvDtype(), in.layout());
        if (!in.fits()) {
            ds.add(Diagnostic.of(PredictCodes.NOT_SIMULATED, plan.span(), "plan '" + plan.name() + "' is not simulated: it does not fit")
                    .note(in.reason()).help("fix the memory errors first; a plan that does not fit has no throughput").build());
            return new Setup(plan, seed, in, eff, load, null, null, ds);
        }
        SchedulerConfig sc = scheduler(plan, in);
        return new Setup(plan, seed, in, eff, load, sc, model(plan, in, eff, load), ds);
    }

    /** The step-time model of a plan: its rank's load on its GPU, its constants, collectives and engine loop, its workload's sampling. */
    public static RooflineStepTime model(Plan plan, PlanInputs in, Efficiency eff, RankLoad load) {
        return new RooflineStepTime(load, plan.cluster().gpu(), eff, in.comm(), in.loop(),
                plan.workload().sampling() == dev.shardplan.model.Workload.Sampling.TOP_P);
    }

    /** The plan's efficiency constants: its profile (std:efficiency's by default) with its tuning overrides. */
    public static Efficiency efficiency(Plan plan) {
        return baseEfficiency(plan).with(plan.tuning());
    }

    /**
     * The plan's efficiency profile without its tuning overrides. The resolver attaches one to every
     * plan and search (std:efficiency's for its GPU and engine when it names none).
     */
    static Efficiency baseEfficiency(Plan plan) {
        if (plan.efficiency() == null) throw new IllegalArgumentException("plan '" + plan.name() + "' has no efficiency profile");
        return Efficiency.of(plan.efficiency());
    }

    /** The scheduler the plan's engine runs, per replica, with the engine's effective settings. */
    public static SchedulerConfig scheduler(Plan plan, PlanInputs in) {
        var e = in.engine();
        long kvTokens = in.kvBlocksPerReplica() * e.blockSize();
        int maxSeqs = (int) Math.min(Integer.MAX_VALUE, e.spec().runningCap(e, kvTokens, plan.parallel()));
        boolean reserve = e.spec().reservesWholeSequence();
        var loop = in.loop();
        return new SchedulerConfig(plan.parallel().dp(), in.kvBlocksPerReplica(), e.blockSize(), maxSeqs,
                (int) e.spec().prefillTokens(e), e.chunkedPrefill(),
                reserve ? SchedulerConfig.Admission.RESERVE_FULL : SchedulerConfig.Admission.ON_DEMAND,
                SchedulerConfig.Routing.LEAST_LOADED, loop.prefixCache(), loop.lockstep(),
                loop.pipeline() == dev.shardplan.engine.EngineLoop.Pipeline.MICRO_BATCHES ? loop.microBatches() : 1);
    }

    static List<Diagnostic> findings(Plan plan, EngineConfig e, SchedulerConfig sc, SimResult r) {
        return findings(plan, e, sc, r, null, null);
    }

    /**
     * The prediction's findings. With a model and requests, SP0703's suggestion of a smaller
     * max_num_seqs is simulated first (the same model, scheduler and requests) and made only with
     * what it gains; where the simulator finds it slower, it says so instead (issue 12: "lower to
     * about 99" contradicted the search's winner).
     */
    static List<Diagnostic> findings(Plan plan, EngineConfig e, SchedulerConfig sc, SimResult r, StepTimeModel model, RequestSet reqs) {
        List<Diagnostic> ds = new ArrayList<>();
        String seqKey = e.role(Role.MAX_SEQS).map(Effective::name).orElse("max_num_seqs");
        if (r.preemptions() > 0) {
            ds.add(Diagnostic.of(PredictCodes.PREEMPTION_PREDICTED, plan.spanOf(PlanPaths.engine(seqKey)), String.format(Locale.ROOT,
                            "%d preemptions recompute %d tokens: the KV pool of %d tokens per replica is too small for %d sequences",
                            r.preemptions(), r.recomputedTokens(), sc.kvTokens(), sc.maxNumSeqs()))
                    .note(String.format(Locale.ROOT, "peak KV use %.0f%%, mean running %.0f per replica", 100 * r.peakKvUtil(), r.meanRunning()))
                    .help(lowerSeqsHelp(seqKey, sc, r, model, reqs)).build());
        }
        if (r.rejected() > 0) {
            ds.add(Diagnostic.of(PredictCodes.REQUESTS_REJECTED, plan.spanOf(PlanPaths.WORKLOAD),
                    r.rejected() + " requests are longer than the " + sc.kvTokens() + "-token KV pool of a replica")
                    .help("cap the workload's max length or give each replica more KV memory").build());
        }
        for (Slo s : plan.slos()) {
            double v = value(r, s);
            if (Double.isNaN(v)) continue;
            String why = notApplicable(plan, s);
            if (why != null) {
                ds.add(Diagnostic.of(PredictCodes.SLO_NOT_APPLICABLE, s.span(), String.format(Locale.ROOT,
                                "the %s %s objective does not apply to workload `%s`: %s", s.metric(), pct(s.percentile()),
                                plan.workload().name(), why))
                        .note(String.format(Locale.ROOT, "predicted %s %s is %s; it is not judged", s.metric(), pct(s.percentile()),
                                fmt(s.metric(), v)))
                        .help("for an offline batch bound throughput (`throughput > N tokens/s`), tpot or e2e; "
                                + "for serving latency give the workload an arrival rate (`arrival 4 req/s`) or a `concurrency`")
                        .build());
                continue;
            }
            if (!s.satisfiedBy(v)) {
                ds.add(Diagnostic.of(PredictCodes.SLO_MISSED, s.span(), String.format(Locale.ROOT,
                                "predicted %s %s is %s, the slo asks %s %s", s.metric(), pct(s.percentile()), fmt(s.metric(), v), s.op(),
                                fmt(s.metric(), s.bound())))
                        .help("see `shardplan search` for plans that meet it").build());
            }
        }
        return ds;
    }

    private static String lowerSeqsHelp(String seqKey, SchedulerConfig sc, SimResult r, StepTimeModel model, RequestSet reqs) {
        int n = (int) Math.max(1, Math.round(r.meanRunning()));
        String shard = "shard the weights (tp) to give the KV cache more memory";
        if (model == null || reqs == null || n >= sc.maxNumSeqs()) return "lower " + seqKey + " to about " + n + ", or " + shard;
        SimResult q = Simulation.run(sc.withMaxNumSeqs(n), model, reqs);
        double gain = q.outputThroughput() / r.outputThroughput() - 1;
        if (gain >= 0.01) {
            return String.format(Locale.ROOT, "use %s %d -> %d: simulated %+.0f%% throughput, %d preemptions (same requests); or %s",
                    seqKey, sc.maxNumSeqs(), n, 100 * gain, q.preemptions(), shard);
        }
        return String.format(Locale.ROOT, "%s: lowering %s to the mean running %d simulates %+.0f%% throughput (the preemptions cost less "
                + "than the smaller batch); `search` over %s ranks other values", shard, seqKey, n, 100 * gain, seqKey);
    }

    /**
     * Why an SLO measures nothing for the plan's workload, or null when it applies. An offline
     * batch without a concurrency cap puts every request in the queue at t = 0, so its time to
     * first token is the wait behind the rest of the batch, set by the batch size rather than by
     * the plan: a TTFT bound there judges nothing a serving deployment would see.
     */
    public static String notApplicable(Plan plan, Slo s) {
        var w = plan.workload();
        if (s.metric().equals("ttft") && w.offline() && w.concurrency() <= 0) {
            return "its " + w.requests() + " requests all arrive at t = 0 (an offline batch), so time to first token is the wait "
                    + "behind the rest of the batch, not a latency a user sees";
        }
        return null;
    }

    /** The predicted value an SLO is about (seconds, or tokens/s for throughput); NaN if unknown. */
    public static double value(SimResult r, Slo s) {
        return switch (s.metric()) {
            case "ttft" -> r.ttft().at(s.percentile());
            case "tpot", "itl" -> r.tpot().at(s.percentile());
            case "e2e" -> r.e2e().at(s.percentile());
            case "throughput" -> r.outputThroughput();
            default -> Double.NaN;
        };
    }

    private static String pct(double p) {
        return p <= 0 ? "mean" : "p" + (p == Math.rint(p) ? String.valueOf((long) p) : String.valueOf(p));
    }

    private static String fmt(String metric, double v) {
        if (metric.equals("throughput")) return String.format(Locale.ROOT, "%.0f tokens/s", v);
        return v < 1 ? String.format(Locale.ROOT, "%.1f ms", v * 1e3) : String.format(Locale.ROOT, "%.2f s", v);
    }
}
