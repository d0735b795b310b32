package dev.shardplan.analysis;

import dev.shardplan.model.PlanPaths;
import dev.shardplan.units.Fmt;
import dev.shardplan.diag.Diagnostic;
import dev.shardplan.diag.Diagnostics;
import dev.shardplan.diag.Severity;
import dev.shardplan.graph.DeviceGraph;
import dev.shardplan.graph.Link;
import dev.shardplan.model.Cluster;
import dev.shardplan.model.Disaggregation;
import dev.shardplan.model.LengthDist;
import dev.shardplan.model.NodeType;
import dev.shardplan.model.Plan;
import dev.shardplan.model.Pool;
import dev.shardplan.model.Workload;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The analysis of a disaggregated plan: each pool's instance analysed as an aggregated plan of
 * its own (the same memory model, KV capacity and checks), the KV transfer between them on the
 * whole cluster's device graph, and the checks that only a pair of pools has: GPUs of the pools
 * against the cluster, instances that straddle nodes (SP0612), a network that cannot carry the
 * transfers (SP0503) and a pool ratio that leaves one side idle (SP0611).
 */
public final class DisaggregatedAnalysis {
    private DisaggregatedAnalysis() {}

    /** Below this busy share of the faster pool, its GPUs wait for the other pool more than half the time. */
    static final double IDLE_SHARE = 0.5;

    static PlanAnalysis analyze(Plan plan, StepTimeModel stm) {
        Disaggregation d = plan.disagg();
        List<Diagnostic> ds = new ArrayList<>();
        Cluster c = plan.cluster();
        int gpus = c.totalGpus();
        if (d.gpus() != gpus) {
            String what = d.prefill().replicas() + " x " + d.prefill().instanceGpus() + " prefill + " + d.decode().replicas() + " x "
                    + d.decode().instanceGpus() + " decode = " + d.gpus() + " gpus";
            boolean over = d.gpus() > gpus;
            ds.add(Diagnostic.of(over ? AnalysisCodes.WORLD_EXCEEDS_CLUSTER : AnalysisCodes.IDLE_GPUS, d.span(),
                            "the pools take " + what + ", but cluster `" + c.name() + "` has " + gpus + " gpus")
                    .note(over ? "every rank needs its own gpu" : (gpus - d.gpus()) + " gpus stay idle")
                    .help("change the pools' `replicas` or `parallel` degrees so that they add up to " + gpus + " gpus").build());
            if (over) return failed(plan, ds);
        }
        Plan[] inst = new Plan[2];
        PlanAnalysis[] pa = new PlanAnalysis[2];
        for (Pool.Role r : Pool.Role.values()) {
            Pool p = d.pool(r);
            Cluster ic = instanceCluster(c, p.instanceGpus());
            if (ic == null) {
                int per = c.node().gpus();
                ds.add(Diagnostic.of(AnalysisCodes.POOL_STRADDLES_NODES, p.spanOf(PlanPaths.PARALLEL),
                                "an instance of pool `" + r.id() + "` takes " + p.instanceGpus() + " gpus, which "
                                        + (p.instanceGpus() < per ? "do not divide" : "are not a multiple of") + " the " + per + " gpus of a node")
                        .note("instances are placed one after another from gpu 0; one of them would straddle two nodes")
                        .help("make dp x tp x pp of the pool divide " + per + " or a multiple of it").build());
                continue;
            }
            inst[r.ordinal()] = instancePlan(plan, p, ic);
            PlanAnalysis a = Analyzer.analyze(inst[r.ordinal()], stm);
            pa[r.ordinal()] = a;
            for (Diagnostic x : a.diagnostics()) ds.add(inPool(x, r));
        }
        if (pa[0] == null || pa[1] == null || pa[0].hasErrors() || pa[1].hasErrors()) {
            return pa[1] != null ? pa[1].withPools(null).withDiagnostics(Diagnostics.sort(ds)) : failed(plan, ds);
        }
        PoolsAnalysis pools = pools(plan, pa[0], pa[1]);
        ds.addAll(network(plan, pools));
        ds.addAll(ratio(plan, pools));
        return pa[1].withPools(pools).withDiagnostics(Diagnostics.sort(ds));
    }

    /** A plan that cannot be analysed further: the diagnostics alone, on the decode instance's analysis when there is one. */
    private static PlanAnalysis failed(Plan plan, List<Diagnostic> ds) {
        return new PlanAnalysis(plan, null, null, null, List.of(), null, null, Diagnostics.sort(ds), null);
    }

