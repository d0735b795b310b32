package dev.shardplan.emit;

import dev.shardplan.model.PlanPaths;
import dev.shardplan.layout.RankLayout;
import dev.shardplan.diag.Diagnostic;
import dev.shardplan.emit.Command.Arg;
import dev.shardplan.emit.Command.Val;
import dev.shardplan.model.EngineKind;
import dev.shardplan.model.Parallel;
import dev.shardplan.model.Plan;

import java.util.ArrayList;
import java.util.List;

/**
 * How a plan is started with {@code vllm serve}: the flags every node shares, the per-node flags
 * of each multi-node mode, and the rules vLLM enforces (launchers.md §1). Flag spellings and the
 * releases that have them come from the engine package.
 */
final class VllmLaunch {
    /** vLLM's default mp master port (ParallelConfig.master_port, vllm/config/parallel.py). */
    static final int MASTER_PORT = 29501;
    /** The DP RPC port used by vLLM's data_parallel_deployment.md examples. */
    static final int DP_RPC_PORT = 13345;
    static final int RAY_PORT = 6379;

    enum Mode {
        /** Everything on one node; DP, if any, runs inside one vllm serve. */
        SINGLE,
        /** One replica over several nodes (TP × PP larger than a node). */
        MULTI_NODE,
        /** DP replicas spread over nodes, each node holding whole replicas. */
        DP_NODES
    }

    private VllmLaunch() {}

    static EngineArgs args(EmitInput in) {
        return EngineArgs.of(in, EngineKind.VLLM);
    }

    static Mode mode(EmitInput in) {
        if (in.layout().nodes() <= 1) return Mode.SINGLE;
        return in.plan().parallel().dp() == 1 ? Mode.MULTI_NODE : Mode.DP_NODES;
    }

    /** Whether the release has vLLM's native multi-node flags (--nnodes ...); without them a replica over nodes needs Ray. */
    static boolean nativeMultiNode(EmitInput in) {
        return args(in).hasFlag("nnodes");
    }

    static List<Diagnostic> check(EmitInput in) {
        List<Diagnostic> out = new ArrayList<>();
        Plan plan = in.plan();
        Parallel par = plan.parallel();
        EngineArgs ea = args(in);
        String rel = ea.cfg().release().label();
        if (par.ep() > 1 && par.ep() != par.tp() * par.dp()) {
            out.add(Diagnostic.of(EmitCodes.VLLM_EP_SIZE, plan.spanOf(PlanPaths.PARALLEL_EP),
                            "vllm: expert-parallel size must be tp × dp = " + par.tp() * par.dp() + ", the plan has ep " + par.ep())
                    .note("vLLM has no EP-size flag: --enable-expert-parallel makes the MoE layers use EP over the "
                            + "tp × dp ranks of a stage (" + par.tp() + " × " + par.dp() + ")")
                    .note("rule source: vllm/config/parallel.py (ParallelConfig.enable_expert_parallel), launchers.md §1.1, §6.4")
                    .help("set ep " + par.tp() * par.dp() + ", or change dp/tp so that tp × dp = " + par.ep())
                    .build());
        }
        if (par.dp() > 1 && !ea.hasFlag("data_parallel_size")) {
            out.add(lacks(plan, PlanPaths.PARALLEL_DP, rel + " has no --data-parallel-size: one server cannot run dp " + par.dp(),
                    "data parallelism inside vllm serve came with the V1 engine (0.8)", "name a newer vllm release with `version`, or run one plan per replica with dp 1"));
        }
        if (par.ep() > 1 && !ea.hasFlag("enable_expert_parallel")) {
            out.add(lacks(plan, PlanPaths.PARALLEL_EP, rel + " has no --enable-expert-parallel", "expert parallelism came with vLLM 0.8",
                    "name a newer vllm release with `version`, or use ep 1"));
        }
        RankLayout l = in.layout();
        Mode mode = mode(in);
        if (mode == Mode.MULTI_NODE) {
            int world = l.ranks().size();
            for (int n = 0; n < l.nodes(); n++) {
                if (l.ranksOnNode(n).size() * l.nodes() != world) {
                    out.add(layoutError(plan, "vllm: " + world + " ranks do not split evenly over " + l.nodes() + " nodes",
                            "multi-node vLLM (--nnodes, or Ray) starts world_size / nnodes workers on every node "
                                    + "(vllm/config/parallel.py ParallelConfig)",
                            "choose tp × pp as a multiple of the GPUs per node, or place the ranks evenly"));
                    break;
                }
            }
        } else if (mode == Mode.DP_NODES) {
            if (!ea.hasFlag("data_parallel_size_local") || !ea.hasFlag("headless")) {
                out.add(lacks(plan, PlanPaths.PARALLEL_DP, rel + " cannot run data parallelism across nodes (no --data-parallel-size-local / --headless)",
                        "multi-node data parallelism in vllm serve needs --data-parallel-size-local, --data-parallel-start-rank and --headless",
                        "name a newer vllm release with `version`, or keep every replica on one node"));
                return out;
            }
            for (int d = 0; d < par.dp(); d++) {
                if (l.nodesOfReplica(d).size() > 1) {
                    out.add(layoutError(plan, "vllm: data-parallel replica " + d + " spans nodes "
                                    + l.nodesOfReplica(d) + " (tp × pp = " + par.tp() * par.pp() + ")",
                            "multi-node data parallelism gives each node --data-parallel-size-local whole replicas "
                                    + "(docs/serving/data_parallel_deployment.md, launchers.md §1.4c)",
                            "keep tp × pp within one node, or place each replica's ranks on one node"));
                    break;
                }
            }
            if (out.stream().noneMatch(x -> x.code() == EmitCodes.VLLM_NODE_LAYOUT)) {
                int next = 0;
                for (int n = 0; n < l.nodes(); n++) {
                    for (int d : l.replicasOnNode(n)) {
                        if (d != next) {
                            out.add(layoutError(plan, "vllm: node " + n + " holds replica " + d + " out of order",
                                    "each node runs the consecutive DP ranks starting at --data-parallel-start-rank",
                                    "place replicas on nodes in DP-rank order"));
                            return out;
                        }
                        next++;
                    }
                }
            }
        }
        return out;
    }

