package dev.shardplan.emit;

import dev.shardplan.diag.Diagnostic;
import dev.shardplan.emit.Command.Arg;
import dev.shardplan.emit.Command.Val;
import dev.shardplan.model.DType;
import dev.shardplan.model.EngineKind;
import dev.shardplan.model.Parallel;
import dev.shardplan.model.Plan;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

/**
 * How a plan is started with {@code trtllm-serve} (launchers.md §3). TRT-LLM has no DP flag: with
 * attention DP its tp_size counts every GPU (dp = tp_size, attention tp 1); otherwise each DP
 * replica is its own server. One server's MPI world is exactly its tp × pp ranks.
 */
final class TrtllmLaunch {
    static final String OPTIONS = "extra-llm-api-options.yaml";

    record Degrees(int tp, int pp, int ep, boolean attentionDp) {}

    /** One trtllm-serve: the DP replicas it serves, the nodes it runs on, its ranks per node, its port. */
    record Server(int index, List<Integer> replicas, List<Integer> nodes, Map<Integer, Integer> ranksPerNode, int port) {
        int ranks() {
            int n = 0;
            for (int r : ranksPerNode.values()) n += r;
            return n;
        }
    }

    private TrtllmLaunch() {}

    static Degrees degrees(Plan plan) {
        Parallel p = plan.parallel();
        boolean adp = p.dpAttention() && p.dp() > 1;
        return new Degrees(adp ? p.dp() * p.tp() : p.tp(), p.pp(), Math.max(1, p.ep()), adp);
    }

    static List<Server> servers(EmitInput in) {
        Parallel p = in.plan().parallel();
        Degrees d = degrees(in.plan());
        int base = in.deployment().port(EngineKind.TRTLLM);
        List<Server> out = new ArrayList<>();
        int count = d.attentionDp() ? 1 : p.dp();
        for (int s = 0; s < count; s++) {
            Map<Integer, Integer> perNode = new LinkedHashMap<>();
            TreeSet<Integer> replicas = new TreeSet<>();
            for (Layout.Rank r : in.layout().ranks()) {
                if (count > 1 && r.dp() != s) continue;
                replicas.add(r.dp());
                perNode.merge(r.node(), 1, Integer::sum);
            }
            out.add(new Server(s, List.copyOf(replicas), List.copyOf(new TreeSet<>(perNode.keySet())), perNode, base + s));
        }
        return out;
    }

    static List<Diagnostic> check(EmitInput in) {
        Plan plan = in.plan();
        Parallel p = plan.parallel();
        List<Diagnostic> out = new ArrayList<>();
        Degrees d = degrees(plan);
        if (d.attentionDp() && p.tp() != 1) {
            out.add(Diagnostic.of(EmitCodes.TRTLLM_ATTENTION_DP, plan.spanOf("parallel.tp"),
                            "trtllm: attention DP needs tp 1 per DP rank, the plan has dp " + p.dp() + " × tp " + p.tp())
                    .note("tensorrt_llm/mapping.py: dp_size = tp_size if enable_attention_dp, and attention runs with tp 1; "
                            + "attn_tp_size × attn_cp_size must equal tp_size × cp_size")
                    .help("use dp " + p.dp() * p.tp() + " and tp 1 with dp_attention, or drop dp_attention")
                    .build());
        }
        if (d.ep() > 1 && d.tp() % d.ep() != 0) {
            out.add(Diagnostic.of(EmitCodes.TRTLLM_EP_SIZE, plan.spanOf("parallel.ep"),
                            "trtllm: ep " + d.ep() + " does not divide tp_size " + d.tp())
                    .note("tensorrt_llm/mapping.py: moe_tp_size × moe_ep_size × moe_cluster_size must equal tp_size "
                            + "(moe_tp = " + d.tp() + " / " + d.ep() + " is not whole)")
                    .help("use an ep that divides " + d.tp())
                    .build());
        }
        if (d.ep() > 1 && plan.model().isMoe() && plan.model().moe().experts() % d.ep() != 0) {
            int e = plan.model().moe().experts();
            out.add(Diagnostic.of(EmitCodes.TRTLLM_EXPERTS, plan.spanOf("parallel.ep"),
                            "trtllm: " + e + " routed experts do not divide over ep " + d.ep())
                    .note("TRT-LLM asserts num_experts % ep_size == 0 without an EPLB load balancer "
                            + "(_torch/modules/fused_moe, launchers.md §3.4)")
                    .help("use an ep that divides " + e)
                    .build());
        }
        if (kvDtype(plan) == null) {
            out.add(Diagnostic.of(EmitCodes.TRTLLM_KV_DTYPE, plan.spanOf("engine.kv_dtype"),
                            "trtllm: kv cache dtype " + plan.kvDtype().id() + " is not accepted")
                    .note("--kv_cache_dtype accepts auto, fp8, nvfp4 (trtllm_serve_cli.yaml @029e223d)")
                    .help("use kv_dtype fp8, fp4 or the model's own dtype")
                    .build());
        }
        return out;
    }

