package dev.shardplan.emit;

import dev.shardplan.diag.Diagnostic;
import dev.shardplan.emit.Command.Arg;
import dev.shardplan.emit.Command.Val;
import dev.shardplan.model.DType;
import dev.shardplan.model.Parallel;
import dev.shardplan.model.Plan;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * How a plan is started with {@code vllm serve}: the flags every node shares, the per-node flags
 * of each multi-node mode, and the rules vLLM enforces (launchers.md §1).
 */
final class VllmLaunch {
    /** vLLM's default mp master port (ParallelConfig.master_port, vllm/config/parallel.py). */
    static final int MASTER_PORT = 29501;
    /** The DP RPC port used by vLLM's data_parallel_deployment.md examples. */
    static final int DP_RPC_PORT = 13345;
    static final int RAY_PORT = 6379;
    /** CacheConfig.block_size Literal (vllm/config/cache.py @c1d86421). */
    static final Set<Integer> BLOCK_SIZES = Set.of(1, 8, 16, 32, 64, 128, 256);

    enum Mode {
        /** Everything on one node; DP, if any, runs inside one vllm serve. */
        SINGLE,
        /** One replica over several nodes (TP × PP larger than a node). */
        MULTI_NODE,
        /** DP replicas spread over nodes, each node holding whole replicas. */
        DP_NODES
    }

    private VllmLaunch() {}

    static Mode mode(EmitInput in) {
        if (in.layout().nodes() <= 1) return Mode.SINGLE;
        return in.plan().parallel().dp() == 1 ? Mode.MULTI_NODE : Mode.DP_NODES;
    }