    /** A layout the release cannot launch without flags it lacks; targets that need the flags report it. */
    static Diagnostic lacks(Plan plan, dev.shardplan.model.FieldPath field, String msg, String note, String help) {
        return Diagnostic.of(EmitCodes.RELEASE_LACKS_FEATURE, plan.spanOf(field), "vllm: " + msg).note(note).help(help).build();
    }

    /** The native multi-node mode's flags are missing from the release: a launcher that needs them reports it. */
    static Diagnostic noNativeMultiNode(EmitInput in, String target) {
        String rel = args(in).cfg().release().label();
        return Diagnostic.of(EmitCodes.RELEASE_LACKS_FEATURE, in.plan().spanOf(PlanPaths.PARALLEL),
                        target + ": " + rel + " has no --nnodes/--node-rank/--master-addr, which this target's multi-node launch uses")
                .note("vLLM's native multi-node mode came with 0.11.1; older releases span nodes with Ray")
                .help("use the vllm target's ray/ scripts, or name a newer vllm release with `version`").build();
    }

    private static Diagnostic layoutError(Plan plan, String msg, String note, String help) {
        return Diagnostic.of(EmitCodes.VLLM_NODE_LAYOUT, plan.spanOf(PlanPaths.PARALLEL), msg).note(note).help(help).build();
    }

    /** Flags every node shares (also the keys of vllm/config.yaml), in a fixed order. */
    static List<Arg> common(EmitInput in, List<Diagnostic> diags) {
        Plan plan = in.plan();
        Parallel par = plan.parallel();
        EngineArgs ea = args(in);
        Deployment dep = in.deployment();
        List<Arg> a = new ArrayList<>();
        if (dep.servedName() != null) a.add(arg(ea.flag("served_model_name"), dep.servedName()));
        a.add(arg(ea.flag("tensor_parallel_size"), par.tp()));
        a.add(arg(ea.flag("pipeline_parallel_size"), par.pp()));
        if (par.dp() > 1 && ea.hasFlag("data_parallel_size")) a.add(arg(ea.flag("data_parallel_size"), par.dp()));
        if (par.ep() > 1 && ea.hasFlag("enable_expert_parallel")) a.add(new Arg(ea.flag("enable_expert_parallel"), null));
        a.addAll(ea.settings());
        String parser = Shapes.reasoningParser(in, ea, diags);
        if (parser != null) {
            if (ea.hasFlag("enable_reasoning")) a.add(new Arg(ea.flag("enable_reasoning"), null));
            a.add(arg(ea.flag("reasoning_parser"), parser));
        }
        String tools = Shapes.toolParser(in, ea, diags);
        if (tools != null) {
            a.add(new Arg(ea.flag("enable_auto_tool_choice"), null));
            a.add(arg(ea.flag("tool_call_parser"), tools));
        }
        a.add(arg(ea.flag("host"), "0.0.0.0"));
        a.add(arg(ea.flag("port"), dep.port(ea.cfg().spec())));
        return a;
    }

