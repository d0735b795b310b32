package dev.shardplan.predict;

import dev.shardplan.analysis.CollectiveSchedule;
import dev.shardplan.engine.EngineLoop;
import dev.shardplan.model.DType;
import dev.shardplan.model.Gpu;

/**
 * The step-time model: per kernel family on the rank of the busiest stage, a roofline over its
 * bytes and FLOPs plus the kernel's fixed cost, then collectives, the engine's pipeline schedule,
 * the sampler and the engine loop's CPU work (docs/predictions.md, "Step-time model"). For a batch
 * of T tokens (decodes and prefill chunk tokens) of s sequences, with decode context C and
 * attention pairs P, on a stage of L layers (L_moe MoE) with G GEMM kernels:
 *
 * <pre>
 *   T_g       = the captured CUDA-graph size T runs padded to (T when it runs eagerly)
 *   gemm_i(m) = c_i · max(n_i·k_i·b_i / (hbm·η_hbm), 2·n_i·k_i·m / (peak(dtype_i)·η(dtype_i))) / σ(m, n_i, k_i)
 *               (η_hbm, η(bf16): the measured GEMMs' wide-shape shares, KernelShape; η(fp8) = e_compute(fp8), fitted;
 *                dtype_i: the checkpoint's FP8/FP4 for weights stored so, BF16 for those kept in 16 bits)
 *   linear    = Σ_i gemm_i(T_g) (the LM head at m = s: only the sampled rows reach it)
 *             + G_rest·gemm_floor + max(rest bytes / (hbm·e_hbm), rest FLOPs·T_g / (peak(dtype)·e_compute(dtype)))
 *             + max(expert bytes(T_g) / (hbm·e_hbm·e_moe), expert FLOPs·T_g / (peak(dtype)·e_compute(dtype)·e_moe))
 *   moe       = L_moe·moe_floor                                        (the fused-MoE calls; their bytes are in weightBytes)
 *   attention = L·attention_floor + max(kv bytes of C + T / (hbm·e_hbm·e_attn), attnFlops·P / (peak(bf16)·e_compute))
 *   coll      = the schedule's per-stage collectives for T tokens   (analysis.CollectiveSchedule, what explain shows)
 *   stage     = linear + moe + attention + L·layer_overhead + coll,  at least L·eager_layer when eager
 *   gpu       = pp·stage + (pp − 1)·send(T) + sampler(s)             (one batch through every stage)
 *   cpu       = step_overhead + s·seq_overhead (+ prefill_overhead)    (the engine loop)
 *   iteration = max(gpu, cpu) when the engine overlaps them, else gpu + cpu
 * </pre>
 *
 * The shaped GEMMs i ({@link RankLoad#shapedGemms}: QKV, O, the MLP's, the router, the shared
 * expert's, the LM head) are priced as the measured kernels of {@link KernelShape} (their wide-shape
 * shares of the datasheet and σ, which includes a small kernel's fixed cost), not with the fitted
 * e_hbm and e_compute; the rest (MLA's projections, norms, biases; the fused MoE's
 * experts) keeps the aggregate roofline and the fixed gemm_floor per GEMM; the fused MoE's grouped
 * GEMMs reach e_moe of a dense GEMM's bandwidth and FLOP/s (many small per-expert GEMMs).
 *
 * <p>The sampler term is the engine's top-k/top-p kernel over a full vocabulary row per sequence,
 * on every TP rank (each samples the same rows), when the workload samples with top-p; greedy
 * decoding costs an argmax, left out. With {@link EngineLoop.Pipeline#MICRO_BATCHES} the pipeline
 * is simulated batch by batch ({@link PipelineSimulator}), which asks for {@link #stageSeconds},
 * {@link #samplerSeconds} and {@link #cpuSeconds} separately.
 */
public final class RooflineStepTime implements StepTimeModel.Staged {
    private final RankLoad load;
    private final Efficiency eff;
    private final CollectiveSchedule comm;
    private final EngineLoop loop;
    private final boolean topP;
    private final double hbm;       // achievable B/s for weights
    private final double moeBw;     // achievable B/s for the fused-MoE expert reads
    private final double kvBw;      // achievable B/s for paged KV
    private final double linPeak;   // achievable FLOP/s for linear layers
    private final double attnPeak;  // achievable FLOP/s for attention
    private final double fixedStage; // s per stage: kernel floors and per-layer costs
    private final double eagerStage; // s per stage when it runs outside CUDA graphs
    private final RankLoad.Gemm[] shaped; // the GEMMs priced by shape (the LM head last)
    private final double[][] shapedLogSigma; // their ln σ along KernelShape.M
    private final double[] shapedPeak; // their achievable FLOP/s: FP8/FP4 weights run the low-precision GEMM (fitted), 16-bit ones BF16 (measured)
    private final double shapedHbm;  // the B/s their weight reads reach at the widest shapes (measured)
    private final double restBytes;  // weight bytes of the unshaped linear layers
    private final double restFlops;  // their FLOPs per token (the routed experts' apart)
    private final double moePeak;    // achievable FLOP/s of the fused-MoE grouped GEMMs

