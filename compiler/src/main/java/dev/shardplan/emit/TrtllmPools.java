package dev.shardplan.emit;

import dev.shardplan.model.PlanPaths;
import dev.shardplan.diag.Diagnostic;
import dev.shardplan.emit.Command.Val;
import dev.shardplan.emit.TrtllmLaunch.Server;
import dev.shardplan.engine.KvConnectors;
import dev.shardplan.engine.Role;
import dev.shardplan.engine.Startup;
import dev.shardplan.engine.TrtllmDisagg;
import dev.shardplan.model.EngineKind;
import dev.shardplan.model.Pool;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

/**
 * trtllm/ for a disaggregated plan: TensorRT-LLM's disaggregated serving with separate servers.
 * Each pool's LLM-API options (prefill-options.yaml, decode-options.yaml) carry the pool's own
 * degrees and settings and {@code cache_transceiver_config} with the plan's connector; one
 * trtllm-serve script per pool instance (prefill&lt;i&gt;.sh, decode&lt;i&gt;.sh) starts it on its
 * node's GPUs; disagg.sh writes the disaggregated server's configuration (the context and
 * generation servers' URLs) and starts {@code trtllm-serve disaggregated} on it, the endpoint
 * clients call. The spellings are {@link TrtllmDisagg}'s.
 */
final class TrtllmPools {
    private TrtllmPools() {}

    static final String CONFIG_DELIMITER = "SHARDPLAN_DISAGG_CONFIG";

    static List<Diagnostic> check(EmitInput in) {
        List<Diagnostic> out = new ArrayList<>(PoolLaunch.check(in, "trtllm"));
        if (!out.isEmpty()) return out;
        if (in.engine().kind() != EngineKind.TRTLLM) {
            out.add(Diagnostic.of(EmitCodes.UNSUPPORTED, in.plan().spanOf(PlanPaths.EMIT),
                            "target `trtllm` cannot launch plan `" + in.plan().name() + "`, whose pools run " + in.engine().kind().id())
                    .note("a pool plan's KV connector is its engine's; another engine's pools are not translated")
                    .help("emit the `" + in.engine().kind().id() + "` target for this plan").build());
            return out;
        }
        var connector = KvConnectors.find(EngineKind.TRTLLM, in.plan().disagg().connector());
        if (connector.isEmpty() || !connector.get().in(in.engine().release())) {
            out.add(Diagnostic.of(EmitCodes.RELEASE_LACKS_FEATURE, in.plan().disagg().connectorSpan(),
                            "trtllm: " + in.engine().release().label() + " has no `" + in.plan().disagg().connector() + "` cache transceiver backend")
                    .help("use `connector " + String.join("` or `", KvConnectors.names(EngineKind.TRTLLM)) + "`").build());
            return out;
        }
        for (PoolLaunch.Instance i : PoolLaunch.instances(in)) {
            if (i.index() != 0) continue;
            EmitInput ii = i.input();
            List<Server> servers = TrtllmLaunch.servers(ii);
            if (servers.size() != 1) {
                Pool p = in.plan().disagg().pool(i.role());
                out.add(Diagnostic.of(EmitCodes.UNSUPPORTED, p.spanOf(PlanPaths.PARALLEL),
                                "trtllm: an instance of pool `" + i.role().id() + "` would be " + servers.size() + " trtllm-serve servers (dp "
                                        + ii.plan().parallel().dp() + " without attention DP)")
                        .note("the disaggregated server lists each context and generation server by its URL; a pool instance is one of them")
                        .help("use dp 1 and more `replicas`, or dp_attention (TensorRT-LLM's attention DP runs one server)").build());
                continue;
            }
            List<Diagnostic> own = new ArrayList<>(TrtllmLaunch.check(ii));
            own.addAll(Emit.recipes(ii));
            TrtllmLaunch.serve(ii, servers.get(0), null, own);
            out.addAll(own);
        }
        return out;
    }

    private static int port(EmitInput in, PoolLaunch.Instance i) {
        return i.port(in.deployment().port(TrtllmLaunch.args(i.input()).cfg().spec()));
    }

    /** The disaggregated server's port: above every instance's (the plan's port plus a local GPU index), so it may share any node. */
    static int serverPort(EmitInput in) {
        return in.deployment().port(in.engine().spec()) + in.plan().cluster().node().gpus();
    }

    static String optionsFile(Pool.Role role) {
        return role.id() + "-options.yaml";
    }

    /** A pool's LLM-API options: its own, the cache transceiver on the plan's connector, and on context servers no overlap scheduler. */
    static Map<String, Object> options(EmitInput in, EmitInput ii, Pool.Role role) {
        Map<String, Object> t = new LinkedHashMap<>(TrtllmLaunch.options(ii));
        Map<String, Object> ct = new LinkedHashMap<>();
        ct.put(TrtllmDisagg.BACKEND, KvConnectors.find(EngineKind.TRTLLM, in.plan().disagg().connector()).orElseThrow().engineValue());
        // The longest prompt a server takes fits the buffer: max_seq_len bounds prompt and answer together.
        ii.engine().role(Role.MAX_MODEL_LEN).ifPresent(e -> ct.put(TrtllmDisagg.MAX_TOKENS_IN_BUFFER, e.count()));
        t.put(TrtllmDisagg.CACHE_TRANSCEIVER, ct);
        if (role == Pool.Role.PREFILL) t.put(TrtllmDisagg.DISABLE_OVERLAP_SCHEDULER, true);
        return t;
    }

