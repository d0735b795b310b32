package dev.shardplan.analysis;

import dev.shardplan.model.PlanPaths;
import dev.shardplan.units.Fmt;
import dev.shardplan.diag.Code;
import dev.shardplan.diag.Diagnostic;
import dev.shardplan.layout.GroupKind;
import dev.shardplan.model.Parallel;
import dev.shardplan.model.Plan;

import java.util.ArrayList;
import java.util.List;

import static dev.shardplan.analysis.StructureChecks.fix;

/** Placement and interconnect checks (SP05xx). */
final class PlacementChecks {
    private PlacementChecks() {}

    /** Share of a decode step that network collectives may take before SP0502 (tuning key network_share). */
    public static final double DEFAULT_NETWORK_SHARE = 0.25;

    /** Plans that keep each TP group inside a scale-up domain: default order, then TP traded for PP or DP. */
    static List<Plan> keepTpInDomain(Plan p, int domainGpus) {
        Parallel o = p.parallel();
        List<Plan> c = new ArrayList<>();
        if (!o.placement().isEmpty()) c.add(Variants.withoutPlacement(p));
        for (int t = Math.min(o.tp(), domainGpus); t >= 1; t--) {
            if (o.tp() % t != 0 || t == o.tp()) continue;
            int k = o.tp() / t;
            c.add(Variants.degrees(p, o.dp(), t, o.pp() * k, o.ep()));
            c.add(Variants.degrees(p, o.dp() * k, t, o.pp(), o.ep()));
            if (c.size() >= 6) break;
        }
        return c;
    }

    /** SP0501: a TP group spans several scale-up domains. */
    static final class TpDomain implements Check {
        public List<Code> codes() { return List.of(AnalysisCodes.TP_CROSSES_DOMAIN); }

        public List<Diagnostic> run(CheckContext ctx) {
            PlanAnalysis a = ctx.analysis();
            GroupCost worst = null;
            int crossing = 0;
            for (GroupCost g : a.interconnect().groups()) {
                if (g.kind() != GroupKind.TP || g.domains() <= 1) continue;
                crossing++;
                if (worst == null || g.bandwidth() < worst.bandwidth()) worst = g;
            }
            if (worst == null) return List.of();
            Plan p = ctx.plan();
            int domain = a.graph().domainGpus();
            var b = Diagnostic.of(AnalysisCodes.TP_CROSSES_DOMAIN, ctx.span(PlanPaths.PARALLEL_PLACEMENT, PlanPaths.PARALLEL_TP, PlanPaths.PARALLEL),
                    crossing + " tp group" + (crossing > 1 ? "s span" : " spans") + " more than one scale-up domain; tp group "
                            + worst.index() + " spans " + worst.domains() + " domains of " + domain + " gpus")
                    .note("its all-reduces run at " + Fmt.gbps(worst.bandwidth()) + " per rank (bottleneck: " + worst.bottleneck()
                            + ") instead of " + Fmt.gbps(a.graph().scaleUpBandwidth()) + " inside a domain")
                    .note("tp all-reduces twice per layer; keep tp within " + domain + " gpus and use pp or dp across domains");
            fix(ctx, b, keepTpInDomain(p, domain), this);
            return List.of(b.build());
        }
    }

    /** SP0502: network collectives take more than the allowed share of a decode step. */
    static final class NetworkShare implements Check {
        public List<Code> codes() { return List.of(AnalysisCodes.NETWORK_BOUND); }

        public List<Diagnostic> run(CheckContext ctx) {
            PlanAnalysis a = ctx.analysis();
            Plan p = ctx.plan();
            double limit = MemoryModel.tuning(p, "network_share", DEFAULT_NETWORK_SHARE);
            StepCost s = a.interconnect().decodeStep();
            if (s.networkShare() <= limit) return List.of();
            var b = Diagnostic.of(AnalysisCodes.NETWORK_BOUND, ctx.span(PlanPaths.PARALLEL_TP, PlanPaths.PARALLEL_EP, PlanPaths.PARALLEL),
                    "collectives over the network take " + Fmt.pct(s.networkShare()) + " of a decode step (limit " + Fmt.pct(limit) + ")")
                    .note("decode step at " + a.interconnect().decodeBatch() + " sequences: compute " + Fmt.ms(s.computeSeconds())
                            + ", collectives " + Fmt.ms(s.commSeconds()) + " of which over the network " + Fmt.ms(s.networkSeconds()));
            for (Collective c : a.interconnect().decode()) {
                if (c.overNetwork()) b.note(c.name() + ": " + c.count() + " x " + Fmt.num(c.messageBytes()) + " B at "
                        + Fmt.gbps(c.bandwidth()) + " = " + Fmt.ms(c.seconds()));
            }
            List<Plan> c = new ArrayList<>(keepTpInDomain(p, a.graph().domainGpus()));
            Parallel o = p.parallel();
            if (o.ep() > 1) c.add(Variants.degrees(p, o.dp(), o.tp(), o.pp(), 1));
            fix(ctx, b, c, this);
            return List.of(b.build());
        }
    }
}
