package dev.shardplan.analysis;

import dev.shardplan.model.PlanPaths;
import dev.shardplan.units.Fmt;
import dev.shardplan.diag.Code;
import dev.shardplan.diag.Diagnostic;
import dev.shardplan.layout.RankLayout;
import dev.shardplan.layout.LayoutRules;
import dev.shardplan.model.Model;
import dev.shardplan.model.Parallel;
import dev.shardplan.model.Plan;
import dev.shardplan.model.Quantization;

import java.util.ArrayList;
import java.util.List;

import static dev.shardplan.analysis.StructureChecks.fix;

/** Divisibility rules every engine enforces when it builds a rank's shard. */
final class DivisibilityChecks {
    private DivisibilityChecks() {}

    /** Other tp degrees near the current one, nearest first, keeping dp x tp x pp when dp allows. */
    static List<Plan> nearbyTp(Plan p, java.util.function.IntPredicate ok) {
        Parallel o = p.parallel();
        int gpus = p.cluster().totalGpus();
        List<Integer> tps = new ArrayList<>();
        for (int d = 1; d <= 64; d++) {
            for (int t : new int[] {o.tp() - d, o.tp() + d}) if (t >= 1 && t <= gpus && ok.test(t) && !tps.contains(t)) tps.add(t);
            if (tps.size() >= 4) break;
        }
        List<Plan> out = new ArrayList<>();
        for (int t : tps) {
            int world = o.dp() * o.tp() * o.pp();
            int dp = world % (t * o.pp()) == 0 ? world / (t * o.pp()) : o.dp();
            if (dp * t * o.pp() > gpus) dp = Math.max(1, gpus / (t * o.pp()));
            out.add(Variants.degrees(p, dp, t, o.pp(), o.ep()));
        }
        return out;
    }

    /** SP0601: attention heads % tp (vllm config/model.py verify_with_parallel_config). */
    static final class Heads implements Check {
        public List<Code> codes() { return List.of(AnalysisCodes.HEADS_NOT_DIVISIBLE); }

        /** Does the plan's tp split its attention heads (else this check reports an error)? */
        static boolean splits(Plan p) {
            return p.model().heads() % p.parallel().tp() == 0;
        }

        public List<Diagnostic> run(CheckContext ctx) {
            Plan p = ctx.plan();
            int h = p.model().heads(), tp = p.parallel().tp();
            if (splits(p)) return List.of();
            var b = Diagnostic.of(AnalysisCodes.HEADS_NOT_DIVISIBLE, ctx.span(PlanPaths.PARALLEL_TP, PlanPaths.PARALLEL),
                    p.model().heads() + " attention heads do not split over tp " + tp)
                    .note("each tp rank computes heads / tp query heads; " + h + " % " + tp + " = " + (h % tp))
                    .note("vllm: \"Total number of attention heads (" + h + ") must be divisible by tensor parallel size (" + tp + ").\"");
            fix(ctx, b, nearbyTp(p, t -> h % t == 0), this);
            return List.of(b.build());
        }
    }

    /** SP0602: kv % tp == 0 or tp % kv == 0 (QKVParallelLinear; SGLang get_num_kv_heads). */
    static final class KvHeads implements Check {
        public List<Code> codes() { return List.of(AnalysisCodes.KV_HEADS_VS_TP); }

        static boolean ok(int kv, int tp) {
            return kv % tp == 0 || tp % kv == 0;
        }

        public List<Diagnostic> run(CheckContext ctx) {
            Plan p = ctx.plan();
            Model m = p.model();
            if (m.isMla() || m.kvHeads() <= 0) return List.of();
            int kv = m.kvHeads(), tp = p.parallel().tp();
            if (ok(kv, tp)) return List.of();
            var b = Diagnostic.of(AnalysisCodes.KV_HEADS_VS_TP, ctx.span(PlanPaths.PARALLEL_TP, PlanPaths.PARALLEL),
                    kv + " kv heads neither split over tp " + tp + " nor replicate evenly")
                    .note("kv heads split when kv % tp == 0 and are replicated tp / kv times when tp % kv == 0; "
                            + kv + " % " + tp + " = " + (kv % tp) + ", " + tp + " % " + kv + " = " + (tp % kv));
            int heads = m.heads();
            fix(ctx, b, nearbyTp(p, t -> ok(kv, t) && heads % t == 0), this);
            return List.of(b.build());
        }
    }

    /** SP0603: routed experts % EP size (TRT-LLM _init_load_balancer; vLLM/SGLang expert maps without EPLB). */
    static final class Experts implements Check {
        public List<Code> codes() { return List.of(AnalysisCodes.EXPERTS_NOT_DIVISIBLE); }

        /** Do {@code epSize} expert-parallel ranks split the model's routed experts evenly (else this check reports an error)? */
        static boolean splits(Model m, int epSize) {
            return m.moe() == null || epSize <= 1 || m.moe().experts() % epSize == 0;
        }