    /**
     * @param loop the engine's serving loop (graphs, sampler, overlap, pipeline)
     * @param topP whether requests sample with top-k/top-p (the workload's {@code sampling})
     */
    public RooflineStepTime(RankLoad load, Gpu gpu, Efficiency eff, CollectiveSchedule comm, EngineLoop loop, boolean topP) {
        this.load = load;
        this.eff = eff;
        this.comm = comm;
        this.loop = loop;
        this.topP = topP;
        this.hbm = gpu.hbmBandwidth() * eff.hbmEfficiency();
        this.kvBw = hbm * eff.attentionEfficiency();
        this.moeBw = hbm * eff.moeEfficiency();
        boolean fp8 = load.computeDtype() == DType.FP8 || load.computeDtype() == DType.FP4;
        this.linPeak = gpu.flopsFor(load.computeDtype()) * (fp8 ? eff.fp8ComputeEfficiency() : eff.computeEfficiency());
        this.attnPeak = gpu.flopsFor(DType.BF16) * eff.computeEfficiency();
        this.shaped = load.shapedGemms().toArray(new RankLoad.Gemm[0]);
        this.shapedLogSigma = new double[shaped.length][];
        this.shapedPeak = new double[shaped.length];
        this.shapedHbm = gpu.hbmBandwidth() * KernelShape.wideHbmEfficiency();
        double sb = 0, sf = 0;
        int sc = 0;
        for (int i = 0; i < shaped.length; i++) {
            shapedLogSigma[i] = KernelShape.gemmRow(shaped[i].n(), shaped[i].k());
            shapedPeak[i] = fp8 && shaped[i].bytes() < 2 ? linPeak : gpu.flopsFor(DType.BF16) * KernelShape.wideBf16Efficiency();
            sb += shaped[i].weightBytes();
            sf += shaped[i].flopsPerToken();
            sc += shaped[i].count();
        }
        this.restBytes = Math.max(0, load.fixedWeightBytes() - sb);
        this.restFlops = Math.max(0, load.linearFlopsPerToken() - sf - load.expertFlopsPerToken());
        this.moePeak = linPeak * eff.moeEfficiency();
        this.fixedStage = (Math.max(0, load.gemms() - sc) * eff.gemmFloorUs() + load.moeLayers() * eff.moeFloorUs()
                + load.layers() * (eff.attentionFloorUs() + eff.layerOverheadUs())) * 1e-6;
        this.eagerStage = load.layers() * eff.eagerLayerUs() * 1e-6;
    }

    public RankLoad load() {
        return load;
    }

    public Efficiency efficiency() {
        return eff;
    }

    public EngineLoop loop() {
        return loop;
    }

    @Override
    public int stages() {
        return load.pp();
    }

    /**
     * {@link #breakdown}'s total, with the same operations in the same order (so the same bits), but
     * the terms that depend only on the iteration's tokens and sequences (linear layers, whose MoE
     * part takes a {@code pow}; collectives; the stage send; sampler; CPU) kept from the previous
     * call when those are unchanged, as they are for every iteration of a decode run.
     */
    @Override
    public double seconds(int decodeSeqs, double decodeContext, int prefillSeqs, int prefillTokens, double prefillPairs) {
        int seqs = decodeSeqs + prefillSeqs;
        int tok = decodeSeqs + prefillTokens;
        boolean prefill = prefillTokens > 0;
        TokenTerms t = last;
        if (t == null || t.tok != tok || t.seqs != seqs || t.prefill != prefill) last = t = knownTerms(tok, seqs, prefill);
        double stage = stage(t, decodeContext, prefillPairs);
        double gpu = load.pp() * stage + (load.pp() - 1) * t.send + t.sampler;
        return loop.overlap() ? Math.max(gpu, t.cpu) : gpu + t.cpu;
    }

    private double stage(TokenTerms t, double decodeContext, double pairs) {
        double kvBytes = load.kvBytesPerToken() * (decodeContext + t.tok);
        double attention = Math.max(kvBytes / kvBw, load.attnFlopsPerPair() * (decodeContext + pairs) / attnPeak);
        double stage = t.linear + attention + fixedStage + t.coll;
        return t.eager ? Math.max(stage, eagerStage) : stage;
    }