    /** One pool's instance as an aggregated plan: its layout and engine on the GPUs one instance takes. */
    static Plan instancePlan(Plan plan, Pool p, Cluster ic) {
        Plan ip = plan.poolInstance(p, ic);
        if (p.role() != Pool.Role.PREFILL) return ip;
        // A prefill instance produces one token per request and hands the request on: its KV
        // pool holds prompts only (vLLM's proxy sends max_tokens 1; SGLang's prefill server stops
        // after the first token). max_length stays: the engine still checks max_model_len at start.
        Workload w = plan.workload();
        Workload pw = w.withOutput(new LengthDist.Fixed(1));
        return new Plan(ip.name(), ip.sourceFile(), ip.model(), ip.cluster(), pw, ip.parallel(), ip.engine(), ip.slos(), ip.emit(),
                ip.deploy(), ip.tuning(), ip.efficiency(), ip.spans(), ip.span(), ip.allows(), null);
    }

    /**
     * The GPUs of one instance as a cluster: whole nodes when it fills them, else one node with
     * the instance's share of the GPUs and NICs; null when the instance would straddle nodes.
     */
    static Cluster instanceCluster(Cluster c, int world) {
        NodeType n = c.node();
        int per = n.gpus();
        if (world >= per) {
            if (world % per != 0) return null;
            int nodes = world / per;
            int domain = gcd(Math.max(1, c.scaleUpDomainNodes()), nodes);
            return new Cluster(c.name(), n, nodes, domain, nodes > 1 ? c.network() : "none", c.scaleUpLatency(), c.networkLatency(), c.span());
        }
        if (per % world != 0) return null;
        int island = Math.min(n.islandSize(), world);
        int nics = n.nics() == 0 ? 0 : Math.max(1, n.nics() * world / per);
        NodeType part = new NodeType(n.name(), n.gpu(), world, n.fabric(), island, n.scaleUpBandwidth(), nics, n.nicBandwidth(),
                n.pcieBandwidth(), n.span());
        return new Cluster(c.name(), part, 1, 1, "none", c.scaleUpLatency(), c.networkLatency(), c.span());
    }

    private static int gcd(int a, int b) {
        return b == 0 ? a : gcd(b, a % b);
    }

    /** A diagnostic of a pool's instance, saying which pool it is about. */
    private static Diagnostic inPool(Diagnostic x, Pool.Role r) {
        List<String> notes = new ArrayList<>(x.notes());
        notes.add(0, "in pool `" + r.id() + "` (one instance)");
        return new Diagnostic(x.code(), x.severity(), x.message(), x.span(), x.labels(), notes, x.help());
    }

    static PoolsAnalysis pools(Plan plan, PlanAnalysis prefill, PlanAnalysis decode) {
        Disaggregation d = plan.disagg();
        DeviceGraph g = DeviceGraph.of(plan.cluster());
        Workload w = plan.workload();
        long mean = Math.max(1, Math.round(w.prompt().mean()));
        KvTransfer.Result meanReq = KvTransfer.request(plan.model(), d, prefill.engine(), prefill.layout(), decode.engine(), decode.layout(), g, mean);
        long p95 = Math.min(w.maxLength(), w.prompt().quantile(0.95));
        KvTransfer.Result p95Req = KvTransfer.request(plan.model(), d, prefill.engine(), prefill.layout(), decode.engine(), decode.layout(), g, p95);
        // Request rates each pool sustains, from the analysis's step costs (one DP replica each).
        StepCost ps = prefill.interconnect().prefillStep(), dsx = decode.interconnect().decodeStep();
        double prefillTokens = d.prefill().replicas() * (double) prefill.layout().dp() * ps.tokens() / ps.seconds();
        double decodeTokens = d.decode().replicas() * (double) decode.layout().dp() * dsx.tokens() / dsx.seconds();
        double prefillRps = prefillTokens / w.prompt().mean();
        double decodeRps = decodeTokens / w.output().mean();
        double served = Math.min(prefillRps, decodeRps);
        double rate = w.offline() ? served : Math.min(w.rate(), served);
        Map<Integer, Double> load = KvTransfer.perRequestLoad(plan.model(), d, decode.engine(), prefill.layout(), decode.layout(), g, mean);
        double util = 0;
        Link busiest = null;
        for (var e : load.entrySet()) {
            Link l = g.linkOf(e.getKey());
            double u = rate * e.getValue() / l.bandwidth();
            if (u > util) {
                util = u;
                busiest = l;
            }
        }
        return new PoolsAnalysis(d, prefill, decode, meanReq, p95Req, prefillRps, decodeRps, rate, util, busiest);
    }

