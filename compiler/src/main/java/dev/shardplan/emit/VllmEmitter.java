package dev.shardplan.emit;

import dev.shardplan.layout.RankLayout;
import dev.shardplan.diag.Diagnostic;
import dev.shardplan.emit.Command.Arg;
import dev.shardplan.emit.Command.Val;
import dev.shardplan.model.Target;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * vllm/: config.yaml (the flags every node shares, as vLLM's --config file) and one start script
 * per node: node0.sh on one node; mp/ (vLLM's native --nnodes mode) and ray/ variants for a
 * replica that spans nodes; node&lt;i&gt;.sh with --data-parallel-* flags for DP across nodes; for a
 * disaggregated plan one script per pool instance ({@link VllmPools}).
 */
public final class VllmEmitter implements Emitter {
    @Override
    public Target target() {
        return Target.VLLM;
    }

    @Override
    public boolean launchesPools() {
        return true;
    }

    @Override
    public List<Diagnostic> check(EmitInput in) {
        if (in.plan().disaggregated()) return VllmPools.check(in);
        List<Diagnostic> out = new ArrayList<>(VllmLaunch.check(in));
        VllmLaunch.common(in, out);
        return out;
    }

    @Override
    public List<OutputFile> emit(EmitInput in) {
        if (in.plan().disaggregated()) return VllmPools.emit(in);
        List<Arg> shared = VllmLaunch.common(in, new ArrayList<>());
        List<OutputFile> files = new ArrayList<>();
        files.add(OutputFile.text("vllm/config.yaml", config(in, shared)));
        RankLayout l = in.layout();
        switch (VllmLaunch.mode(in)) {
            case SINGLE -> files.add(OutputFile.script("vllm/node0.sh",
                    script(in, "vLLM on one node", 0, false, List.of(), "")));
            case MULTI_NODE -> {
                // Releases without --nnodes span nodes with Ray only.
                boolean mp = VllmLaunch.nativeMultiNode(in);
                for (int n = 0; n < l.nodes(); n++) {
                    if (mp) files.add(OutputFile.script("vllm/mp/node" + n + ".sh",
                            script(in, "vLLM multi-node (mp, --nnodes): node " + n + " of " + l.nodes(), n, true,
                                    VllmLaunch.mpNode(in, n, Site.SCRIPT), "/..")));
                    files.add(OutputFile.script("vllm/ray/node" + n + ".sh", ray(in, n)));
                }
            }
            case DP_NODES -> {
                for (int n = 0; n < l.nodes(); n++) {
                    files.add(OutputFile.script("vllm/node" + n + ".sh",
                            script(in, "vLLM data parallel across nodes: node " + n + " of " + l.nodes()
                                            + " (DP ranks " + l.replicasOnNode(n) + ")", n, true,
                                    VllmLaunch.dpNode(in, n, Site.SCRIPT), "")));
                }
            }
        }
        return files;
    }

    private static String config(EmitInput in, List<Arg> shared) {
        Map<String, Object> tree = new LinkedHashMap<>();
        tree.put("model", in.deployment().modelPath());
        for (Arg a : shared) {
            Object v = a.value() == null ? Boolean.TRUE : ((Val.Lit) a.value()).value();
            tree.put(a.flag().substring(2), v);
        }
        EngineArgs ea = VllmLaunch.args(in);
        List<String> comments = new ArrayList<>(List.of("vLLM --config file: the flags every node shares (vllm serve --config config.yaml).",
                Header.generated(in),
                "Engine: " + ea.cfg().release().label() + " (image " + ea.cfg().release().image() + ")."));
        comments.addAll(ea.comments());
        return Yaml.document(comments, tree);
    }

    private static String script(EmitInput in, String title, int node, boolean multi, List<Arg> nodeArgs, String up) {
        List<String> setup = new ArrayList<>();
        setup.add(Scripts.SCRIPT_DIR);
        if (multi) setup.add(Scripts.headAddr(in));
        Command serve = VllmLaunch.serve(in, new Val.Env("SCRIPT_DIR", up + "/config.yaml"), List.of(), nodeArgs);
        return Scripts.render(Scripts.header(in, title, VllmLaunch.args(in)), setup, VllmLaunch.env(in, node, false), List.of(serve));
    }

    /** Waits (printing progress) until the Ray cluster has argv[1] GPUs; ray ships with vLLM. */
    static final String WAIT_FOR_GPUS = "import sys, time, ray; ray.init(address=\"auto\", logging_level=\"ERROR\"); "
            + "n = int(sys.argv[1]); "
            + "[(print(f\"waiting for {n} GPUs in the Ray cluster\", flush=True), time.sleep(5)) "
            + "for _ in iter(lambda: ray.cluster_resources().get(\"GPU\", 0) < n, False)]";

    /** Ray: the head starts the Ray cluster, waits for the workers' GPUs, then runs vllm serve with the Ray backend. */
    private static String ray(EmitInput in, int node) {
        RankLayout l = in.layout();
        // The head reads the shared config beside it; a worker only needs the head's address.
        List<String> setup = new ArrayList<>();
        setup.add(node == 0 ? Scripts.SCRIPT_DIR : Scripts.headAddr(in));
        List<Command> cmds = new ArrayList<>();
        String title;
        if (node == 0) {
            title = "vLLM multi-node (Ray): head node 0 of " + l.nodes() + "; start the workers in any order, it waits for their GPUs";
            cmds.add(Command.of("ray", "start").flag("--head").opt("--port", VllmLaunch.RAY_PORT).build());
            // vllm serve places all its ranks at once: wait until every node's GPUs have joined.
            cmds.add(Command.of("python3", "-c").positional(Val.lit(WAIT_FOR_GPUS))
                    .positional(Val.lit(String.valueOf(l.ranks().size()))).build());
            cmds.add(VllmLaunch.serve(in, new Val.Env("SCRIPT_DIR", "/../config.yaml"), List.of(),
                    List.of(new Arg("--distributed-executor-backend", Val.lit("ray")))));
        } else {
            title = "vLLM multi-node (Ray): worker node " + node + " of " + l.nodes() + "; joins the head's Ray cluster";
            cmds.add(Command.of("ray", "start").opt("--address", Site.SCRIPT.head(VllmLaunch.RAY_PORT)).flag("--block").build());
        }
        return Scripts.render(Scripts.header(in, title, VllmLaunch.args(in)), setup, VllmLaunch.env(in, node, false), cmds);
    }
}
