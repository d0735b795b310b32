package dev.shardplan.emit;

import dev.shardplan.model.PlanPaths;
import dev.shardplan.layout.Rank;
import dev.shardplan.diag.Diagnostic;
import dev.shardplan.emit.Command.Arg;
import dev.shardplan.emit.Command.Val;
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
    /** The heredoc delimiter that writes the options file inside a pod or a Slurm task (the YAML never contains it). */
    static final String OPTIONS_DELIMITER = "SHARDPLAN_LLM_API_OPTIONS";

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
        int base = in.deployment().port(args(in).cfg().spec());
        List<Server> out = new ArrayList<>();
        int count = d.attentionDp() ? 1 : p.dp();
        // One pass over the ranks (a plan can hold 100,000 replicas): rank r belongs to server r.dp(), or to the one server.
        List<Map<Integer, Integer>> perNode = new ArrayList<>(count);
        List<TreeSet<Integer>> replicas = new ArrayList<>(count);
        for (int s = 0; s < count; s++) {
            perNode.add(new LinkedHashMap<>());
            replicas.add(new TreeSet<>());
        }
        for (Rank r : in.layout().ranks()) {
            int s = count > 1 ? r.dp() : 0;
            if (s < 0 || s >= count) continue;
            replicas.get(s).add(r.dp());
            perNode.get(s).merge(Math.max(0, r.node()), 1, Integer::sum);
        }
        for (int s = 0; s < count; s++) {
            out.add(new Server(s, List.copyOf(replicas.get(s)), List.copyOf(new TreeSet<>(perNode.get(s).keySet())), perNode.get(s), base + s));
        }
        return out;
    }

    static List<Diagnostic> check(EmitInput in) {
        Plan plan = in.plan();
        Parallel p = plan.parallel();
        List<Diagnostic> out = new ArrayList<>();
        Degrees d = degrees(plan);
        if (d.attentionDp() && p.tp() != 1) {
            out.add(Diagnostic.of(EmitCodes.TRTLLM_ATTENTION_DP, plan.spanOf(PlanPaths.PARALLEL_TP),
                            "trtllm: attention DP needs tp 1 per DP rank, the plan has dp " + p.dp() + " × tp " + p.tp())
                    .note("tensorrt_llm/mapping.py: dp_size = tp_size if enable_attention_dp, and attention runs with tp 1; "
                            + "attn_tp_size × attn_cp_size must equal tp_size × cp_size")
                    .help("use dp " + p.dp() * p.tp() + " and tp 1 with dp_attention, or drop dp_attention")
                    .build());
        }
        if (d.ep() > 1 && d.tp() % d.ep() != 0) {
            out.add(Diagnostic.of(EmitCodes.TRTLLM_EP_SIZE, plan.spanOf(PlanPaths.PARALLEL_EP),
                            "trtllm: ep " + d.ep() + " does not divide tp_size " + d.tp())
                    .note("tensorrt_llm/mapping.py: moe_tp_size × moe_ep_size × moe_cluster_size must equal tp_size "
                            + "(moe_tp = " + d.tp() + " / " + d.ep() + " is not whole)")
                    .help("use an ep that divides " + d.tp())
                    .build());
        }
        if (d.ep() > 1 && plan.model().isMoe() && plan.model().moe().experts() % d.ep() != 0) {
            int e = plan.model().moe().experts();
            out.add(Diagnostic.of(EmitCodes.TRTLLM_EXPERTS, plan.spanOf(PlanPaths.PARALLEL_EP),
                            "trtllm: " + e + " routed experts do not divide over ep " + d.ep())
                    .note("TRT-LLM asserts num_experts % ep_size == 0 without an EPLB load balancer "
                            + "(_torch/modules/fused_moe, launchers.md §3.4)")
                    .help("use an ep that divides " + e)
                    .build());
        }
        Deployment dep = in.deployment();
        EngineArgs ea = args(in);
        if (dep.servedName() != null && !ea.hasFlag("served_model_name")) {
            out.add(Diagnostic.of(EmitCodes.NOT_CARRIED, plan.spanOf(PlanPaths.DEPLOY_SERVED_NAME),
                            "trtllm: the served model name is not passed: " + ea.cfg().release().label() + "'s trtllm-serve has no --served_model_name")
                    .note("clients address the model by its path, " + dep.modelPath())
                    .help("remove served_name from the deploy block, or use another engine").build());
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
                out.add(Diagnostic.of(EmitCodes.TRTLLM_WORLD_SIZE, in.plan().spanOf(PlanPaths.PARALLEL),
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

    static EngineArgs args(EmitInput in) {
        return EngineArgs.of(in, EngineKind.TRTLLM);
    }

    /** The LLM-API options file: the degrees, then every setting the plan wrote or the workload implies, by its key path. */
    static Map<String, Object> options(EmitInput in) {
        Plan plan = in.plan();
        Degrees d = degrees(plan);
        EngineArgs ea = args(in);
        Map<String, Object> t = new LinkedHashMap<>();
        t.put("tensor_parallel_size", d.tp());
        t.put("pipeline_parallel_size", d.pp());
        if (d.ep() > 1) t.put("moe_expert_parallel_size", d.ep());
        if (d.attentionDp()) t.put("enable_attention_dp", true);
        for (var e : ea.cfg().values()) {
            var s = e.setting();
            if (!EngineArgs.written(e) || s.configKey() == null || s.off(e.value())) continue;
            Object v = s.configObject() ? (e.bool() ? new LinkedHashMap<String, Object>() : null)
                    : s.kind() == dev.shardplan.engine.Kind.SIZE ? s.inUnits(e.value()) : e.value();
            // Fixed siblings first (speculative_config.decoding_type before its layer count).
            String parent = s.configKey().contains(".") ? s.configKey().substring(0, s.configKey().lastIndexOf('.') + 1) : "";
            for (var f : s.jsonFixed().entrySet()) put(t, parent + f.getKey(), f.getValue());
            put(t, s.configKey(), v);
        }
        if (!plan.parallel().layerSplit().isEmpty()) t.put("pp_partition", List.copyOf(plan.parallel().layerSplit()));
        return t;
    }

    /** The options file as YAML text. */
    static String optionsText(EmitInput in) {
        return Yaml.document(List.of(), options(in));
    }

    /**
     * Shell lines that write the options file to {@code path} where a launch has no file of its own
     * (a pod, a Slurm task): a quoted heredoc, so nothing in it is expanded.
     */
    static List<String> writeOptions(EmitInput in, String path) {
        List<String> lines = new ArrayList<>();
        lines.add("cat > " + path + " <<'" + OPTIONS_DELIMITER + "'");
        for (String l : optionsText(in).split("\n")) if (!l.isEmpty()) lines.add(l);
        lines.add(OPTIONS_DELIMITER);
        return lines;
    }

    @SuppressWarnings("unchecked")
    private static void put(Map<String, Object> tree, String path, Object v) {
        int dot = path.indexOf('.');
        if (dot < 0) {
            tree.put(path, v);
            return;
        }
        Map<String, Object> sub = (Map<String, Object>) tree.computeIfAbsent(path.substring(0, dot), k -> new LinkedHashMap<String, Object>());
        put(sub, path.substring(dot + 1), v);
    }

    /** The trtllm-serve command of one server. */
    static Command serve(EmitInput in, Server s, Val options, List<Diagnostic> diags) {
        Plan plan = in.plan();
        Degrees d = degrees(plan);
        Deployment dep = in.deployment();
        EngineArgs ea = args(in);
        Command.Builder b = Command.of("trtllm-serve").positional(Val.lit(dep.modelPath()));
        if (options != null) b.opt(ea.flag("config"), options);
        b.opt(ea.flag("tp_size"), d.tp()).opt(ea.flag("pp_size"), d.pp());
        if (d.ep() > 1) b.opt(ea.flag("ep_size"), d.ep());
        b.addAll(ea.settings());
        String parser = Shapes.reasoningParser(in, ea, diags);
        if (parser != null) b.opt(ea.flag("reasoning_parser"), parser);
        String tools = Shapes.toolParser(in, ea, diags);
        if (tools != null) b.opt(ea.flag("tool_call_parser"), tools);
        if (dep.servedName() != null && ea.hasFlag("served_model_name")) b.opt(ea.flag("served_model_name"), dep.servedName());
        b.opt(ea.flag("host"), "0.0.0.0").opt(ea.flag("port"), s.port());
        return b.build();
    }

    /** CUDA_VISIBLE_DEVICES of a one-node server: its ranks' GPUs in rank order, when not the whole node. */
    static String visibleDevices(EmitInput in, Server s) {
        List<Integer> gpus = new ArrayList<>();
        for (Rank r : in.layout().ranks()) if (s.replicas().contains(r.dp())) gpus.add(Math.max(0, r.localGpu()));
        boolean identity = gpus.size() == in.gpusPerNode();
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