    /** SP0503: the busiest link of the KV transfers is over its bandwidth at the rate the pools serve. */
    static List<Diagnostic> network(Plan plan, PoolsAnalysis p) {
        if (p.busiestUtilisation() <= 1 || p.busiest() == null) return List.of();
        Link l = p.busiest();
        double need = p.busiestUtilisation() * l.bandwidth();
        return List.of(Diagnostic.of(AnalysisCodes.KV_TRANSFER_EXCEEDS_NETWORK, plan.disagg().connectorSpan(),
                        "the KV transfers need " + Fmt.gbps(need) + " on " + l.describe() + ", which carries " + Fmt.gbps(l.bandwidth()))
                .note("at " + Fmt.dec(p.rate(), 2) + " req/s with a mean prompt of " + Fmt.num(p.mean().promptTokens()) + " tokens, each request moves "
                        + Fmt.gib(p.mean().wireBytes()) + " of KV cache (" + Fmt.gib(p.mean().logicalBytes()) + " as the model defines it)")
                .note("transfers queue behind each other: time to first token grows without bound at this rate")
                .help("spread the pools over more NICs (more nodes, or instances whose ranks each use their own NIC), use an fp8 KV cache, or lower the rate").build());
    }

    /** SP0611: at the rate the slower pool sustains, the faster one is busy less than half the time. */
    static List<Diagnostic> ratio(Plan plan, PoolsAnalysis p) {
        double share = Math.min(p.prefillRps(), p.decodeRps()) / Math.max(p.prefillRps(), p.decodeRps());
        if (share >= IDLE_SHARE) return List.of();
        Disaggregation d = plan.disagg();
        boolean prefillIdle = p.prefillRps() > p.decodeRps();
        Pool idle = prefillIdle ? d.prefill() : d.decode(), busy = prefillIdle ? d.decode() : d.prefill();
        var b = Diagnostic.of(AnalysisCodes.IDLE_POOL, idle.span(),
                        "pool `" + idle.role().id() + "` can serve " + Fmt.dec(Math.max(p.prefillRps(), p.decodeRps()), 2) + " req/s but pool `"
                                + busy.role().id() + "` only " + Fmt.dec(Math.min(p.prefillRps(), p.decodeRps()), 2) + " req/s; `"
                                + idle.role().id() + "` idles " + Fmt.pct(1 - share) + " of the time")
                .note("prefill: " + d.prefill().replicas() + " instance(s) x dp " + p.prefill().layout().dp() + ", a chunk of "
                        + Fmt.num(p.prefill().interconnect().prefillStep().tokens()) + " tokens in " + Fmt.ms(p.prefill().interconnect().prefillStep().seconds())
                        + ", mean prompt " + Fmt.num(Math.round(plan.workload().prompt().mean())) + " tokens")
                .note("decode: " + d.decode().replicas() + " instance(s) x dp " + p.decode().layout().dp() + ", a step of "
                        + Fmt.num(p.decode().interconnect().decodeStep().tokens()) + " sequences in " + Fmt.ms(p.decode().interconnect().decodeStep().seconds())
                        + ", mean output " + Fmt.num(Math.round(plan.workload().output().mean())) + " tokens")
                .severity(Severity.WARNING);
        // Instances of each pool that balance the rates on the same GPUs.
        int total = d.gpus();
        double perPrefillGpu = p.prefillRps() / d.prefill().gpus(), perDecodeGpu = p.decodeRps() / d.decode().gpus();
        // x prefill GPUs, total - x decode: x * a = (total - x) * b.
        double x = total * perDecodeGpu / (perPrefillGpu + perDecodeGpu);
        int pr = (int) Math.max(1, Math.round(x / d.prefill().instanceGpus()));
        int dr = (total - pr * d.prefill().instanceGpus()) / d.decode().instanceGpus();
        double after = dr < 1 ? 0 : Math.min(pr * d.prefill().instanceGpus() * perPrefillGpu, dr * d.decode().instanceGpus() * perDecodeGpu)
                / Math.max(pr * d.prefill().instanceGpus() * perPrefillGpu, dr * d.decode().instanceGpus() * perDecodeGpu);
        if (dr >= 1 && after >= IDLE_SHARE && (pr != d.prefill().replicas() || dr != d.decode().replicas())) {
            b.help("on the same " + total + " gpus, " + pr + " prefill and " + dr + " decode instances balance the pools "
                    + "(`replicas " + pr + "` and `replicas " + dr + "`: the faster pool busy " + Fmt.pct(after) + " of the time)");
        } else if (dr >= 1) {
            b.help("even " + pr + " prefill and " + dr + " decode instances leave pool `" + idle.role().id() + "` idle "
                    + Fmt.pct(1 - after) + " of the time: on these gpus the workload does not pay for disaggregation; "
                    + "an aggregated plan (`parallel` without pools) runs both phases on every gpu");
        } else {
            b.help("give pool `" + idle.role().id() + "` fewer GPUs or pool `" + busy.role().id() + "` more");
        }
        return List.of(b.build());
    }
}
