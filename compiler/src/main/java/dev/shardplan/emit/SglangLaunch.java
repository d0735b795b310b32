package dev.shardplan.emit;

import dev.shardplan.model.PlanPaths;
import dev.shardplan.diag.Diagnostic;
import dev.shardplan.emit.Command.Arg;
import dev.shardplan.emit.Command.Val;
import dev.shardplan.model.EngineKind;
import dev.shardplan.model.Parallel;
import dev.shardplan.model.Plan;

import java.util.ArrayList;
import java.util.List;

/**
 * How a plan is started with {@code python3 -m sglang.launch_server} (launchers.md §2). With DP
 * attention SGLang's --tp-size counts every GPU of a stage (dp × tp of the plan) and --dp-size
 * splits attention inside it; without it, --dp-size runs independent replicas on one node.
 */
final class SglangLaunch {
    /** The --dist-init-addr port of SGLang's multi-node examples (LWS example, launchers.md §4.1). */
    static final int DIST_INIT_PORT = 20000;

    /** The degrees as SGLang's flags take them. */
    record Degrees(int tp, int dp, int pp, int ep, boolean dpAttention, int nnodes) {}

    private SglangLaunch() {}

    static Degrees degrees(EmitInput in) {
        Parallel p = in.plan().parallel();
        boolean dpAttn = p.dpAttention() && p.dp() > 1;
        int tp = dpAttn ? p.dp() * p.tp() : p.tp();
        return new Degrees(tp, p.dp(), p.pp(), Math.max(1, p.ep()), dpAttn, Math.max(1, in.layout().nodes()));
    }

    static EngineArgs args(EmitInput in) {
        return EngineArgs.of(in, EngineKind.SGLANG);
    }

    static List<Diagnostic> check(EmitInput in) {
        List<Diagnostic> out = new ArrayList<>(check(in.plan(), degrees(in)));
        EngineArgs ea = args(in);
        if (in.plan().parallel().pp() > 1 && !ea.hasFlag("pp_size")) {
            out.add(Diagnostic.of(EmitCodes.RELEASE_LACKS_FEATURE, in.plan().spanOf(PlanPaths.PARALLEL_PP),
                            "sglang: " + ea.cfg().release().label() + " has no --pp-size: it cannot run pp " + in.plan().parallel().pp())
                    .note("pipeline parallelism came with SGLang 0.4.8")
                    .help("name a newer sglang release with `version`, or use pp 1").build());
        }
        return out;
    }

    /** SGLang's check_server_args rules over its own degrees (server_args.py @469c63e5, launchers.md §2.3). */
    static List<Diagnostic> check(Plan plan, Degrees d) {
        List<Diagnostic> out = new ArrayList<>();
        if (d.dpAttention() && d.tp() % d.dp() != 0) {
            out.add(Diagnostic.of(EmitCodes.SGLANG_DP_ATTENTION, plan.spanOf(PlanPaths.PARALLEL_DP),
                            "sglang: with dp attention, tp " + d.tp() + " must be divisible by dp " + d.dp())
                    .note("server_args.py check_server_args: assert tp_size % dp_size == 0 when --enable-dp-attention")
                    .help("choose dp as a divisor of " + d.tp())
                    .build());
        }
        if ((d.tp() * d.pp()) % d.nnodes() != 0) {
            out.add(Diagnostic.of(EmitCodes.SGLANG_NODES, plan.spanOf(PlanPaths.PARALLEL),
                            "sglang: tp × pp = " + d.tp() * d.pp() + " is not divisible by " + d.nnodes() + " nodes")
                    .note("server_args.py check_server_args: assert (tp_size * pp_size) % nnodes == 0, "
                            + "\"tp_size must be divisible by number of nodes\"")
                    .help("use a tp × pp that is a multiple of " + d.nnodes() + ", or fewer nodes")
                    .build());
        }
        if (d.dp() > 1 && !d.dpAttention() && d.nnodes() > 1) {
            out.add(Diagnostic.of(EmitCodes.SGLANG_MULTI_NODE_DP, plan.spanOf(PlanPaths.PARALLEL_DP),
                            "sglang: dp " + d.dp() + " over " + d.nnodes() + " nodes needs dp attention")
                    .note("server_args.py: \"multi-node data parallel is not supported unless dp attention!\"")
                    .help("set dp_attention (MoE models), or run one SGLang server per node behind a router")
                    .build());
        }
        if (d.ep() > 1 && (d.ep() > d.tp() || d.tp() % d.ep() != 0)) {
            out.add(Diagnostic.of(EmitCodes.SGLANG_EP_SIZE, plan.spanOf(PlanPaths.PARALLEL_EP),
                            "sglang: ep " + d.ep() + " must divide SGLang's tp size " + d.tp())
                    .note("SGLang forms expert groups inside its tp group (moe_tp = tp / ep); server_args.py "
                            + "check_quantized_moe_compatibility: \"tp_size must be divisible by ep_size\"")
                    .help("use an ep that divides " + d.tp())
                    .build());
        }
        return out;
    }

