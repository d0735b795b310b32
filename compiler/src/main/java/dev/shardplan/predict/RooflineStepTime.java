package dev.shardplan.predict;

import dev.shardplan.model.DType;
import dev.shardplan.model.Gpu;

/**
 * The step-time model: a roofline per kernel family on the rank of the busiest stage, plus fixed
 * and communication costs, composed with the engine's pipeline schedule. Formulas and their
 * sources are in docs/predictions.md ("Step-time model"); in short, for a micro-batch of T tokens:
 *
 * <pre>
 *   linear    = max(weightBytes(T) / (hbm·e_hbm),  linearFlops·T / (peak(dtype)·e_compute))
 *   attention = max(kv bytes read and written / (hbm·e_hbm·e_attn), attnFlops·pairs / (peak(bf16)·e_compute))
 *   stage     = linear + attention + layers·layer_overhead + 2·layers·allReduce(T·h·2) [tp>1]
 *               + 2·moeLayers·allToAll(T·k·h·2/tp) [ep>1]
 *   iteration = pp · (stage(T/m) + send(T/m·h·2) [pp>1]) + step_overhead (+ prefill_overhead)
 * </pre>
 *
 * where m = min(pp, sequences) is the number of micro-batches in flight: vLLM v1 keeps
 * {@code max_concurrent_batches = pp} scheduler outputs in its batch queue, SGLang's PP event loop
 * cycles {@code pp_size} micro-batches, TensorRT-LLM's PP executor loop keeps {@code num_micro_batches
 * = pp_size}; a sequence in flight is not rescheduled until its micro-batch returns, so every
 * sequence advances one token per round of pp stage times.
 */
public final class RooflineStepTime implements StepTimeModel {
    private final RankLoad load;
    private final Efficiency eff;
    private final CollectiveCost comm;
    private final double hbm;       // achievable B/s for weights
    private final double kvBw;      // achievable B/s for paged KV
    private final double linPeak;   // achievable FLOP/s for linear layers
    private final double attnPeak;  // achievable FLOP/s for attention
    private final double layerOverhead; // s per iteration and stage for the stage's decoder layers

    public RooflineStepTime(RankLoad load, Gpu gpu, Efficiency eff, CollectiveCost comm) {
        this.load = load;
        this.eff = eff;
        this.comm = comm;
        this.hbm = gpu.hbmBandwidth() * eff.hbmEfficiency();
        this.kvBw = hbm * eff.attentionEfficiency();
        this.linPeak = gpu.flopsFor(load.computeDtype()) * eff.computeEfficiency();
        this.attnPeak = gpu.flopsFor(DType.BF16) * eff.computeEfficiency();
        this.layerOverhead = load.layers() * eff.layerOverheadUs() * 1e-6;
    }

    public RankLoad load() {
        return load;
    }

    public Efficiency efficiency() {
        return eff;
    }

    /**
     * {@link #breakdown}'s total, with the same operations in the same order (so the same bits), but
     * the terms that depend only on the iteration's tokens and micro-batches (linear layers, whose
     * MoE part takes a {@code pow}; collectives; the stage send; fixed costs) kept from the previous
     * call when those are unchanged, as they are for every iteration of a decode run.
     */
    @Override
    public double seconds(int decodeSeqs, double decodeContext, int prefillSeqs, int prefillTokens, double prefillPairs) {
        int seqs = decodeSeqs + prefillSeqs;
        int pp = load.pp();
        int m = Math.max(1, Math.min(pp, seqs));
        int tok = decodeSeqs + prefillTokens;
        boolean prefill = prefillTokens > 0;
        TokenTerms t = last;
        if (t == null || t.tok != tok || t.m != m || t.prefill != prefill) last = t = tokenTerms(tok, m, prefill);
        double ctx = decodeContext / m;
        double pairs = (decodeContext + prefillPairs) / m;
        double kvBytes = load.kvBytesPerToken() * (ctx + t.tokens);
        double attention = Math.max(kvBytes / kvBw, load.attnFlopsPerPair() * pairs / attnPeak);
        double stage = t.linear + attention + layerOverhead + t.coll;
        return pp * (stage + t.send) + t.fixed;
    }