    static List<Diagnostic> check(EmitInput in) {
        List<Diagnostic> out = new ArrayList<>();
        Plan plan = in.plan();
        Parallel par = plan.parallel();
        if (par.ep() > 1 && par.ep() != par.tp() * par.dp()) {
            out.add(Diagnostic.of(EmitCodes.VLLM_EP_SIZE, plan.spanOf("parallel.ep"),
                            "vllm: expert-parallel size must be tp × dp = " + par.tp() * par.dp() + ", the plan has ep " + par.ep())
                    .note("vLLM has no EP-size flag: --enable-expert-parallel makes the MoE layers use EP over the "
                            + "tp × dp ranks of a stage (" + par.tp() + " × " + par.dp() + ")")
                    .note("rule source: vllm/config/parallel.py (ParallelConfig.enable_expert_parallel), launchers.md §1.1, §6.4")
                    .help("set ep " + par.tp() * par.dp() + ", or change dp/tp so that tp × dp = " + par.ep())
                    .build());
        }
        String kv = kvDtype(plan);
        if (kv == null) {
            out.add(Diagnostic.of(EmitCodes.VLLM_KV_DTYPE, plan.spanOf("engine.kv_dtype"),
                            "vllm: kv cache dtype " + plan.kvDtype().id() + " is not accepted")
                    .note("--kv-cache-dtype accepts auto, bfloat16, fp8, fp8_e4m3, fp8_e5m2 (vllm/config/cache.py)")
                    .help("use kv_dtype fp8 or the model's own dtype")
                    .build());
        }
        int block = plan.engine().blockSize();
        if (block > 0 && plan.engine().kind() == dev.shardplan.model.EngineKind.VLLM && !BLOCK_SIZES.contains(block)) {
            out.add(Diagnostic.of(EmitCodes.VLLM_BLOCK_SIZE, plan.spanOf("engine.block_size"),
                            "vllm: block size " + block + " is not accepted")
                    .note("--block-size is one of 1, 8, 16, 32, 64, 128, 256 (CacheConfig.block_size, vllm/config/cache.py @c1d86421)")
                    .help("use block_size 16 (the CUDA default) or another accepted size")
                    .build());
        }
        Layout l = in.layout();
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

    private static Diagnostic layoutError(Plan plan, String msg, String note, String help) {
        return Diagnostic.of(EmitCodes.VLLM_NODE_LAYOUT, plan.spanOf("parallel"), msg).note(note).help(help).build();
    }

    /** --kv-cache-dtype, or null when vLLM has no spelling for the plan's KV dtype. */
    static String kvDtype(Plan plan) {
        if (Shapes.kvIsModelDtype(plan)) return "auto";
        DType kv = plan.kvDtype();
        if (kv == DType.FP8) return "fp8";
        if (kv == DType.BF16) return "bfloat16";
        return null;
    }

    /** Flags every node shares (also the keys of vllm/config.yaml), in a fixed order. */
    static List<Arg> common(EmitInput in, List<Diagnostic> diags) {
        Plan plan = in.plan();
        Parallel par = plan.parallel();
        var e = plan.engine();
        Deployment dep = in.deployment();
        List<Arg> a = new ArrayList<>();
        if (dep.servedName() != null) a.add(arg("--served-model-name", dep.servedName()));
        a.add(arg("--tensor-parallel-size", par.tp()));
        a.add(arg("--pipeline-parallel-size", par.pp()));
        if (par.dp() > 1) a.add(arg("--data-parallel-size", par.dp()));
        if (par.ep() > 1) a.add(new Arg("--enable-expert-parallel", null));
        a.add(arg("--max-model-len", plan.maxModelLen()));
        if (e.maxNumSeqs() > 0) a.add(arg("--max-num-seqs", e.maxNumSeqs()));
        if (e.maxNumBatchedTokens() > 0) a.add(arg("--max-num-batched-tokens", e.maxNumBatchedTokens()));
        a.add(arg("--gpu-memory-utilization", Shapes.vllmUtilization(in)));
        String kv = kvDtype(plan);
        if (kv != null) a.add(arg("--kv-cache-dtype", kv));
        // The plan's block size is in its own engine's terms; other engines keep their default.
        if (e.blockSize() > 0 && e.kind() == dev.shardplan.model.EngineKind.VLLM) a.add(arg("--block-size", e.blockSize()));
        a.add(new Arg(e.prefixCaching() ? "--enable-prefix-caching" : "--no-enable-prefix-caching", null));
        a.add(new Arg(e.chunkedPrefill() ? "--enable-chunked-prefill" : "--no-enable-chunked-prefill", null));
        if (!e.cudaGraphs()) a.add(new Arg("--enforce-eager", null));
        String parser = Shapes.reasoningParser(plan, "vllm", diags);
        if (parser != null) a.add(arg("--reasoning-parser", parser));
        a.add(arg("--host", "0.0.0.0"));
        a.add(arg("--port", dep.port(dev.shardplan.model.EngineKind.VLLM)));
        return a;
    }

    /** Per-node flags for the mp multi-node mode (--nnodes/--node-rank/--master-addr, --headless on workers). */
    static List<Arg> mpNode(EmitInput in, int node, Site site) {
        int port = in.deployment().masterPort(MASTER_PORT);
        List<Arg> a = new ArrayList<>();
        a.add(arg("--nnodes", in.layout().nodes()));
        a.add(new Arg("--node-rank", site.nodeIndex(node)));
        a.add(new Arg("--master-addr", site.headAddr()));
        a.add(arg("--master-port", port));
        if (node > 0) a.add(new Arg("--headless", null));
        return a;
    }

    /** Per-node flags for DP across nodes: local DP size, start rank (workers), the head's DP address. */
    static List<Arg> dpNode(EmitInput in, int node, Site site) {
        Layout l = in.layout();
        int port = in.deployment().masterPort(DP_RPC_PORT);
        List<Arg> a = new ArrayList<>();
        if (site.kubernetes() && node > 0) {
            // Every worker pod runs the same template: its local size and start rank come from its index.
            int per = l.replicasOnNode(0).size();
            int dp = in.plan().parallel().dp();
            String idx = ((Val.Env) site.workerIndex()).var();
            a.add(new Arg("--data-parallel-size-local",
                    new Val.Arith(dp + " - " + idx + " * " + per + " < " + per + " ? " + dp + " - " + idx + " * " + per + " : " + per)));
            a.add(new Arg("--data-parallel-start-rank", new Val.Arith(idx + " * " + per)));
        } else {
            List<Integer> reps = l.replicasOnNode(node);
            a.add(arg("--data-parallel-size-local", reps.size()));
            if (node > 0) a.add(arg("--data-parallel-start-rank", reps.get(0)));
        }
        a.add(new Arg("--data-parallel-address", site.headAddr()));
        a.add(arg("--data-parallel-rpc-port", port));
        if (node > 0) a.add(new Arg("--headless", null));
        return a;
    }

    /** The serve command: model, either the config file or the shared flags inline, then node flags. */
    static Command serve(EmitInput in, Val config, List<Arg> shared, List<Arg> nodeArgs) {
        Command.Builder b = Command.of("vllm", "serve").positional(Val.lit(in.deployment().modelPath()));
        if (config != null) b.opt("--config", config);
        else b.addAll(shared);
        return b.addAll(nodeArgs).build();
    }

    /** Environment each node needs: visible GPUs, the PP layer split, the socket interface. */
    static List<String[]> env(EmitInput in, int node, boolean kubernetes) {
        List<String[]> env = new ArrayList<>();
        String vis = kubernetes ? null : Shapes.visibleDevices(in.layout(), node);
        if (vis != null) env.add(new String[] {"CUDA_VISIBLE_DEVICES", vis});
        String part = Shapes.layerPartition(in.plan());
        if (part != null) env.add(new String[] {"VLLM_PP_LAYER_PARTITION", part});
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
