package dev.shardplan.emit;

import dev.shardplan.model.PlanPaths;
import dev.shardplan.diag.Diagnostic;
import dev.shardplan.emit.Command.Arg;
import dev.shardplan.emit.Command.Val;
import dev.shardplan.engine.KvConnectors;
import dev.shardplan.model.EngineKind;
import dev.shardplan.model.Pool;

import java.util.ArrayList;
import java.util.List;

/**
 * vllm/ for a disaggregated plan: one {@code vllm serve} script per pool instance
 * (prefill&lt;i&gt;.sh, decode&lt;i&gt;.sh), each with its pool's own parallel flags and engine
 * settings and {@code --kv-transfer-config} for the plan's connector, plus the NIXL side-channel
 * address and port; and pools.md, which lists the servers and names what joins them. vLLM's
 * package ships no prefill/decode proxy, and shardplan writes none.
 */
final class VllmPools {
    private VllmPools() {}

    static List<Diagnostic> check(EmitInput in) {
        List<Diagnostic> out = new ArrayList<>(PoolLaunch.check(in, "vllm"));
        if (!out.isEmpty()) return out;
        return engineCheck(in, "vllm");
    }

    /** The pools' engine, connector and each pool's own launcher rules, for a launch whose instances are placed already. */
    static List<Diagnostic> engineCheck(EmitInput in, String target) {
        List<Diagnostic> out = new ArrayList<>();
        if (in.engine().kind() != EngineKind.VLLM) {
            out.add(Diagnostic.of(EmitCodes.UNSUPPORTED, in.plan().spanOf(PlanPaths.EMIT),
                            "target `" + target + "` cannot launch plan `" + in.plan().name() + "`, whose pools run " + in.engine().kind().id())
                    .note("a pool plan's KV connector is its engine's; another engine's pools are not translated")
                    .help("emit the `" + in.engine().kind().id() + "` target for this plan").build());
            return out;
        }
        for (EmitInput ii : distinctPools(in)) {
            EngineArgs ea = VllmLaunch.args(ii);
            var connector = KvConnectors.find(EngineKind.VLLM, in.plan().disagg().connector());
            if (connector.isEmpty() || !connector.get().in(ea.cfg().release()) || !ea.hasFlag("kv_transfer_config")) {
                out.add(Diagnostic.of(EmitCodes.RELEASE_LACKS_FEATURE, in.plan().disagg().connectorSpan(),
                                "vllm: " + ea.cfg().release().label() + " has no `" + in.plan().disagg().connector() + "` KV connector")
                        .note(connector.map(c -> "the connector came with vLLM " + c.since() + " (" + c.source() + ")")
                                .orElse("vLLM has no such connector"))
                        .help("name a newer vllm release with `version`").build());
                return out;
            }
            List<Diagnostic> own = new ArrayList<>(VllmLaunch.check(ii));
            own.addAll(Emit.recipes(ii));
            VllmLaunch.common(ii, own);
            out.addAll(own);
        }
        return out;
    }

    private static List<EmitInput> distinctPools(EmitInput in) {
        List<EmitInput> out = new ArrayList<>();
        for (PoolLaunch.Instance i : PoolLaunch.instances(in)) if (i.index() == 0) out.add(i.input());
        return out;
    }

    static List<OutputFile> emit(EmitInput in) {
        List<OutputFile> files = new ArrayList<>();
        List<PoolLaunch.Instance> all = PoolLaunch.instances(in);
        for (PoolLaunch.Instance i : all) files.add(OutputFile.script("vllm/" + i.name() + ".sh", script(in, i)));
        files.add(OutputFile.text("vllm/pools.md", readme(in, all)));
        return files;
    }

    /** The KVTransferConfig JSON of the plan's connector, as --kv-transfer-config takes it. */
    static String kvTransferConfig(EmitInput in) {
        String connector = KvConnectors.find(EngineKind.VLLM, in.plan().disagg().connector()).orElseThrow().engineValue();
        return "{\"kv_connector\":\"" + connector + "\",\"kv_role\":\"" + KvConnectors.VLLM_NIXL_KV_ROLE + "\"}";
    }

    private static int port(EmitInput in, PoolLaunch.Instance i) {
        EngineArgs ea = VllmLaunch.args(i.input());
        return i.port(in.deployment().port(ea.cfg().spec()));
    }

