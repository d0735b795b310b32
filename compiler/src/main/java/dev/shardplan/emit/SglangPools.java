package dev.shardplan.emit;

import dev.shardplan.model.PlanPaths;
import dev.shardplan.diag.Diagnostic;
import dev.shardplan.emit.Command.Arg;
import dev.shardplan.emit.Command.Val;
import dev.shardplan.engine.KvConnectors;
import dev.shardplan.engine.SglangRouter;
import dev.shardplan.model.EngineKind;
import dev.shardplan.model.Pool;

import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;

/**
 * sglang/ for a disaggregated plan: one {@code sglang.launch_server} script per pool instance with
 * {@code --disaggregation-mode prefill|decode}, the plan's transfer backend and (prefill) its
 * bootstrap port, each with its pool's own degrees and settings; and router.sh, which starts
 * sglang-router in prefill/decode mode over every server.
 */
final class SglangPools {
    private SglangPools() {}

    static List<Diagnostic> check(EmitInput in) {
        List<Diagnostic> out = new ArrayList<>(PoolLaunch.check(in, "sglang"));
        if (!out.isEmpty()) return out;
        return engineCheck(in, "sglang");
    }

    /** The pools' engine, connector and each pool's own launcher rules, for a launch whose instances are placed already. */
    static List<Diagnostic> engineCheck(EmitInput in, String target) {
        List<Diagnostic> out = new ArrayList<>();
        if (in.engine().kind() != EngineKind.SGLANG) {
            out.add(Diagnostic.of(EmitCodes.UNSUPPORTED, in.plan().spanOf(PlanPaths.EMIT),
                            "target `" + target + "` cannot launch plan `" + in.plan().name() + "`, whose pools run " + in.engine().kind().id())
                    .note("a pool plan's KV connector is its engine's; another engine's pools are not translated")
                    .help("emit the `" + in.engine().kind().id() + "` target for this plan").build());
            return out;
        }
        for (PoolLaunch.Instance i : PoolLaunch.instances(in)) {
            if (i.index() != 0) continue;
            EmitInput ii = i.input();
            EngineArgs ea = SglangLaunch.args(ii);
            var connector = KvConnectors.find(EngineKind.SGLANG, in.plan().disagg().connector());
            if (connector.isEmpty() || !connector.get().in(ea.cfg().release())) {
                out.add(Diagnostic.of(EmitCodes.RELEASE_LACKS_FEATURE, in.plan().disagg().connectorSpan(),
                                "sglang: " + ea.cfg().release().label() + " has no `" + in.plan().disagg().connector() + "` transfer backend")
                        .help("name another sglang release with `version`").build());
                return out;
            }
            List<Diagnostic> own = new ArrayList<>(SglangLaunch.check(ii));
            own.addAll(Emit.recipes(ii));
            SglangLaunch.common(ii, own);
            out.addAll(own);
        }
        return out;
    }

    static List<OutputFile> emit(EmitInput in) {
        List<OutputFile> files = new ArrayList<>();
        List<PoolLaunch.Instance> all = PoolLaunch.instances(in);
        for (PoolLaunch.Instance i : all) files.add(OutputFile.script("sglang/" + i.name() + ".sh", server(in, i)));
        files.add(OutputFile.script("sglang/router.sh", router(in, all)));
        return files;
    }

    private static int port(EmitInput in, PoolLaunch.Instance i) {
        return i.port(in.deployment().port(SglangLaunch.args(i.input()).cfg().spec()));
    }

    private static int bootstrapPort(PoolLaunch.Instance i) {
        return KvConnectors.SGLANG_BOOTSTRAP_PORT_BASE + i.localGpu();
    }

    private static String server(EmitInput in, PoolLaunch.Instance i) {
        EmitInput ii = i.input();
        EngineArgs ea = SglangLaunch.args(ii);
        String portFlag = ea.flag("port");
        List<Arg> a = new ArrayList<>();
        for (Arg x : SglangLaunch.common(ii, new ArrayList<>())) if (!x.flag().equals(portFlag)) a.add(x);
        a.add(VllmLaunch.arg(portFlag, port(in, i)));
        a.add(VllmLaunch.arg(ea.flag("disaggregation_mode"), i.role().id()));
        a.add(VllmLaunch.arg(ea.flag("disaggregation_transfer_backend"),
                KvConnectors.find(EngineKind.SGLANG, in.plan().disagg().connector()).orElseThrow().engineValue()));
        if (i.role() == Pool.Role.PREFILL) a.add(VllmLaunch.arg(ea.flag("disaggregation_bootstrap_port"), bootstrapPort(i)));
        Pool p = in.plan().disagg().pool(i.role());
        String title = "SGLang " + i.role().id() + " server " + i.index() + " of " + p.replicas() + " (pool `" + i.role().id()
                + "`): node " + i.node() + ", GPUs " + i.visibleDevices() + ", port " + port(in, i)
                + (i.role() == Pool.Role.PREFILL ? ", bootstrap port " + bootstrapPort(i) : "") + "; router.sh joins the pools";
        List<String[]> env = new ArrayList<>();
        env.add(new String[] {"CUDA_VISIBLE_DEVICES", i.visibleDevices()});
        for (String[] e : SglangLaunch.env(ii, 0, false)) if (!e[0].equals("CUDA_VISIBLE_DEVICES")) env.add(e);
        Command c = SglangLaunch.launch(ii, a, List.of());
        return Scripts.render(Scripts.header(in, title, ea), List.of(), env, List.of(c));
    }

    private static String router(EmitInput in, List<PoolLaunch.Instance> all) {
        List<String> setup = new ArrayList<>();
        for (int n : new TreeSet<>(all.stream().map(PoolLaunch.Instance::node).toList())) {
            List<String> hosts = in.deployment().hosts();
            setup.add("NODE" + n + "_ADDR=" + (n < hosts.size() ? ShellQuote.quote(hosts.get(n))
                    : "\"${NODE" + n + "_ADDR:?set NODE" + n + "_ADDR to the address of node " + n + "}\""));
        }
        Command.Builder b = Command.of("python3", "-m", SglangRouter.MODULE).flag(SglangRouter.PD_DISAGGREGATION);
        for (PoolLaunch.Instance i : all) {
            String url = i.name().toUpperCase(java.util.Locale.ROOT) + "_URL";
            setup.add(url + "=\"http://${NODE" + i.node() + "_ADDR}:" + port(in, i) + "\"");
        }
        for (PoolLaunch.Instance i : all) {
            Val url = new Val.Env(i.name().toUpperCase(java.util.Locale.ROOT) + "_URL", "");
            if (i.role() == Pool.Role.PREFILL) b.opt(SglangRouter.PREFILL, new Val.Words(List.of(url, Val.lit(bootstrapPort(i)))));
            else b.opt(SglangRouter.DECODE, url);
        }
        b.opt(SglangRouter.HOST, "0.0.0.0").opt(SglangRouter.PORT, SglangRouter.ROUTER_PORT);
        List<String> header = Scripts.header(in, "sglang-router " + SglangRouter.RELEASE + " (pip install " + SglangRouter.PACKAGE + "=="
                + SglangRouter.RELEASE + ") in prefill/decode mode on port " + SglangRouter.ROUTER_PORT + ": the API clients call; "
                + "it sends each request to a prefill server, which hands its KV cache to a decode server");
        header.add(ShellQuote.comment("Run it on any host that reaches every server; start the servers first."));
        return Scripts.render(header, setup, List.of(), List.of(b.build()));
    }
}
