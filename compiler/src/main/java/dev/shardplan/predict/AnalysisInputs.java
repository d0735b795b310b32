package dev.shardplan.predict;

import dev.shardplan.analysis.PlanAnalysis;
import dev.shardplan.analysis.KvCapacity;
import dev.shardplan.engine.MemoryBudget;
import dev.shardplan.analysis.SeqCapacity;
import dev.shardplan.model.Plan;

import java.util.Locale;

/**
 * The predictions' inputs from the analysis stage: whether the plan fits (no memory error,
 * SP04xx), the KV blocks of one replica (the analysis' pool after vLLM's clamp to the replica's
 * smallest worker), the collective schedule of its steps (the analysis' own, with the step-time
 * constants' call latency and link efficiency), the engine loop and the rank layout.
 */
public final class AnalysisInputs {
    private AnalysisInputs() {}

    /** The inputs of {@code plan} from its analysis {@code a} (done once, by the caller). */
    public static PlanInputs of(Plan plan, PlanAnalysis a) {
        return of(a);
    }

    /** The inputs of a plan the analysis stage already analysed, with the plan's step-time constants. */
    public static PlanInputs of(PlanAnalysis a) {
        Efficiency eff;
        try {
            eff = Predictor.efficiency(a.plan());
        } catch (IllegalArgumentException e) {
            // a bad tuning key: the predictor reports it (SP0705); the collectives use the profile's values
            eff = Predictor.baseEfficiency(a.plan());
        }
        return of(a, eff);
    }

    /**
     * The inputs of an analysed plan, with the step-time constants {@code eff}. It fits unless one
     * of the analysis' memory errors applies: a rank with no KV pool (SP0401) or a pool too small
     * for one sequence of the maximum length (SP0402); the conditions are those of its checks.
     */
    public static PlanInputs of(PlanAnalysis a, Efficiency eff) {
        var comm = dev.shardplan.analysis.InterconnectModel.schedule(a.plan(), a.engine(), a.layout(), a.interconnect().groups(),
                eff.collectiveLatencyUs() * 1e-6, eff.linkEfficiency());
        MemoryBudget worst = null;
        for (MemoryBudget b : a.memory()) if (worst == null || b.kvPool() < worst.kvPool()) worst = b;
        KvCapacity kv = a.kv();
        String reason = "";
        if (worst != null && worst.kvPool() <= 0) {
            reason = String.format(Locale.ROOT, "weights do not fit: rank %d has %.1f GiB of weights and no KV pool left (SP0401)",
                    a.memory().indexOf(worst), worst.weights() / GIB);
        } else if (kv.blocks() <= 0 || kv.at("max").sequences() < 1 && a.engine().spec().refusesShortPool()) {
            SeqCapacity max = kv.at("max");
            reason = String.format(Locale.ROOT, "one sequence of %d tokens needs %d KV blocks, but the pool holds %d (SP0402)",
                    max.length(), max.blocksPerSeq(), kv.blocks());
        }
        // The simulator gives every layer a block per block_size tokens; with vLLM's hybrid
        // allocator (sliding-window layers) it gets the pool's logged token size, blocks / groups:
        // full attention everywhere, which is conservative for the sliding layers.
        long blocks = kv.tokens() / kv.blockSize();
        var loop = a.engine().spec().loop(a.engine(), a.plan());
        if (reason.isEmpty()) return new PlanInputs(true, blocks, "", comm, a.engine(), loop, a.layout());
        return new PlanInputs(false, Math.max(0, blocks), reason, comm, a.engine(), loop, a.layout());
    }

    static final double GIB = 1L << 30;

}