    private static String script(EmitInput in, PoolLaunch.Instance i) {
        EmitInput ii = i.input();
        EngineArgs ea = VllmLaunch.args(ii);
        String portFlag = ea.flag("port");
        List<Arg> shared = new ArrayList<>();
        for (Arg a : VllmLaunch.common(ii, new ArrayList<>())) if (!a.flag().equals(portFlag)) shared.add(a);
        shared.add(VllmLaunch.arg(portFlag, port(in, i)));
        shared.add(VllmLaunch.arg(ea.flag("kv_transfer_config"), kvTransferConfig(in)));
        Pool p = in.plan().disagg().pool(i.role());
        String title = "vLLM " + i.role().id() + " instance " + i.index() + " of " + p.replicas() + " (pool `" + i.role().id()
                + "`): node " + i.node() + ", GPUs " + i.visibleDevices() + ", port " + port(in, i)
                + "; KV cache over " + in.plan().disagg().connector() + " (see pools.md for what joins the pools)";
        List<String> setup = new ArrayList<>();
        setup.add(PoolLaunch.nodeAddrLine(in, i.node()));
        // The side channel's default host is localhost: instances on other nodes could not reach it.
        setup.add("export " + KvConnectors.VLLM_NIXL_HOST_ENV + "=\"${NODE_ADDR}\"");
        List<String[]> env = new ArrayList<>();
        env.add(new String[] {"CUDA_VISIBLE_DEVICES", i.visibleDevices()});
        env.add(new String[] {KvConnectors.VLLM_NIXL_PORT_ENV, String.valueOf(KvConnectors.VLLM_NIXL_PORT_BASE + i.localGpu())});
        for (String[] e : VllmLaunch.env(ii, 0, false)) if (!e[0].equals("CUDA_VISIBLE_DEVICES")) env.add(e);
        Command serve = VllmLaunch.serve(ii, null, shared, List.of());
        return Scripts.render(Scripts.header(in, title, ea), setup, env, List.of(serve));
    }

    private static String readme(EmitInput in, List<PoolLaunch.Instance> all) {
        StringBuilder b = new StringBuilder();
        b.append("# Plan `").append(in.plan().name()).append("`: vLLM prefill and decode pools\n\n");
        b.append("<!-- ").append(Header.generated(in)).append(" -->\n\n");
        b.append("Each script starts one `vllm serve` instance with `--kv-transfer-config ")
                .append(kvTransferConfig(in)).append("`. Run every script on the node it names ")
                .append("(set `NODE_ADDR` to that node's address when the plan's `deploy` has no `hosts`).\n\n");
        b.append("| script | pool | node | GPUs | API | NIXL side channel |\n|---|---|---|---|---|---|\n");
        for (PoolLaunch.Instance i : all) {
            String host = PoolLaunch.host(in, i.node());
            b.append("| ").append(i.name()).append(".sh | ").append(i.role().id()).append(" | ").append(i.node()).append(" | ")
                    .append(i.visibleDevices()).append(" | http://").append(host).append(':').append(port(in, i)).append(" | ")
                    .append(host).append(':').append(KvConnectors.VLLM_NIXL_PORT_BASE + i.localGpu()).append(" |\n");
        }
        b.append("\n## What joins them\n\n");
        b.append("vLLM's package ships no prefill/decode proxy, and shardplan writes none. A client request must go to a ")
                .append("prefill instance first (vLLM's NIXL flow sends it with `max_tokens` 1 and `kv_transfer_params` ")
                .append("`{\"do_remote_decode\": true}`), and then to a decode instance with the `kv_transfer_params` ")
                .append("that the prefill response returned. Use a router that does this:\n\n");
        b.append("- on Kubernetes, llm-d's inference scheduler (its prefill/decode disaggregation), pointed at the API ")
                .append("URLs above;\n");
        b.append("- for a test on bare hosts, the toy proxy in vLLM's source tree at the release tag the scripts' ")
                .append("`Engine:` line names, `tests/v1/kv_connector/nixl_integration/toy_proxy_server.py`; ")
                .append("its flags name the prefill and decode hosts and ports, and changed between releases: ")
                .append("read `--help` of the copy at that tag.\n");
        return b.toString();
    }
}
