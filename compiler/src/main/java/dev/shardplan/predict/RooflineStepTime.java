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
 *   linear    = G·gemm_floor + max(fixed bytes / (hbm·e_hbm) + expert bytes(T_g) / (hbm·e_hbm·e_moe),
 *                                  linearFlops·T_g / (peak(dtype)·e_compute(dtype)))
 *   moe       = L_moe·moe_floor                                        (the fused-MoE calls; their bytes are in weightBytes)
 *   attention = L·attention_floor + max(kv bytes of C + T / (hbm·e_hbm·e_attn), attnFlops·P / (peak(bf16)·e_compute))
 *   coll      = the schedule's per-stage collectives for T tokens   (analysis.CollectiveSchedule, what explain shows)
 *   stage     = linear + moe + attention + L·layer_overhead + coll,  at least L·eager_layer when eager
 *   gpu       = pp·stage + (pp − 1)·send(T) + sampler(s)             (one batch through every stage)
 *   cpu       = step_overhead + s·seq_overhead (+ prefill_overhead)    (the engine loop)
 *   iteration = max(gpu, cpu) when the engine overlaps them, else gpu + cpu
 * </pre>
 *
 * The sampler term is the engine's top-k/top-p kernel over a full vocabulary row per sequence,
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
        this.fixedStage = (load.gemms() * eff.gemmFloorUs() + load.moeLayers() * eff.moeFloorUs()
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
                double linear = Math.max(weightSeconds(s), load.linearFlopsPerToken() * s / linPeak);
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
        double linMem = weightSeconds(tg);
        double linComp = load.linearFlopsPerToken() * tg / linPeak;
        double linear = Math.max(linMem, linComp);
        double coll = comm.stageSeconds(tok);
        double send = comm.sendSeconds(tok);
        return new TokenTerms(tok, seqs, prefill, tg, eager, linear, coll, send, samplerSeconds(seqs), cpuSeconds(seqs, prefill));
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
        double gemmFloors = load.gemms() * eff.gemmFloorUs() * 1e-6;
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
