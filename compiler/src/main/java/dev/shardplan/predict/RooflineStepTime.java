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

    public RooflineStepTime(RankLoad load, Gpu gpu, Efficiency eff, CollectiveCost comm) {
        this.load = load;
        this.eff = eff;
        this.comm = comm;
        this.hbm = gpu.hbmBandwidth() * eff.hbmEfficiency();
        this.kvBw = hbm * eff.attentionEfficiency();
        this.linPeak = gpu.flopsFor(load.computeDtype()) * eff.computeEfficiency();
        this.attnPeak = gpu.flopsFor(DType.BF16) * eff.computeEfficiency();
    }

    public RankLoad load() {
        return load;
    }

    public Efficiency efficiency() {
        return eff;
    }

    @Override
    public double seconds(int decodeSeqs, double decodeContext, int prefillSeqs, int prefillTokens, double prefillPairs) {
        return breakdown(decodeSeqs, decodeContext, prefillSeqs, prefillTokens, prefillPairs).total();
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