    /**
     * An MPI launch that starts a fixed number of tasks on every node (srun --ntasks-per-node) gives
     * a server exactly tp × pp ranks only when they split evenly over its nodes.
     */
    static List<Diagnostic> checkEvenTasks(EmitInput in, String target) {
        List<Diagnostic> out = new ArrayList<>();
        Degrees d = degrees(in.plan());
        for (Server s : servers(in)) {
            if (s.nodes().size() <= 1) continue;
            int first = s.ranksPerNode().get(s.nodes().get(0));
            boolean even = s.ranksPerNode().values().stream().allMatch(x -> x == first);
            if (!even) {
                out.add(Diagnostic.of(EmitCodes.TRTLLM_WORLD_SIZE, in.plan().spanOf("parallel"),
                                target + "/trtllm: " + d.tp() * d.pp() + " ranks (tp " + d.tp() + " × pp " + d.pp()
                                        + ") do not split evenly over " + s.nodes().size() + " nodes " + s.ranksPerNode())
                        .note("the MPI world must equal the model world tp × pp (examples/llm-api/llm_mgmn_trtllm_serve.sh), "
                                + "and srun starts the same --ntasks-per-node on every node")
                        .help("choose tp × pp as a multiple of the GPUs per node, or place ranks evenly")
                        .build());
            }
        }
        return out;
    }

    static String kvDtype(Plan plan) {
        if (Shapes.kvIsModelDtype(plan)) return "auto";
        if (plan.kvDtype() == DType.FP8) return "fp8";
        if (plan.kvDtype() == DType.FP4) return "nvfp4";
        return null;
    }

    /** The LLM-API options file (llm_args.py field names; nested configs as maps). */
    static Map<String, Object> options(EmitInput in) {
        Plan plan = in.plan();
        var e = plan.engine();
        Degrees d = degrees(plan);
        Map<String, Object> t = new LinkedHashMap<>();
        t.put("tensor_parallel_size", d.tp());
        t.put("pipeline_parallel_size", d.pp());
        if (d.ep() > 1) t.put("moe_expert_parallel_size", d.ep());
        if (d.attentionDp()) t.put("enable_attention_dp", true);
        if (e.maxNumSeqs() > 0) t.put("max_batch_size", e.maxNumSeqs());
        if (e.maxNumBatchedTokens() > 0) t.put("max_num_tokens", e.maxNumBatchedTokens());
        t.put("max_seq_len", plan.maxModelLen());
        t.put("enable_chunked_prefill", e.chunkedPrefill());
        Map<String, Object> kv = new LinkedHashMap<>();
        kv.put("free_gpu_memory_fraction", Shapes.trtllmFree(in));
        String dtype = kvDtype(plan);
        if (dtype != null) kv.put("dtype", dtype);
        kv.put("enable_block_reuse", e.prefixCaching());
        if (e.blockSize() > 0 && e.kind() == EngineKind.TRTLLM) kv.put("tokens_per_block", e.blockSize());
        t.put("kv_cache_config", kv);
        if (e.cudaGraphs()) {
            Map<String, Object> cg = new LinkedHashMap<>();
            cg.put("enable_padding", true);
            t.put("cuda_graph_config", cg);
        } else {
            t.put("cuda_graph_config", null);
        }
        if (!plan.parallel().layerSplit().isEmpty()) t.put("pp_partition", List.copyOf(plan.parallel().layerSplit()));
        return t;
    }

    /** The trtllm-serve command of one server. */
    static Command serve(EmitInput in, Server s, Val options, List<Diagnostic> diags) {
        Plan plan = in.plan();
        var e = plan.engine();
        Degrees d = degrees(plan);
        Deployment dep = in.deployment();
        Command.Builder b = Command.of("trtllm-serve").positional(Val.lit(dep.modelPath()));
        if (options != null) b.opt("--config", options);
        b.opt("--tp_size", d.tp()).opt("--pp_size", d.pp());
        if (d.ep() > 1) b.opt("--ep_size", d.ep());
        if (d.attentionDp()) b.flag("--enable_attention_dp");
        if (e.maxNumSeqs() > 0) b.opt("--max_batch_size", e.maxNumSeqs());
        if (e.maxNumBatchedTokens() > 0) b.opt("--max_num_tokens", e.maxNumBatchedTokens());
        b.opt("--max_seq_len", plan.maxModelLen());
        b.opt("--kv_cache_free_gpu_memory_fraction", Shapes.trtllmFree(in));
        String kv = kvDtype(plan);
        if (kv != null) b.opt("--kv_cache_dtype", kv);
        String parser = Shapes.reasoningParser(plan, "trtllm", diags);
        if (parser != null) b.opt("--reasoning_parser", parser);
        if (dep.servedName() != null) b.opt("--served_model_name", dep.servedName());
        b.opt("--host", "0.0.0.0").opt("--port", s.port());
        return b.build();
    }

    /** CUDA_VISIBLE_DEVICES of a one-node server: its ranks' GPUs in rank order, when not the whole node. */
    static String visibleDevices(EmitInput in, Server s) {
        List<Integer> gpus = new ArrayList<>();
        for (Layout.Rank r : in.layout().ranks()) if (s.replicas().contains(r.dp())) gpus.add(r.localGpu());
        boolean identity = gpus.size() == in.layout().gpusPerNode();
        for (int i = 0; i < gpus.size() && identity; i++) identity = gpus.get(i) == i;
        if (identity) return null;
        StringBuilder b = new StringBuilder();
        for (int g : gpus) b.append(b.length() > 0 ? "," : "").append(g);
        return b.toString();
    }

    static List<String[]> env(EmitInput in) {
        List<String[]> env = new ArrayList<>();
        String nic = in.deployment().network();
        if (nic != null) {
            env.add(new String[] {"GLOO_SOCKET_IFNAME", nic});
            env.add(new String[] {"NCCL_SOCKET_IFNAME", nic});
        }
        return env;
    }
}