    /**
     * One stage's time for a batch (without the send to the next stage), for the pipelined
     * simulation: the {@code stage} of the class comment.
     */
    @Override
    public double stageSeconds(int decodeSeqs, double decodeContext, int prefillSeqs, int prefillTokens, double prefillPairs) {
        TokenTerms t = knownTerms(decodeSeqs + prefillTokens, decodeSeqs + prefillSeqs, prefillTokens > 0);
        return stage(t, decodeContext, prefillPairs) + t.send;
    }

    /** The sampler's time on the last stage for a batch of {@code seqs} sequences. */
    @Override
    public double samplerSeconds(int seqs) {
        return topP ? loop.sampler().seconds(seqs, load.vocab()) : 0;
    }

    /** The engine loop's CPU time for one iteration that schedules {@code seqs} sequences. */
    @Override
    public double cpuSeconds(int seqs, boolean prefill) {
        return (eff.stepOverheadUs() + seqs * eff.seqOverheadUs() + (prefill ? eff.prefillOverheadUs() : 0)) * 1e-6;
    }

    /**
     * The floor of {@link #seconds}: an iteration of s sequences carries at least s tokens, so its
     * GEMMs run at least s tokens, its collectives and send move at least s tokens' activations,
     * every kernel pays its fixed cost, and the sampler (at its cheapest per-logit cost) reads s rows;
     * that is pp · (stage(s) + send(s)) + sampler(s), plus the engine loop's CPU time when it does not
     * overlap, and none of it falls as s grows. Each of the pp stages reads its layers' KV of every
     * token of decode context and of prefill: pp · kv bytes per token / KV bandwidth per token.
     */
    @Override
    public Floor floor() {
        double perToken = load.pp() * load.kvBytesPerToken() / kvBw;
        return new Floor() {
            public double iteration(int seqs) {
                int s = Math.max(1, seqs);
                double linear = linearFloor(s);
                double stage = linear + fixedStage + comm.stageSeconds(s);
                double sampler = topP ? s * (double) load.vocab() * loop.sampler().minSecondsPerLogit() : 0;
                double gpu = load.pp() * stage + (load.pp() - 1) * comm.sendSeconds(s) + sampler;
                return loop.overlap() ? gpu : gpu + (eff.stepOverheadUs() + s * eff.seqOverheadUs()) * 1e-6;
            }

            public double perToken() {
                return perToken;
            }
        };
    }

    /** The context-free terms of an iteration carrying {@code tok} tokens of {@code seqs} sequences. */
    private record TokenTerms(int tok, int seqs, boolean prefill, int graphTokens, boolean eager, double linear, double coll,
                              double send, double sampler, double cpu) {}

    /** The last call's terms: immutable, so a simulation on another thread sees whole ones or recomputes. */
    private TokenTerms last;

    /**
     * Terms computed before, by (tokens, sequences, prefill), one per slot, a later shape replacing
     * an earlier one in its slot: a batch that preempts and re-admits moves between a few shapes,
     * and each is computed once instead of on every change. A pure function's results, immutable,
     * so the same bits as computing them again, and safe to share between threads.
     */
    private final TokenTerms[] known = new TokenTerms[1 << 10];

    private TokenTerms knownTerms(int tok, int seqs, boolean prefill) {
        int h = (tok * 0x9E3779B1 + seqs * 0x85EBCA77 + (prefill ? 1 : 0)) >>> 22;
        TokenTerms t = known[h];
        if (t == null || t.tok != tok || t.seqs != seqs || t.prefill != prefill) known[h] = t = tokenTerms(tok, seqs, prefill);
        return t;
    }

    private TokenTerms tokenTerms(int tok, int seqs, boolean prefill) {
        int g = loop.graphBatch(tok);
        boolean eager = g == 0;
        int tg = eager ? tok : g;
        double linear = linearSeconds(tg, seqs);
        double coll = comm.stageSeconds(tok);
        double send = comm.sendSeconds(tok);
        return new TokenTerms(tok, seqs, prefill, tg, eager, linear, coll, send, samplerSeconds(seqs), cpuSeconds(seqs, prefill));
    }