    /** Per-node flags for the mp multi-node mode (--nnodes/--node-rank/--master-addr, --headless on workers). */
    static List<Arg> mpNode(EmitInput in, int node, Site site) {
        EngineArgs ea = args(in);
        int port = in.deployment().masterPort(MASTER_PORT);
        List<Arg> a = new ArrayList<>();
        a.add(arg(ea.flag("nnodes"), in.layout().nodes()));
        a.add(new Arg(ea.flag("node_rank"), site.nodeIndex(node)));
        a.add(new Arg(ea.flag("master_addr"), site.headAddr()));
        a.add(arg(ea.flag("master_port"), port));
        if (node > 0) a.add(new Arg(ea.flag("headless"), null));
        return a;
    }

    /** Per-node flags for DP across nodes: local DP size, start rank (workers), the head's DP address. */
    static List<Arg> dpNode(EmitInput in, int node, Site site) {
        EngineArgs ea = args(in);
        RankLayout l = in.layout();
        int port = in.deployment().masterPort(DP_RPC_PORT);
        List<Arg> a = new ArrayList<>();
        if (site.kubernetes() && node > 0) {
            // Every worker pod runs the same template: its local size and start rank come from its index.
            int per = l.replicasOnNode(0).size();
            int dp = in.plan().parallel().dp();
            String idx = ((Val.Env) site.workerIndex()).var();
            a.add(new Arg(ea.flag("data_parallel_size_local"),
                    new Val.Arith(dp + " - " + idx + " * " + per + " < " + per + " ? " + dp + " - " + idx + " * " + per + " : " + per)));
            a.add(new Arg(ea.flag("data_parallel_start_rank"), new Val.Arith(idx + " * " + per)));
        } else {
            List<Integer> reps = l.replicasOnNode(node);
            a.add(arg(ea.flag("data_parallel_size_local"), reps.size()));
            if (node > 0) a.add(arg(ea.flag("data_parallel_start_rank"), reps.get(0)));
        }
        a.add(new Arg(ea.flag("data_parallel_address"), site.headAddr()));
        a.add(arg(ea.flag("data_parallel_rpc_port"), port));
        if (node > 0) a.add(new Arg(ea.flag("headless"), null));
        return a;
    }

    /** The serve command: model, either the config file or the shared flags inline, then node flags. */
    static Command serve(EmitInput in, Val config, List<Arg> shared, List<Arg> nodeArgs) {
        Command.Builder b = Command.of("vllm", "serve").positional(Val.lit(in.deployment().modelPath()));
        if (config != null) b.opt(args(in).flag("config"), config);
        else b.addAll(shared);
        return b.addAll(nodeArgs).build();
    }

    /** Environment each node needs: visible GPUs, the PP layer split, the socket interface. */
    static List<String[]> env(EmitInput in, int node, boolean kubernetes) {
        List<String[]> env = new ArrayList<>();
        String vis = kubernetes ? null : Shapes.visibleDevices(in, node);
        if (vis != null) env.add(new String[] {"CUDA_VISIBLE_DEVICES", vis});
        String part = Shapes.layerPartition(in.plan());
        if (part != null) env.add(new String[] {"VLLM_PP_LAYER_PARTITION", part});
        env.addAll(args(in).env());
        String nic = in.deployment().network();
        if (nic != null) {
            env.add(new String[] {"GLOO_SOCKET_IFNAME", nic});
            env.add(new String[] {"NCCL_SOCKET_IFNAME", nic});
        }
        return env;
    }

    static Arg arg(String flag, Object literal) {
        return new Arg(flag, Val.lit(literal));
    }
}
