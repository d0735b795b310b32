package dev.shardplan.analysis;

import dev.shardplan.model.PlanPaths;
import dev.shardplan.diag.Code;
import dev.shardplan.diag.Diagnostic;
import dev.shardplan.layout.Layouts;
import dev.shardplan.layout.LayoutRules;
import dev.shardplan.layout.Range;
import dev.shardplan.model.Parallel;
import dev.shardplan.model.Plan;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/** Launcher-independent structure: world size vs cluster, explicit placement, layer split. */
final class StructureChecks {
    private StructureChecks() {}

    /** SP0605 / SP0606: dp x tp x pp against the cluster's GPUs. */
    static final class WorldSize implements Check {
        public List<Code> codes() { return List.of(AnalysisCodes.WORLD_EXCEEDS_CLUSTER, AnalysisCodes.IDLE_GPUS); }

        public List<Diagnostic> run(CheckContext ctx) {
            Plan p = ctx.plan();
            Parallel par = p.parallel();
            int world = par.worldSize(), gpus = p.cluster().totalGpus();
            if (world == gpus) return List.of();
            int mp = par.tp() * par.pp();
            if (world > gpus) {
                var b = Diagnostic.of(AnalysisCodes.WORLD_EXCEEDS_CLUSTER, ctx.span(PlanPaths.PARALLEL, PlanPaths.CLUSTER),
                        "dp x tp x pp = " + par.dp() + " x " + par.tp() + " x " + par.pp() + " = " + world
                                + " ranks, but cluster `" + p.cluster().name() + "` has " + gpus + " gpus")
                        .note("every rank needs its own gpu; " + (world - gpus) + " ranks would have none");
                if (ctx.suggest()) {
                    List<Plan> cands = new ArrayList<>();
                    if (gpus / mp >= 1) cands.add(Variants.degrees(p, gpus / mp, par.tp(), par.pp(), par.ep()));
                    // model parallelism wider than the cluster (tp 16 on 8 gpus): the largest tp, then pp,
                    // that fits, before anything that needs another model or more gpus
                    for (int tp = par.tp() / 2; tp >= 1; tp /= 2) {
                        if (par.dp() * tp * par.pp() <= gpus) { cands.add(Variants.degrees(p, par.dp(), tp, par.pp(), Math.min(par.ep(), par.dp() * tp))); break; }
                    }
                    for (int pp = par.pp() / 2; pp >= 1; pp /= 2) {
                        if (par.dp() * par.tp() * pp <= gpus) { cands.add(Variants.degrees(p, par.dp(), par.tp(), pp, par.ep())); break; }
                    }
                    fix(ctx, b, cands, this);
                }
                return List.of(b.build());
            }
            var b = Diagnostic.of(AnalysisCodes.IDLE_GPUS, ctx.span(PlanPaths.PARALLEL, PlanPaths.CLUSTER),
                    "the plan uses " + world + " of " + gpus + " gpus; " + (gpus - world) + " stay idle");
            if (ctx.suggest() && gpus % mp == 0) {
                fix(ctx, b, List.of(Variants.degrees(p, gpus / mp, par.tp(), par.pp(), par.ep())), this);
            }
            return List.of(b.build());
        }
    }

    /** SP0607: an explicit placement must give one distinct GPU of the cluster to each rank. */
    static final class Placement implements Check {
        public List<Code> codes() { return List.of(AnalysisCodes.INVALID_PLACEMENT); }

        public List<Diagnostic> run(CheckContext ctx) {
            Plan p = ctx.plan();
            Parallel par = p.parallel();
            if (par.placement().isEmpty()) return List.of();
            int world = par.worldSize(), gpus = p.cluster().totalGpus();
            if (Layouts.validPlacement(par.placement(), world, gpus)) return List.of();
            String why;
            if (par.placement().size() != world) why = "it lists " + par.placement().size() + " gpus for " + world + " ranks";
            else {
                why = "gpu indices must be distinct and in [0, " + gpus + ")";
                java.util.Set<Integer> seen = new java.util.HashSet<>();
                for (int g : par.placement()) {
                    if (g < 0 || g >= gpus) { why = "gpu " + g + " is not in the cluster (0.." + (gpus - 1) + ")"; break; }
                    if (!seen.add(g)) { why = "gpu " + g + " is given to two ranks"; break; }
                }
            }
            var b = Diagnostic.of(AnalysisCodes.INVALID_PLACEMENT, ctx.span(PlanPaths.PARALLEL_PLACEMENT, PlanPaths.PARALLEL),
                    "invalid placement: " + why);
            fix(ctx, b, List.of(Variants.withoutPlacement(p)), this);
            return List.of(b.build());
        }
    }

    /** SP0609 / SP0608: explicit split must match; uneven splits are reported as a note. */
    static final class LayerSplit implements Check {
        public List<Code> codes() { return List.of(AnalysisCodes.INVALID_LAYER_SPLIT, AnalysisCodes.UNEVEN_PP_SPLIT); }