    /**
     * The linear layers of a step of {@code tokens} tokens of which {@code seqs} are sampled: the
     * shaped GEMMs one by one, then the rest under one roofline ({@code linear} of the class comment).
     */
    private double linearSeconds(int tokens, int seqs) {
        double t = 0;
        for (int i = 0; i < shaped.length; i++) {
            RankLoad.Gemm g = shaped[i];
            double m = "lm_head".equals(g.what()) ? Math.max(1, Math.min(seqs, tokens)) : tokens;
            double roof = Math.max(g.weightBytes() / shapedHbm, g.flopsPerToken() * m / shapedPeak[i]);
            t += roof / Math.exp(KernelShape.alongM(shapedLogSigma[i], m));
        }
        return t + Math.max(restBytes / hbm, restFlops * tokens / linPeak)
                + Math.max(load.moeLayers() * load.activeExperts(tokens) * load.expertBytes() / moeBw, load.expertFlopsPerToken() * tokens / moePeak);
    }

    /**
     * A floor under {@link #linearSeconds}{@code (T, S)} for every T ≥ S ≥ s, non-decreasing in s:
     * each shaped GEMM's least time over the token counts m ≥ s, bounded cell by cell of the measured
     * grid as its roofline at the cell's smallest m (at least s) over the larger σ of the cell's ends
     * (σ between them is a log-linear blend of the two).
     */
    private double linearFloor(int s) {
        double t = 0;
        int[] grid = KernelShape.M;
        for (int i = 0; i < shaped.length; i++) {
            RankLoad.Gemm g = shaped[i];
            double[] ls = shapedLogSigma[i];
            double best = Double.POSITIVE_INFINITY;
            for (int c = 0; c <= grid.length; c++) {
                double lo = c == 0 ? 1 : grid[c - 1];
                double hi = c == grid.length ? Double.POSITIVE_INFINITY : grid[c];
                if (hi < s) continue;
                double sig = c == 0 ? ls[0] : c == grid.length ? ls[grid.length - 1] : Math.max(ls[c - 1], ls[c]);
                double m = Math.max(s, lo);
                best = Math.min(best, Math.max(g.weightBytes() / shapedHbm, g.flopsPerToken() * m / shapedPeak[i]) / Math.exp(sig));
            }
            t += best;
        }
        return t + Math.max(restBytes / hbm, restFlops * s / linPeak)
                + Math.max(load.moeLayers() * load.activeExperts(s) * load.expertBytes() / moeBw, load.expertFlopsPerToken() * s / moePeak);
    }

    /** Seconds to read the weights a step of {@code tokens} touches: the fixed part, then the active experts' slices. */
    private double weightSeconds(double tokens) {
        return load.fixedWeightBytes() / hbm + load.moeLayers() * load.activeExperts(tokens) * load.expertBytes() / moeBw;
    }

    /** The collectives of a step, which {@code explain} evaluates too. */
    public CollectiveSchedule collectives() {
        return comm;
    }

    /**
     * The parts of one iteration's time, for reports and derivations, in seconds. {@code linear}
     * includes the GEMM floors, {@code attention} the attention floors, {@code overhead} the MoE floors
     * and per-layer costs; {@code stage} is one stage's time and {@code gpu} the iteration's on the GPU.
     */
    public record Breakdown(int graphTokens, boolean eager, double linear, double linearMemory, double linearCompute,
                            double attention, double overhead, double collectives, double send, double stage,
                            double sampler, double gpu, double cpu, boolean overlap, double total) {}

    public Breakdown breakdown(int decodeSeqs, double decodeContext, int prefillSeqs, int prefillTokens, double prefillPairs) {
        int seqs = decodeSeqs + prefillSeqs;
        int tok = decodeSeqs + prefillTokens;
        TokenTerms t = tokenTerms(tok, seqs, prefillTokens > 0);
        double linMem = weightSeconds(t.graphTokens);
        double linComp = load.linearFlopsPerToken() * t.graphTokens / linPeak;
        int shapedCount = 0;
        for (RankLoad.Gemm g : shaped) shapedCount += g.count();
        double gemmFloors = Math.max(0, load.gemms() - shapedCount) * eff.gemmFloorUs() * 1e-6;
        double attnFloors = load.layers() * eff.attentionFloorUs() * 1e-6;
        double kvBytes = load.kvBytesPerToken() * (decodeContext + tok);
        double attention = Math.max(kvBytes / kvBw, load.attnFlopsPerPair() * (decodeContext + prefillPairs) / attnPeak);
        double stage = stage(t, decodeContext, prefillPairs);
        double gpu = load.pp() * stage + (load.pp() - 1) * t.send + t.sampler;
        double total = loop.overlap() ? Math.max(gpu, t.cpu) : gpu + t.cpu;
        return new Breakdown(t.graphTokens, t.eager, t.linear + gemmFloors, linMem, linComp, attention + attnFloors,
                fixedStage - gemmFloors - attnFloors, t.coll, t.send, stage, t.sampler, gpu, t.cpu, loop.overlap(), total);
    }
}
