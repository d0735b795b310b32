package dev.shardplan.resolve;

import dev.shardplan.ast.Nodes.*;
import dev.shardplan.diag.Codes;
import dev.shardplan.diag.Diagnostic;
import dev.shardplan.diag.Diagnostics;
import dev.shardplan.diag.Span;
import dev.shardplan.model.*;

import java.util.*;

/** `plan` declarations: a model on a cluster serving a workload, with its layout, engine and deployment. */
final class PlanResolver {
    static final Field MODEL = Field.ref("model", "model").required("model llama_3_1_8b").doc("The model to serve.");
    static final Field CLUSTER = Field.ref("cluster", "cluster").required("cluster my_cluster").doc("The cluster it runs on.");
    static final Field WORKLOAD = Field.ref("workload", "workload").required("workload my_workload").doc("The workload it serves.");
    static final Field PARALLEL = Field.block("parallel").required("parallel { tp 8 }")
            .doc("Parallel degrees (dp, tp, pp, ep), dp_attention, layer_split, placement; a plan with pools has one per pool.");
    static final Field ENGINE = Field.other("engine", "vllm | sglang | trtllm { settings }").required("engine vllm { gpu_memory_utilization 0.9 }")
            .doc("The serving engine and its settings, by the engine's own names (unset settings: engine default).");
    static final Field POOL = Field.other("pool", "prefill | decode { parallel; replicas; engine }").example("pool prefill { parallel { tp 4 } }")
            .doc("A disaggregated plan's prefill and decode pools (both, with `kv_transfer`).");
    static final Field KV_TRANSFER = Field.block(Pools.KV_TRANSFER).example("kv_transfer { connector nixl }")
            .doc("The KV cache transfer between a disaggregated plan's pools (required with pools).");
    static final Field SLO = Field.block("slo").example("slo { ttft p99 < 5 s }").doc("Targets: ttft, tpot, itl, e2e percentiles and throughput.");
    static final Field EMIT = Field.refs("emit", "target").example("emit vllm, kubernetes")
            .doc("What compile writes for this plan: " + String.join(", ", Arrays.stream(Target.values()).map(Target::id).toList()) + ".");
    static final Field DEPLOY = Field.block("deploy").example("deploy { image \"vllm/vllm-openai:v0.11.0\" }")
            .doc("Deployment details: model path, image, hosts, ports, Kubernetes and Slurm placement, model cache, pod resources, network.");
    static final Field TUNING = Field.block("tuning").example("tuning { hbm_efficiency 0.8 }").doc("Per-plan overrides of single prediction constants.");
    static final Field EFFICIENCY = Field.ref("efficiency", "efficiency").fallback("std:efficiency's for the engine and GPU")
            .example("efficiency my_profile").doc("Step-time profile.");
    static final Field ALLOW = Field.other(Allows.KEY, "CODE \"reason\"").example("allow SP0403 \"reviewed\"")
            .doc("Accepts a reviewed warning or note: CODE \"reason\", by id or name; never an error.");

    static final FieldTable FIELDS = FieldTable.of("plan", MODEL, CLUSTER, WORKLOAD, PARALLEL, ENGINE, POOL, KV_TRANSFER, SLO, EMIT,
            DEPLOY, TUNING, EFFICIENCY, ALLOW);

    static final Field DP = Field.count("dp", Schema.DEGREE).byDefault(1).example("dp 1").doc("Data-parallel replicas.");
    static final Field TP = Field.count("tp", Schema.DEGREE).byDefault(1).example("tp 1").doc("Tensor-parallel degree.");
    static final Field PP = Field.count("pp", Schema.DEGREE).byDefault(1).example("pp 1").doc("Pipeline stages.");
    static final Field EP = Field.count("ep", Schema.DEGREE).byDefault(1).example("ep 1").doc("Expert-parallel degree.");
    static final Field DP_ATTENTION = Field.flag("dp_attention").doc("Attention data-parallel across the EP group (MoE).");
    static final Field LAYER_SPLIT = Field.counts("layer_split", Schema.LAYER_SPLIT).fallback("engine default (its own split)")
            .example("layer_split 31, 33").doc("Explicit layers per pipeline stage, one count per stage.");
    static final Field PLACEMENT = Field.counts("placement", Schema.PLACEMENT_GPU).fallback("engine default (its own order)")
            .example("placement 0, 1, 2, 3").doc("GPU index of each rank.");

    static final FieldTable PARALLEL_FIELDS = FieldTable.of("plan.parallel", DP, TP, PP, EP, DP_ATTENTION, LAYER_SPLIT, PLACEMENT);

    private final Resolver r;
    private final WorkloadResolver workloads;
    private final Diagnostics diags;

    PlanResolver(Resolver r, WorkloadResolver workloads, Diagnostics diags) {
        this.r = r;
        this.workloads = workloads;
        this.diags = diags;
    }