    /** Flags every node shares. */
    static List<Arg> common(EmitInput in, List<Diagnostic> diags) {
        Degrees d = degrees(in);
        EngineArgs ea = args(in);
        Deployment dep = in.deployment();
        List<Arg> a = new ArrayList<>();
        a.add(VllmLaunch.arg(ea.flag("model_path"), dep.modelPath()));
        if (dep.servedName() != null) a.add(VllmLaunch.arg(ea.flag("served_model_name"), dep.servedName()));
        a.add(VllmLaunch.arg(ea.flag("tp_size"), d.tp()));
        if (d.dp() > 1) a.add(VllmLaunch.arg(ea.flag("dp_size"), d.dp()));
        if (d.pp() > 1 && ea.hasFlag("pp_size")) a.add(VllmLaunch.arg(ea.flag("pp_size"), d.pp()));
        if (d.ep() > 1) a.add(VllmLaunch.arg(ea.flag("ep_size"), d.ep()));
        if (d.dpAttention()) a.add(new Arg(ea.flag("enable_dp_attention"), null));
        a.addAll(ea.settings());
        String parser = Shapes.reasoningParser(in, ea, diags);
        if (parser != null) a.add(VllmLaunch.arg(ea.flag("reasoning_parser"), parser));
        String tools = Shapes.toolParser(in, ea, diags);
        if (tools != null) a.add(VllmLaunch.arg(ea.flag("tool_call_parser"), tools));
        a.add(VllmLaunch.arg(ea.flag("host"), "0.0.0.0"));
        a.add(VllmLaunch.arg(ea.flag("port"), dep.port(ea.cfg().spec())));
        return a;
    }

    /** Multi-node flags: --nnodes, --node-rank, --dist-init-addr (the same head address on every node). */
    static List<Arg> node(EmitInput in, int node, Site site) {
        if (in.layout().nodes() <= 1) return List.of();
        EngineArgs ea = args(in);
        List<Arg> a = new ArrayList<>();
        a.add(VllmLaunch.arg(ea.flag("nnodes"), in.layout().nodes()));
        a.add(new Arg(ea.flag("node_rank"), site.nodeIndex(node)));
        a.add(new Arg(ea.flag("dist_init_addr"), site.head(in.deployment().masterPort(DIST_INIT_PORT))));
        return a;
    }

    static Command launch(EmitInput in, List<Arg> shared, List<Arg> nodeArgs) {
        return Command.of("python3", "-m", "sglang.launch_server").addAll(shared).addAll(nodeArgs).build();
    }

    static List<String[]> env(EmitInput in, int node, boolean kubernetes) {
        List<String[]> env = new ArrayList<>();
        String vis = kubernetes ? null : Shapes.visibleDevices(in, node);
        if (vis != null) env.add(new String[] {"CUDA_VISIBLE_DEVICES", vis});
        String part = Shapes.layerPartition(in.plan());
        if (part != null) env.add(new String[] {"SGLANG_PP_LAYER_PARTITION", part});
        String nic = in.deployment().network();
        if (nic != null) {
            env.add(new String[] {"GLOO_SOCKET_IFNAME", nic});
            env.add(new String[] {"NCCL_SOCKET_IFNAME", nic});
        }
        return env;
    }

}
