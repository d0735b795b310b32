package dev.shardplan.predict;

import dev.shardplan.model.DType;
import dev.shardplan.model.EngineKind;
import dev.shardplan.model.Gpu;
import dev.shardplan.model.Model;
import dev.shardplan.model.Parallel;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Predicts published maximum-throughput runs and compares (docs/calibration.md). The runs are
 * TensorRT-LLM's perf-overview: FP8 checkpoints, fixed ISL/OSL, every request at t = 0,
 * {@code kv_cache_free_gpu_mem_fraction 0.95}, batch sizes up to 8192. The engine is simulated as
 * TensorRT-LLM schedules by default: GUARANTEED_NO_EVICT admission, no chunked prefill, 32-token
 * blocks, KV pool = 0.95 × (memory − weights − {@link #TRTLLM_RESERVE}).
 */
public final class Calibration {
    private Calibration() {}

    /**
     * Memory TensorRT-LLM does not hand to the KV pool besides the weights: CUDA context, the
     * activation workspace sized for max_num_tokens, NCCL buffers. Fitted with the efficiencies (2.9 GiB); the KV fraction
     * is taken of what remains (formulas.md: "TRT-LLM's KV fraction is of free memory after weights").
     */
    public static final double TRTLLM_RESERVE = 2.9 * (1L << 30);
    public static final int TRTLLM_BLOCK = 32;
    public static final int TRTLLM_MAX_BATCH = 8192;
    public static final int TRTLLM_MAX_TOKENS = 8192;
    public static final double TRTLLM_KV_FRACTION = 0.95;

    /** TensorRT-LLM's loop for these runs: the overlap scheduler, one stage, no CUDA graphs taken into account. */
    static final dev.shardplan.engine.EngineLoop TRTLLM_LOOP = new dev.shardplan.engine.EngineLoop(true,
            dev.shardplan.engine.EngineLoop.Pipeline.NONE, 1, List.of(), false, dev.shardplan.engine.EngineLoop.Sampler.FLASHINFER,
            false, false, List.of());

    /** One published run. {@code published}: output tokens/s of the whole TP group. */
    public record Case(String model, String gpu, int tp, int isl, int osl, int requests, double published) {}

    /** A run with its prediction; {@code error} = predicted / published − 1. */
    public record Row(Case run, double predicted, double error, long kvBlocks, double meanBatch) {}

    /** Every row and the mean absolute percentage error over them. */
    public record Report(List<Row> rows, double mape) {
        public Report {
            rows = List.copyOf(rows);
        }

        /** The markdown table of docs/calibration.md. */
        public String markdown() {
            StringBuilder sb = new StringBuilder();
            sb.append("| model | GPU | TP | ISL/OSL | requests | published tok/s | predicted tok/s | error | KV blocks | mean batch |\n");
            sb.append("|---|---|---|---|---|---|---|---|---|---|\n");
            for (Row r : rows) {
                Case c = r.run();
                sb.append(String.format(Locale.ROOT, "| %s | %s | %d | %d/%d | %d | %,.0f | %,.0f | %+.1f%% | %d | %.0f |\n",
                        c.model(), c.gpu(), c.tp(), c.isl(), c.osl(), c.requests(), c.published(), r.predicted(),
                        100 * r.error(), r.kvBlocks(), r.meanBatch()));
            }
            sb.append(String.format(Locale.ROOT, "\nMAPE over %d rows: **%.1f%%**\n", rows.size(), 100 * mape));
            return sb.toString();
        }
    }

    /** KV blocks of one rank under TensorRT-LLM's accounting (0 when the weights do not fit). */
    public static long trtllmKvBlocks(Model m, Gpu g, int tp, DType kv, double reserve) {
        RankLoad load = RankLoad.of(m, new Parallel(1, tp, 1, 1, false, List.of(), List.of()), kv);
        double free = g.memory() - load.residentWeightBytes() - reserve;
        if (free <= 0) return 0;
        double pool = TRTLLM_KV_FRACTION * free;
        return (long) Math.floor(pool / (load.kvBytesPerToken() * TRTLLM_BLOCK));
    }

    /** Predicts one run with the given constants; the model's KV dtype is the checkpoint's (FP8). */
    public static Row predict(Case c, Model m, Gpu g, Efficiency eff) {
        return predict(c, m, g, eff, c.requests(), TRTLLM_RESERVE);
    }

    /** As {@link #predict(Case, Model, Gpu, Efficiency)} with a different request count (for fitting). */
    public static Row predict(Case c, Model m, Gpu g, Efficiency eff, int requests, double reserve) {
        DType kv = m.kvDtype();
        Parallel par = new Parallel(1, c.tp(), 1, 1, false, List.of(), List.of());
        RankLoad load = RankLoad.of(m, par, kv);
        long blocks = trtllmKvBlocks(m, g, c.tp(), kv, reserve);
        if (blocks <= 0) throw new IllegalArgumentException(m.name() + " does not fit TP" + c.tp() + " on " + g.name());
        CollectiveCost comm = CollectiveCost.ring(c.tp(), g.linkBandwidth(), 1, g.linkBandwidth(), g.linkBandwidth(),
                eff.collectiveLatencyUs() * 1e-6, eff.linkEfficiency());
        StepTimeModel stm = new RooflineStepTime(load, g, eff, comm, TRTLLM_LOOP, false);
        // a prompt longer than max_num_tokens can only run chunked: trtllm-bench must have enabled
        // chunked prefill for the 20000-token runs
        SchedulerConfig sc = new SchedulerConfig(1, blocks, TRTLLM_BLOCK, TRTLLM_MAX_BATCH, TRTLLM_MAX_TOKENS,
                c.isl() > TRTLLM_MAX_TOKENS, SchedulerConfig.Admission.RESERVE_FULL, SchedulerConfig.Routing.ROUND_ROBIN);
        SimResult r = new ServingSimulator(sc, stm).run(RequestSet.fixed(requests, c.isl(), c.osl()));
        return new Row(c, r.outputThroughput(), r.outputThroughput() / c.published() - 1, blocks, r.meanRunning());
    }

    /** Predicts every case; {@code models} and {@code gpus} resolve the names of a case. */
    public static Report run(List<Case> cases, java.util.function.Function<String, Model> models,
                             java.util.function.Function<String, Gpu> gpus) {
        List<Row> rows = new ArrayList<>();
        double sum = 0;
        for (Case c : cases) {
            Gpu g = gpus.apply(c.gpu());
            Efficiency eff = Efficiency.defaults(g.name(), EngineKind.TRTLLM);
            Row r = predict(c, models.apply(c.model()), g, eff);
            rows.add(r);
            sum += Math.abs(r.error());
        }
        return new Report(rows, cases.isEmpty() ? 0 : sum / cases.size());
    }
}