    static List<OutputFile> emit(EmitInput in) {
        List<OutputFile> files = new ArrayList<>();
        List<PoolLaunch.Instance> all = PoolLaunch.instances(in);
        for (PoolLaunch.Instance i : all) {
            if (i.index() != 0) continue;
            EmitInput ii = i.input();
            EngineArgs ea = TrtllmLaunch.args(ii);
            List<String> comments = new ArrayList<>(List.of("TensorRT-LLM LLM-API options of pool `" + i.role().id() + "` (trtllm-serve "
                            + ea.flag("config") + "), for every " + (i.role() == Pool.Role.PREFILL ? "context" : "generation") + " server of the pool.",
                    Header.generated(in),
                    "Engine: " + ea.cfg().release().label() + " (image " + ea.cfg().release().image() + ")."));
            comments.addAll(ea.comments());
            files.add(OutputFile.text("trtllm/" + optionsFile(i.role()), Yaml.document(comments, options(in, ii, i.role()))));
        }
        for (PoolLaunch.Instance i : all) files.add(OutputFile.script("trtllm/" + i.name() + ".sh", server(in, i)));
        files.add(OutputFile.script("trtllm/disagg.sh", disagg(in, all)));
        return files;
    }

    private static String server(EmitInput in, PoolLaunch.Instance i) {
        EmitInput ii = i.input();
        Server s = TrtllmLaunch.servers(ii).get(0);
        Server at = new Server(0, s.replicas(), s.nodes(), s.ranksPerNode(), port(in, i));
        Val options = new Val.Env("SCRIPT_DIR", "/" + optionsFile(i.role()));
        Command serve = TrtllmLaunch.serve(ii, at, options, new ArrayList<>());
        List<String[]> env = new ArrayList<>();
        env.add(new String[] {"CUDA_VISIBLE_DEVICES", i.visibleDevices()});
        env.addAll(TrtllmLaunch.env(ii));
        Pool p = in.plan().disagg().pool(i.role());
        String title = "TensorRT-LLM " + (i.role() == Pool.Role.PREFILL ? "context" : "generation") + " server " + i.index() + " of "
                + p.replicas() + " (pool `" + i.role().id() + "`): node " + i.node() + ", GPUs " + i.visibleDevices() + ", port " + port(in, i)
                + "; KV cache over " + in.plan().disagg().connector() + ", disagg.sh joins the pools";
        return Scripts.render(Scripts.header(in, title, TrtllmLaunch.args(ii)), List.of(Scripts.SCRIPT_DIR), env, List.of(serve));
    }

    /** The longest start-up any server may take: the disaggregated server waits for all of them. */
    private static long startSeconds(EmitInput in) {
        long max = 0;
        for (var a : List.of(in.pools().prefill(), in.pools().decode()))
            for (dev.shardplan.layout.Rank r : a.layout().ranks()) max = Math.max(max, a.memory(r.rank()).weights());
        return Startup.budgetSeconds(max);
    }

    private static String disagg(EmitInput in, List<PoolLaunch.Instance> all) {
        List<String> setup = new ArrayList<>();
        List<String> hosts = in.deployment().hosts();
        for (int n : new TreeSet<>(all.stream().map(PoolLaunch.Instance::node).toList())) {
            setup.add("NODE" + n + "_ADDR=" + (n < hosts.size() ? ShellQuote.quote(hosts.get(n))
                    : "\"${NODE" + n + "_ADDR:?set NODE" + n + "_ADDR to the address of node " + n + "}\""));
        }
        // The configuration names the servers by address, known only where the script runs: written at
        // start, to a file of its own that the server reads while it runs (exec leaves no shell to remove it).
        setup.add("CONFIG=\"$(mktemp)\"");
        setup.add("cat > \"$CONFIG\" <<" + CONFIG_DELIMITER);
        setup.add(TrtllmDisagg.HOSTNAME + ": 0.0.0.0");
        setup.add(TrtllmDisagg.PORT + ": " + serverPort(in));
        for (Pool.Role r : Pool.Role.values()) {
            setup.add((r == Pool.Role.PREFILL ? TrtllmDisagg.CONTEXT_SERVERS : TrtllmDisagg.GENERATION_SERVERS) + ":");
            setup.add("  " + TrtllmDisagg.NUM_INSTANCES + ": " + in.plan().disagg().pool(r).replicas());
            setup.add("  " + TrtllmDisagg.URLS + ":");
            for (PoolLaunch.Instance i : all)
                if (i.role() == r) setup.add("  - \"${NODE" + i.node() + "_ADDR}:" + port(in, i) + "\"");
        }
        setup.add(CONFIG_DELIMITER);
        Command c = Command.of("trtllm-serve", TrtllmDisagg.COMMAND).opt(TrtllmDisagg.CONFIG_FILE, new Val.Env("CONFIG", ""))
                .opt(TrtllmDisagg.SERVER_START_TIMEOUT, startSeconds(in)).opt(TrtllmDisagg.REQUEST_TIMEOUT, TrtllmDisagg.REQUEST_TIMEOUT_SECONDS)
                .build();
        List<String> header = Scripts.header(in, "TensorRT-LLM disaggregated server on port " + serverPort(in) + ": the API clients call; "
                + "it sends each request to a context server, then to a generation server, which receives the KV cache over "
                + in.plan().disagg().connector());
        header.add(ShellQuote.comment("Engine: " + in.engine().release().label() + " (image " + in.engine().release().image() + ")."));
        header.add(ShellQuote.comment("Run it on any host that reaches every server. It waits up to " + startSeconds(in) + " s for the servers "
                + "to come up (" + TrtllmDisagg.SERVER_START_TIMEOUT + ", the longest start-up budget of a pool) and gives a request "
                + TrtllmDisagg.REQUEST_TIMEOUT_SECONDS + " s (" + TrtllmDisagg.REQUEST_TIMEOUT + "; the default 180 s would cut long answers)."));
        return Scripts.render(header, setup, List.of(), List.of(c));
    }
}
