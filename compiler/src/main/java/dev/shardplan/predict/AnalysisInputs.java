package dev.shardplan.predict;

import dev.shardplan.analysis.Analyzer;
import dev.shardplan.analysis.GroupCost;
import dev.shardplan.analysis.PlanAnalysis;
import dev.shardplan.analysis.KvCapacity;
import dev.shardplan.engine.MemoryBudget;
import dev.shardplan.analysis.SeqCapacity;
import dev.shardplan.layout.GroupKind;
import dev.shardplan.model.Plan;

import java.util.List;
import java.util.Locale;

/**
 * The predictions' inputs from the analysis stage: whether the plan fits (no memory error,
 * SP04xx), the KV blocks of one replica (the analysis' pool after vLLM's clamp to the replica's
 * smallest worker), and collective costs from the device graph's per-group bottleneck bandwidth
 * and latency.
 */
public final class AnalysisInputs {
    private AnalysisInputs() {}

    /**
     * Analyses {@code plan} (the analysis' core: graph, layout, memory, KV, interconnect; not its
     * checks, whose what-if variants would cost a search more than its simulations) and derives
     * its inputs.
     */
    public static PlanInputs of(Plan plan) {
        return of(Analyzer.core(plan, dev.shardplan.analysis.StepTimeModel.ROOFLINE));
    }

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
        CollectiveCost comm = collectives(a, eff);
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
        if (reason.isEmpty()) return new PlanInputs(true, blocks, "", comm, a.engine(), loop);
        return new PlanInputs(false, Math.max(0, blocks), reason, comm, a.engine(), loop);
    }

    static final double GIB = 1L << 30;

    /**
     * Ring collective costs over the slowest group of each kind. A call costs the fitted
     * collective_latency_us (launch and synchronisation, docs/calibration.md) plus the group's
     * path latency on the device graph; bytes move at the group's bottleneck bandwidth (a ring
     * hop's fair share of its link, or an all-to-all rank's egress) times link_efficiency. The
     * message-size formulas are {@link CollectiveCost#ring}'s (formulas.md §7.4).
     */
    static CollectiveCost collectives(PlanAnalysis a, Efficiency eff) {
        List<GroupCost> gs = a.interconnect().groups();
        var plan = a.plan();
        double fallback = plan.cluster().gpu().linkBandwidth() > 0 ? plan.cluster().gpu().linkBandwidth() : plan.cluster().gpu().pcieBandwidth();
        GroupCost tp = worst(gs, GroupKind.TP), ep = worst(gs, GroupKind.EP), pp = worst(gs, GroupKind.PP);
        double call = eff.collectiveLatencyUs() * 1e-6;
        double le = eff.linkEfficiency();
        int tpN = tp == null ? 1 : tp.size(), epN = ep == null ? 1 : ep.size();
        double tpBw = bw(tp, fallback), epBw = bw(ep, fallback), ppBw = bw(pp, fallback);
        double tpLat = call + lat(tp), epLat = call + lat(ep), ppLat = call + lat(pp);
        return new Rings(tpN, tpBw * le, tpLat, epN, epBw * le, epLat, ppBw * le, ppLat);
    }

    /**
     * The ring costs of one plan's groups: a value, so that two candidates of a search whose
     * simulations would be the same are seen to be (Search shares one simulation between them).
     * Bandwidths already scaled by link_efficiency.
     */
    record Rings(int tpN, double tpBw, double tpLat, int epN, double epBw, double epLat, double ppBw, double ppLat)
            implements CollectiveCost {
        public double allReduce(double bytes) {
            if (tpN <= 1) return 0;
            return tpLat + 2.0 * (tpN - 1) / tpN * bytes / tpBw;
        }

        public double allToAll(double bytes) {
            if (epN <= 1) return 0;
            return epLat + (double) (epN - 1) / epN * bytes / epBw;
        }

        public double sendRecv(double bytes) {
            return ppLat + bytes / ppBw;
        }
    }

    private static double bw(GroupCost g, double fallback) {
        return g == null || g.bandwidth() <= 0 ? fallback : g.bandwidth();
    }

    private static double lat(GroupCost g) {
        return g == null ? 0 : g.latency();
    }

    /** The group of a kind with the lowest bandwidth (then the highest latency); null when none moves data. */
    static GroupCost worst(List<GroupCost> gs, GroupKind kind) {
        GroupCost w = null;
        for (GroupCost c : gs) {
            if (c.kind() != kind || c.size() <= 1) continue;
            if (w == null || c.bandwidth() < w.bandwidth() || (c.bandwidth() == w.bandwidth() && c.latency() > w.latency())) w = c;
        }
        return w;
    }
}