        public List<Diagnostic> run(CheckContext ctx) {
            Plan p = ctx.plan();
            Parallel par = p.parallel();
            int layers = p.model().layers(), pp = par.pp();
            List<Integer> split = par.layerSplit();
            if (pp > layers) {
                var b = Diagnostic.of(AnalysisCodes.INVALID_LAYER_SPLIT, ctx.span(PlanPaths.PARALLEL_PP, PlanPaths.PARALLEL),
                        "pp " + pp + " exceeds the model's " + layers + " layers");
                if (ctx.suggest()) {
                    List<Plan> c = new ArrayList<>();
                    for (int q = layers; q >= 1; q--) c.add(Variants.degrees(p, par.dp(), par.tp(), q, par.ep()));
                    fix(ctx, b, c.subList(0, Math.min(4, c.size())), this);
                }
                return List.of(b.build());
            }
            if (!split.isEmpty()) {
                int sum = split.stream().mapToInt(Integer::intValue).sum();
                boolean bad = split.size() != pp || sum != layers || split.stream().anyMatch(x -> x <= 0);
                if (bad) {
                    // the engines' own messages: "{len(partitions)=} does not match {pp_size=}." / "{sum(partitions)=} does not match {num_hidden_layers=}."
                    String why = split.size() != pp ? "it has " + split.size() + " entries for pp " + pp
                            : sum != layers ? "its layers add up to " + sum + ", the model has " + layers
                            : "every stage needs at least one layer";
                    var b = Diagnostic.of(AnalysisCodes.INVALID_LAYER_SPLIT, ctx.span(PlanPaths.PARALLEL_LAYER_SPLIT, PlanPaths.PARALLEL_PP, PlanPaths.PARALLEL),
                            "invalid layer split " + split + ": " + why);
                    List<Plan> c = new ArrayList<>();
                    List<Integer> even = new ArrayList<>();
                    for (Range r : ctx.analysis().layout().stages()) even.add(r.size());
                    c.add(Variants.withLayerSplit(p, List.of()));
                    c.add(Variants.withLayerSplit(p, even));
                    fix(ctx, b, c, this);
                    return List.of(b.build());
                }
            }
            List<Range> stages = ctx.analysis().layout().stages();
            int min = Integer.MAX_VALUE, max = 0;
            for (Range r : stages) { min = Math.min(min, r.size()); max = Math.max(max, r.size()); }
            if (min == max) return List.of();
            List<Integer> sizes = new ArrayList<>();
            for (Range r : stages) sizes.add(r.size());
            var b = Diagnostic.of(AnalysisCodes.UNEVEN_PP_SPLIT, ctx.span(PlanPaths.PARALLEL_LAYER_SPLIT, PlanPaths.PARALLEL_PP, PlanPaths.PARALLEL),
                    "pipeline stages hold " + sizes + " layers")
                    .note(split.isEmpty() ? p.engine().kind().id() + " places the " + (layers % pp) + " remaining layers this way ("
                            + remainderRule(ctx.analysis().layout().rules().remainder()) + ")" : "the explicit layer split")
                    .note("the stage with " + max + " layers sets the step time and clamps the kv pool of every stage");
            if (ctx.suggest()) {
                List<Plan> c = new ArrayList<>();
                for (int q = pp - 1; q >= 1 && c.size() < 3; q--) {
                    // the same gpus: a pp that leaves some idle (pp 8 -> 7 on 8) is no fix
                    if (layers % q == 0 && (par.dp() * pp) % q == 0) c.add(Variants.degrees(p, par.dp() * pp / q, par.tp(), q, par.ep()));
                }
                // upwards too on the same gpus (fewer replicas, each with more stages): a pp that needs
                // more gpus changes the plan's size, which is the idle-gpu note's business, and for a
                // prime layer count it was the layer count itself (pp 4 -> 61 on a 64-gpu cluster: a
                // 61-stage pipeline that simulated at 0 tok/s and cost seconds to weigh)
                for (int q = pp + 1; q <= Math.min(layers, par.dp() * pp) && c.size() < 6; q++)
                    if (layers % q == 0 && (par.dp() * pp) % q == 0) c.add(Variants.degrees(p, par.dp() * pp / q, par.tp(), q, par.ep()));
                // a note: a pp that divides the layers is offered only when it costs nothing else
                // (pp 8 -> 7 for 126 layers on 8 gpus would leave one idle); otherwise no help
                ctx.firstFix(c, this).ifPresent(f -> b.help("use " + Variants.describe(p, f) + " (re-checked: this diagnostic goes away, no new error or warning)"));
            }
            return List.of(b.build());
        }

        static String remainderRule(LayoutRules.Remainder r) {
            return switch (r) {
                case BEFORE_LAST -> "one extra layer each to the stages before the last";
                case LAST -> "one extra layer each to the last stages";
                case FIRST -> "one extra layer each to the first stages";
            };
        }
    }

    /**
     * Appends the verified fix as the help line; when no candidate passes, says which changes were
     * tried, so the user knows the fix lies outside the plan's knobs (model, cluster).
     */
    static void fix(CheckContext ctx, Diagnostic.Builder b, List<Plan> candidates, Check check) {
        Optional<Plan> f = ctx.firstFix(candidates, check);
        if (f.isPresent()) {
            b.help("use " + Variants.describe(ctx.plan(), f.get()) + " (re-checked: this diagnostic goes away, no new error or warning)");
            b.fix(Variants.fix(ctx.plan(), f.get()));
            return;
        }
        if (ctx.nearMiss() != null) {
            // a change that clears this but costs a new warning: said as it is, not as a fix
            b.help(Variants.describe(ctx.plan(), ctx.nearMiss()) + " clears this but raises " + ctx.nearMissCode()
                    + " (re-checked); no change of this plan's settings clears it without a new warning");
            return;
        }
        java.util.LinkedHashSet<String> tried = new java.util.LinkedHashSet<>();
        for (Plan c : candidates) tried.add(Variants.describe(ctx.plan(), c));
        tried.remove("");
        b.help((tried.isEmpty() ? "no change of this plan's settings fixes it on this cluster"
                : "none of " + String.join("; ", tried.stream().limit(4).toList()) + (tried.size() > 4 ? "; ..." : "")
                        + " fixes it on this cluster (each re-checked)")
                + ": use a smaller or quantised model (e.g. an fp8 checkpoint) or a cluster with more or larger gpus");
    }
}