    /**
     * The floor of {@link #seconds}: an iteration of s sequences carries at least s tokens, so at
     * least s/m per micro-batch (m = min(pp, s)), and every term grows with tokens and context:
     * it costs at least pp · (linear(s/m) + layer overhead + collectives(s/m) + send(s/m)) + step
     * overhead, which does not fall as s grows (s/m is 1 up to pp, then s/pp), plus its KV
     * traffic: pp stages each read ctx/m + tokens/m of KV per micro-batch, m ≤ pp, so at least
     * kv bytes per token / KV bandwidth for every token of decode context and of prefill.
     */
    @Override
    public Floor floor() {
        double perToken = load.kvBytesPerToken() / kvBw;
        return new Floor() {
            public double iteration(int seqs) {
                int s = Math.max(1, seqs);
                TokenTerms t = tokenTerms(s, Math.min(load.pp(), s), false);
                return load.pp() * (t.linear + layerOverhead + t.coll + t.send) + t.fixed;
            }

            public double perToken() {
                return perToken;
            }
        };
    }

    /** The context-free terms of an iteration carrying {@code tok} tokens in {@code m} micro-batches. */
    private record TokenTerms(int tok, int m, boolean prefill, double tokens, double linear, double coll, double send,
                              double fixed) {}

    /** The last call's terms: immutable, so a simulation on another thread sees whole ones or recomputes. */
    private TokenTerms last;

    private TokenTerms tokenTerms(int tok, int m, boolean prefill) {
        double tokens = (double) tok / m;
        double linMem = load.weightBytes(Math.ceil(tokens)) / hbm;
        double linComp = load.linearFlopsPerToken() * tokens / linPeak;
        double linear = Math.max(linMem, linComp);
        double coll = 0;
        if (load.tp() > 1) coll += 2.0 * load.layers() * comm.allReduce(tokens * load.hidden() * RankLoad.ACT_BYTES);
        if (load.ep() > 1 && load.moeLayers() > 0) {
            double msg = tokens * load.epTokenScale() * load.topK() * load.hidden() * RankLoad.ACT_BYTES / load.tp();
            coll += 2.0 * load.moeLayers() * comm.allToAll(msg);
        }
        double send = load.pp() > 1 ? comm.sendRecv(tokens * load.hidden() * RankLoad.ACT_BYTES) : 0;
        double fixed = eff.stepOverheadUs() * 1e-6 + (prefill ? eff.prefillOverheadUs() * 1e-6 : 0);
        return new TokenTerms(tok, m, prefill, tokens, linear, coll, send, fixed);
    }

    /** The parts of one iteration's time, for reports and derivations. All in seconds. */
    public record Breakdown(double linear, double linearMemory, double linearCompute, double attention,
                            double overhead, double collectives, double pipeline, int microBatches,
                            double stageTime, double total) {}

    public Breakdown breakdown(int decodeSeqs, double decodeContext, int prefillSeqs, int prefillTokens, double prefillPairs) {
        int seqs = decodeSeqs + prefillSeqs;
        int pp = load.pp();
        int m = Math.max(1, Math.min(pp, seqs));
        double tokens = (double) (decodeSeqs + prefillTokens) / m;
        double ctx = decodeContext / m;
        double pairs = (decodeContext + prefillPairs) / m;
        double written = tokens;

        double linMem = load.weightBytes(Math.ceil(tokens)) / hbm;
        double linComp = load.linearFlopsPerToken() * tokens / linPeak;
        double linear = Math.max(linMem, linComp);

        double kvBytes = load.kvBytesPerToken() * (ctx + written);
        double attention = Math.max(kvBytes / kvBw, load.attnFlopsPerPair() * pairs / attnPeak);

        double overhead = load.layers() * eff.layerOverheadUs() * 1e-6;
        double coll = 0;
        if (load.tp() > 1) coll += 2.0 * load.layers() * comm.allReduce(tokens * load.hidden() * RankLoad.ACT_BYTES);
        if (load.ep() > 1 && load.moeLayers() > 0) {
            double msg = tokens * load.epTokenScale() * load.topK() * load.hidden() * RankLoad.ACT_BYTES / load.tp();
            coll += 2.0 * load.moeLayers() * comm.allToAll(msg);
        }
        double stage = linear + attention + overhead + coll;
        double send = pp > 1 ? comm.sendRecv(tokens * load.hidden() * RankLoad.ACT_BYTES) : 0;
        double fixed = eff.stepOverheadUs() * 1e-6 + (prefillTokens > 0 ? eff.prefillOverheadUs() * 1e-6 : 0);
        double total = pp * (stage + send) + fixed;
        return new Breakdown(linear, linMem, linComp, attention, overhead + fixed, coll, pp * send + (pp - 1) * stage,
                m, stage, total);
    }
}