        public List<Diagnostic> run(CheckContext ctx) {
            Plan p = ctx.plan();
            Model m = p.model();
            RankLayout l = ctx.analysis().layout();
            if (splits(m, l.epSize())) return List.of();
            int e = m.moe().experts(), ep = l.epSize();
            Parallel o = p.parallel();
            var b = Diagnostic.of(AnalysisCodes.EXPERTS_NOT_DIVISIBLE, ctx.span(PlanPaths.PARALLEL_EP, PlanPaths.PARALLEL),
                    e + " routed experts do not split over " + ep + " expert-parallel ranks")
                    .note(l.rules().moeGroup() == LayoutRules.MoeGroup.DP_TIMES_TP
                            ? p.engine().kind().id() + "'s ep size is dp x tp = " + o.dp() + " x " + o.tp() + " = " + ep
                            : "ep " + ep + "; " + e + " % " + ep + " = " + (e % ep))
                    .note("ranks would hold " + (e / ep) + " or " + (e / ep + 1) + " experts; the engines require an even split without eplb");
            List<Plan> c = new ArrayList<>();
            if (l.rules().moeGroup() == LayoutRules.MoeGroup.DP_TIMES_TP) {
                c.add(Variants.degrees(p, o.dp(), o.tp(), o.pp(), 1));
            } else {
                for (int x = ep - 1; x >= 1; x--) if (e % x == 0 && o.tp() % x == 0) c.add(Variants.degrees(p, o.dp(), o.tp(), o.pp(), x));
            }
            fix(ctx, b, c, this);
            return List.of(b.build());
        }
    }

    /**
     * SP0604: with block-quantised weights (FP8 128x128), every output partition must be a multiple
     * of the block (vllm fp8.py: "Weight output_partition_size = N is not divisible by weight
     * quantization block_n = 128"); with group scales (MXFP4 32), every input partition a multiple of the group.
     */
    static final class QuantBlock implements Check {
        public List<Code> codes() { return List.of(AnalysisCodes.QUANT_BLOCK_MISALIGNED); }

        public List<Diagnostic> run(CheckContext ctx) {
            Plan p = ctx.plan();
            Model m = p.model();
            Quantization q = m.quant();
            if (q == null || q.weights() == null || q.weights() == m.dtype()) return List.of();
            int unit = q.blockSize() > 0 ? q.blockSize() : q.groupSize();
            if (unit <= 0) return List.of();
            RankLayout l = ctx.analysis().layout();
            int tp = l.tp();
            String bad = null;
            if (m.moe() != null && q.covers("experts", m.dtype())) {
                int w = m.moe().expertFfn();
                if (w % l.moeTp() != 0 || (w / l.moeTp()) % unit != 0) bad = "moe_intermediate_size " + w + " / " + l.moeTp() + " = " + fmtDiv(w, l.moeTp());
            }
            if (bad == null && q.covers("dense_ffn", m.dtype()) && m.ffn() > 0
                    && (m.moe() == null || m.moe().denseLayers() > 0)) {
                int w = m.ffn();
                if (w % tp != 0 || (w / tp) % unit != 0) bad = "intermediate_size " + w + " / tp " + tp + " = " + fmtDiv(w, tp);
            }
            if (bad == null && m.moe() != null && m.moe().sharedFfn() > 0 && q.covers("shared_experts", m.dtype())) {
                int w = m.moe().sharedFfn();
                if (w % tp != 0 || (w / tp) % unit != 0) bad = "shared expert width " + w + " / tp " + tp + " = " + fmtDiv(w, tp);
            }
            if (bad == null) return List.of();
            var b = Diagnostic.of(AnalysisCodes.QUANT_BLOCK_MISALIGNED, ctx.span(PlanPaths.PARALLEL_TP, PlanPaths.PARALLEL),
                    "sharded weight width is not a multiple of the " + q.weights().id() + " "
                            + (q.blockSize() > 0 ? "block " : "group ") + unit + ": " + bad)
                    .note("each rank's slice must hold whole quantisation " + (q.blockSize() > 0 ? "blocks" : "groups")
                            + "; vllm: \"Weight output_partition_size = ... is not divisible by weight quantization block_n = " + unit + ".\"");
            Parallel o = p.parallel();
            List<Plan> c = new ArrayList<>();
            if (m.moe() != null && o.ep() <= 1) {
                int ep = l.rules().moeGroup() == LayoutRules.MoeGroup.DP_TIMES_TP ? o.dp() * o.tp() : o.tp();
                c.add(Variants.degrees(p, o.dp(), o.tp(), o.pp(), ep));
            }
            for (int t = o.tp() / 2; t >= 1; t /= 2) {
                int dp = o.dp() * (o.tp() / t);
                c.add(Variants.degrees(p, dp, t, o.pp(), o.ep()));
                c.add(Variants.degrees(p, o.dp(), t, o.pp() * (o.tp() / t), o.ep()));
            }
            fix(ctx, b, c, this);
            return List.of(b.build());
        }

        static String fmtDiv(int a, int b) {
            return a % b == 0 ? String.valueOf(a / b) : Fmt.dec((double) a / b, 2);
        }
    }
}