    Plan resolve(Resolver.Located l) {
        Decl d = l.decl();
        Module m = l.module();
        Allows.Read allowed = Allows.read(Resolver.what(d), d.body(), diags);
        Pools.Split pools = Pools.split(allowed.rest());
        Fields f = new Fields(Resolver.what(d), d.name().span(), pools.rest(), FIELDS, diags);
        // Every field given, by its path: a later stage's diagnostic about a field points at it.
        Map<String, Span> spans = new HashMap<>(f.spans());
        Model model = r.ref(m, "model", f.name(MODEL), Model.class);
        Cluster cluster = r.ref(m, "cluster", f.name(CLUSTER), Cluster.class);
        Workload workload = r.ref(m, "workload", f.name(WORKLOAD), Workload.class);
        if (workload != null) {
            // the workload's own lines, where the user can change them (not the standard library's)
            for (var e : workloads.spans(workload).entrySet()) {
                if (!e.getValue().file().startsWith("std:")) spans.put("workload." + e.getKey(), e.getValue());
            }
        }
        Parallel parallel = pools.pools().isEmpty() ? parallel(f, spans) : null;
        EngineBlock engine = Engines.engine(f, spans, diags, true);
        Disaggregation disagg = Pools.read(Resolver.what(d), d.name().span(), pools.pools(), f, engine, diags, (pf, ps) -> {
            if (pf.has(PARALLEL)) ps.put(PARALLEL.name(), pf.span(PARALLEL));
            return parallel(pf, ps);
        });
        if (disagg != null) {
            // The plan-wide layout and engine are the decode pool's (see Plan).
            parallel = disagg.decode().parallel();
            engine = disagg.decode().engine();
        }
        List<Slo> slos = Slos.slos(f, diags);
        Set<Target> emit = targets(f);
        Deploy deploy = Deployments.deploy(f, spans, model, diags);
        Map<String, Double> tuning = Engines.tuning(f, diags);
        Name effName = f.name(EFFICIENCY);
        EfficiencyProfile eff = effName == null ? null : r.ref(m, "efficiency", effName, EfficiencyProfile.class);
        if (model == null || cluster == null || workload == null || parallel == null || engine == null || deploy == null) return null;
        if (effName != null && eff == null) return null;
        if (!pools.pools().isEmpty() && disagg == null) return null;
        String gpu = cluster.gpu().name();
        if (eff != null) {
            if (eff.engine() != engine.kind()) {
                diags.add(Diagnostic.of(Codes.TYPE_MISMATCH, effName.span(), "efficiency `" + eff.name() + "` is for " + eff.engine().id()
                                + ", but the plan's engine is " + engine.kind().id())
                        .label(eff.span(), "declared here")
                        .help("name a profile with `engine " + engine.kind().id() + "`, or remove the field to use std:efficiency's").build());
                return null;
            }
            if (!eff.appliesTo(gpu)) {
                diags.add(Diagnostic.of(Codes.TYPE_MISMATCH, effName.span(), "efficiency `" + eff.name() + "` is for "
                                + String.join(", ", eff.gpus()) + ", but the cluster's GPU is " + gpu)
                        .label(eff.span(), "declared here")
                        .help("add " + gpu + " to its `gpus`, or name a profile for " + gpu).build());
                return null;
            }
        } else {
            eff = EfficiencyProfile.select(r.stdEfficiencies(d.name().span()), gpu, engine.kind());
        }
        return new Plan(d.name().text(), l.module().id(), model, cluster, workload, parallel, engine, slos, emit, deploy,
                tuning, eff, spans, d.name().span(), allowed.allows(), disagg);
    }

    private Parallel parallel(Fields f, Map<String, Span> spans) {
        Entry pe = f.entry(PARALLEL);
        if (pe == null) return null;
        if (pe.body() == null) {
            diags.add(Diagnostic.of(Codes.TYPE_MISMATCH, pe.span(), "`parallel` takes a block of degrees")
                    .help("write `parallel { dp 4; tp 2 }`").build());
            return null;
        }
        Fields pf = new Fields("parallel", pe.span(), pe.body(), PARALLEL_FIELDS, diags);
        for (var k : pf.spans().entrySet()) spans.put(PARALLEL.name() + "." + k.getKey(), k.getValue());
        long dp = pf.integerOr(DP);
        long tp = pf.integerOr(TP);
        long pp = pf.integerOr(PP);
        long ep = pf.integerOr(EP);
        Boolean dpa = pf.bool(DP_ATTENTION);
        List<Integer> split = pf.integers(LAYER_SPLIT);
        List<Integer> placement = pf.integers(PLACEMENT);
        if (pf.has(LAYER_SPLIT) && split.size() != pp) {
            diags.add(Diagnostic.of(Codes.OUT_OF_RANGE, pf.span(LAYER_SPLIT), "`layer_split` has " + split.size() + " stages but pp is " + pp)
                    .help("give one layer count per pipeline stage").build());
            return null;
        }
        long world = dp * tp * pp;
        if (world > Schema.RANKS.max()) {
            diags.add(Diagnostic.of(Codes.OUT_OF_RANGE, pe.span(), "dp x tp x pp = " + world + " ranks, over the limit of "
                            + Schema.RANKS.maxLong())
                    .note("each rank is one GPU; no inference deployment is this large")
                    .help("lower dp, tp or pp").build());
            return null;
        }
        return new Parallel((int) dp, (int) tp, (int) pp, (int) ep, Boolean.TRUE.equals(dpa), split, placement);
    }

    private Set<Target> targets(Fields f) {
        Set<Target> out = EnumSet.noneOf(Target.class);
        Set<String> ids = new TreeSet<>();
        for (Target t : Target.values()) ids.add(t.id());
        for (Name n : f.names(EMIT)) {
            String w = f.word(n, EMIT.name(), ids);
            if (w != null) out.add(Target.parse(w));
        }
        return out;
    }
}
