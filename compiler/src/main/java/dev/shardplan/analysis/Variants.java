package dev.shardplan.analysis;

import dev.shardplan.model.DType;
import dev.shardplan.model.Engine;
import dev.shardplan.model.Parallel;
import dev.shardplan.model.Plan;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/** Variants of a plan that checks try as fixes, and how to describe the change to the user. */
public final class Variants {
    private Variants() {}

    public static Plan withParallel(Plan p, Parallel par) {
        return new Plan(p.name(), p.sourceFile(), p.model(), p.cluster(), p.workload(), par, p.engine(), p.slos(),
                p.emit(), p.deploy(), p.tuning(), p.spans(), p.span());
    }

    public static Plan withEngine(Plan p, Engine e) {
        return new Plan(p.name(), p.sourceFile(), p.model(), p.cluster(), p.workload(), p.parallel(), e, p.slos(),
                p.emit(), p.deploy(), p.tuning(), p.spans(), p.span());
    }

    /** Degrees changed; an explicit layer split or placement no longer applies and is dropped. */
    public static Plan degrees(Plan p, int dp, int tp, int pp, int ep) {
        Parallel o = p.parallel();
        return withParallel(p, new Parallel(dp, tp, pp, ep, o.dpAttention(), List.of(), List.of()));
    }

    public static Plan withoutPlacement(Plan p) {
        Parallel o = p.parallel();
        return withParallel(p, new Parallel(o.dp(), o.tp(), o.pp(), o.ep(), o.dpAttention(), o.layerSplit(), List.of()));
    }

    public static Plan withLayerSplit(Plan p, List<Integer> split) {
        Parallel o = p.parallel();
        return withParallel(p, new Parallel(o.dp(), o.tp(), o.pp(), o.ep(), o.dpAttention(), split, o.placement()));
    }

    public static Plan memoryFraction(Plan p, double f) {
        Engine e = p.engine();
        return withEngine(p, new Engine(e.kind(), f, e.maxNumSeqs(), e.maxNumBatchedTokens(), e.blockSize(), e.kvDtype(),
                e.cudaGraphs(), e.chunkedPrefill(), e.prefixCaching(), e.maxModelLen(), e.version()));
    }

    public static Plan maxNumSeqs(Plan p, int n) {
        Engine e = p.engine();
        return withEngine(p, new Engine(e.kind(), e.memoryFraction(), n, e.maxNumBatchedTokens(), e.blockSize(), e.kvDtype(),
                e.cudaGraphs(), e.chunkedPrefill(), e.prefixCaching(), e.maxModelLen(), e.version()));
    }

    public static Plan kvDtype(Plan p, DType d) {
        Engine e = p.engine();
        return withEngine(p, new Engine(e.kind(), e.memoryFraction(), e.maxNumSeqs(), e.maxNumBatchedTokens(), e.blockSize(), d,
                e.cudaGraphs(), e.chunkedPrefill(), e.prefixCaching(), e.maxModelLen(), e.version()));
    }

    public static Plan maxModelLen(Plan p, long len) {
        Engine e = p.engine();
        return withEngine(p, new Engine(e.kind(), e.memoryFraction(), e.maxNumSeqs(), e.maxNumBatchedTokens(), e.blockSize(),
                e.kvDtype(), e.cudaGraphs(), e.chunkedPrefill(), e.prefixCaching(), len, e.version()));
    }

    /**
     * More model parallelism for the same model: tp or pp multiplied by 2, 4, 8..., taking the
     * GPUs from dp when dp divides, never using more GPUs than the cluster has. Ordered by how
     * much changes: tp x2, pp x2, tp x4, pp x4, ...
     */
    public static List<Plan> moreModelParallel(Plan p) {
        Parallel o = p.parallel();
        int gpus = p.cluster().totalGpus();
        List<Plan> out = new ArrayList<>();
        for (int k = 2; k <= gpus; k *= 2) {
            for (int which = 0; which < 2; which++) {
                int tp = which == 0 ? o.tp() * k : o.tp();
                int pp = which == 1 ? o.pp() * k : o.pp();
                int dp = o.dp() % k == 0 ? o.dp() / k : o.dp();
                if (dp * tp * pp > gpus) continue;
                if (which == 1 && pp > p.model().layers()) continue;
                out.add(degrees(p, dp, tp, pp, o.ep()));
            }
        }
        return out;
    }

    /** Human description of what changed between two plans, e.g. "tp 2 -> 4, dp 4 -> 2". */
    public static String describe(Plan from, Plan to) {
        List<String> ch = new ArrayList<>();
        Parallel a = from.parallel(), b = to.parallel();
        if (a.dp() != b.dp()) ch.add("dp " + a.dp() + " -> " + b.dp());
        if (a.tp() != b.tp()) ch.add("tp " + a.tp() + " -> " + b.tp());
        if (a.pp() != b.pp()) ch.add("pp " + a.pp() + " -> " + b.pp());
        if (a.ep() != b.ep()) ch.add("ep " + a.ep() + " -> " + b.ep());
        if (!a.placement().isEmpty() && b.placement().isEmpty()) ch.add("remove the explicit placement");
        if (!a.layerSplit().equals(b.layerSplit())) {
            ch.add(b.layerSplit().isEmpty() ? "remove the explicit layer split" : "layer_split " + b.layerSplit());
        }
        Engine x = from.engine(), y = to.engine();
        if (x.memoryFraction() != y.memoryFraction()) ch.add(fractionName(y) + " " + fmt(x.memoryFraction()) + " -> " + fmt(y.memoryFraction()));
        if (x.maxNumSeqs() != y.maxNumSeqs()) ch.add("max_num_seqs " + x.maxNumSeqs() + " -> " + y.maxNumSeqs());
        if (x.kvDtype() != y.kvDtype()) ch.add("kv_cache_dtype " + (y.kvDtype() == null ? "auto" : y.kvDtype().id()));
        if (x.maxModelLen() != y.maxModelLen()) ch.add("max_model_len " + (x.maxModelLen() > 0 ? x.maxModelLen() : from.maxModelLen()) + " -> " + y.maxModelLen());
        return String.join(", ", ch);
    }

    static String fractionName(Engine e) {
        return switch (e.kind()) {
            case VLLM -> "gpu_memory_utilization";
            case SGLANG -> "mem_fraction_static";
            case TRTLLM -> "free_gpu_memory_fraction";
        };
    }

    static String fmt(double d) {
        return String.format(Locale.ROOT, "%.2f", d);
    }
}
