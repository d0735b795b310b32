package dev.shardplan.emit;

import dev.shardplan.model.PlanPaths;
import dev.shardplan.diag.Diagnostic;
import dev.shardplan.emit.Command.Val;
import dev.shardplan.emit.TrtllmLaunch.Server;
import dev.shardplan.model.Target;

import java.util.ArrayList;
import java.util.List;

/**
 * trtllm/: the LLM-API options file and one script per trtllm-serve (serve.sh, or serve-dp&lt;i&gt;.sh
 * for DP replicas without attention DP). A server on several nodes is started with mpirun and
 * trtllm-llmapi-launch, one MPI rank per GPU. A disaggregated plan gets its pools' servers and the
 * disaggregated server instead ({@link TrtllmPools}).
 */
public final class TrtllmEmitter implements Emitter {
    @Override
    public Target target() {
        return Target.TRTLLM;
    }

    @Override
    public boolean launchesPools() {
        return true;
    }

    @Override
    public List<Diagnostic> check(EmitInput in) {
        if (in.plan().disaggregated()) return TrtllmPools.check(in);
        List<Diagnostic> out = new ArrayList<>(TrtllmLaunch.check(in));
        // mpirun --host is one word "host:slots,host:slots": a host with ',' or ':' would add hosts or
        // slots of its own, whatever the quoting. The resolver's host rule refuses them; so does this.
        for (String h : in.deployment().hosts()) {
            if (h.indexOf(',') >= 0 || h.indexOf(':') >= 0) {
                out.add(Diagnostic.of(EmitCodes.INVALID_NAME, in.plan().spanOf(PlanPaths.DEPLOY_HOSTS),
                                "trtllm: host `" + ShellQuote.comment(h) + "` cannot be an entry of mpirun's --host list")
                        .note("mpirun reads --host as host:slots entries separated by ','")
                        .help("name each host by its DNS name or IPv4 address").build());
                break;
            }
        }
        TrtllmLaunch.serve(in, TrtllmLaunch.servers(in).get(0), null, out);
        return out;
    }

    @Override
    public List<OutputFile> emit(EmitInput in) {
        if (in.plan().disaggregated()) return TrtllmPools.emit(in);
        List<OutputFile> files = new ArrayList<>();
        EngineArgs ea = TrtllmLaunch.args(in);
        List<String> comments = new ArrayList<>(List.of("TensorRT-LLM LLM-API options (trtllm-serve " + ea.flag("config") + "); they override the command's flags.",
                Header.generated(in),
                "Engine: " + ea.cfg().release().label() + " (image " + ea.cfg().release().image() + ")."));
        comments.addAll(ea.comments());
        files.add(OutputFile.text("trtllm/" + TrtllmLaunch.OPTIONS, Yaml.document(comments, TrtllmLaunch.options(in))));
        List<Server> servers = TrtllmLaunch.servers(in);
        for (Server s : servers) {
            String name = servers.size() == 1 ? "serve.sh" : "serve-dp" + s.index() + ".sh";
            files.add(OutputFile.script("trtllm/" + name, script(in, s, servers.size())));
            if (s.nodes().size() > 1) {
                String srun = servers.size() == 1 ? "srun.sh" : "srun-dp" + s.index() + ".sh";
                files.add(OutputFile.script("trtllm/" + srun, srun(in, s, servers.size())));
            }
        }
        return files;
    }

    /**
     * The same server started by Slurm instead of mpirun: srun --mpi=pmix starts one MPI task per
     * GPU on every node of the allocation, so nothing needs SSH between the nodes
     * (examples/llm-api/llm_mgmn_trtllm_serve.sh, launchers.md §3.3). Run it inside an allocation
     * of these nodes (salloc, or a batch script) from a folder every node can read.
     */
    private static String srun(EmitInput in, Server s, int count) {
        List<String> setup = new ArrayList<>();
        setup.add(Scripts.SCRIPT_DIR);
        Val options = new Val.Env("SCRIPT_DIR", "/" + TrtllmLaunch.OPTIONS);
        Command serve = TrtllmLaunch.serve(in, s, options, new ArrayList<>());
        int per = s.ranksPerNode().get(s.nodes().get(0));
        Command.Builder srun = Command.of("srun").opt("--nodes", s.nodes().size()).opt("--ntasks-per-node", per)
                .opt("--mpi", "pmix").opt("--kill-on-bad-exit", 1);
        if (in.deployment().image() != null) srun.opt("--container-image", in.deployment().image());
        srun.then(Command.of("trtllm-llmapi-launch").then(serve).build());
        String what = count == 1 ? "TensorRT-LLM server" : "TensorRT-LLM server for DP replica " + s.index() + " of " + count;
        String title = what + " over " + s.nodes().size() + " nodes under srun (" + s.ranks() + " MPI tasks = tp x pp, no SSH); run inside an allocation of "
                + s.nodes().size() + " nodes";
        return Scripts.render(Scripts.header(in, title, TrtllmLaunch.args(in)), setup, TrtllmLaunch.env(in), List.of(srun.build()));
    }

    private static String script(EmitInput in, Server s, int count) {
        List<String> setup = new ArrayList<>();
        setup.add(Scripts.SCRIPT_DIR);
        Val options = new Val.Env("SCRIPT_DIR", "/" + TrtllmLaunch.OPTIONS);
        Command serve = TrtllmLaunch.serve(in, s, options, new ArrayList<>());
        List<String[]> env = new ArrayList<>(TrtllmLaunch.env(in));
        String what = count == 1 ? "TensorRT-LLM server" : "TensorRT-LLM server for DP replica " + s.index() + " of " + count;
        if (s.nodes().size() == 1) {
            String vis = TrtllmLaunch.visibleDevices(in, s);
            if (vis != null) env.add(0, new String[] {"CUDA_VISIBLE_DEVICES", vis});
            String title = what + " on node " + s.nodes().get(0) + " (" + s.ranks() + " GPUs)";
            return Scripts.render(Scripts.header(in, title, TrtllmLaunch.args(in)), setup, env, List.of(serve));
        }
        Deployment dep = in.deployment();
        Val hosts;
        int maxNode = s.nodes().get(s.nodes().size() - 1);
        if (dep.hasHosts(maxNode + 1)) {
            StringBuilder h = new StringBuilder();
            for (int n : s.nodes()) h.append(h.length() > 0 ? "," : "").append(dep.hosts().get(n)).append(':').append(s.ranksPerNode().get(n));
            hosts = Val.lit(h.toString());
        } else {
            setup.add("MPI_HOSTS=\"${MPI_HOSTS:?set MPI_HOSTS to host:slots for nodes " + s.nodes() + ", e.g. "
                    + exampleHosts(s) + "}\"");
            hosts = new Val.Env("MPI_HOSTS", "");
        }
        Command.Builder mpi = Command.of("mpirun").opt("-np", s.ranks()).opt("--host", hosts);
        for (String[] e : env) mpi.opt("-x", e[0]);
        mpi.then(Command.of("trtllm-llmapi-launch").then(serve).build());
        // mpirun starts the remote ranks over SSH: the srun script beside this one needs neither SSH nor mpirun.
        String title = what + " over nodes " + s.nodes() + " (" + s.ranks() + " MPI ranks = tp × pp); run on node "
                + s.nodes().get(0) + ". mpirun reaches the other nodes over passwordless SSH and needs the same installation at the same"
                + " paths on each; under Slurm use " + (count == 1 ? "srun.sh" : "srun-dp" + s.index() + ".sh") + " instead";
        return Scripts.render(Scripts.header(in, title, TrtllmLaunch.args(in)), setup, env, List.of(mpi.build()));
    }

    private static String exampleHosts(Server s) {
        StringBuilder b = new StringBuilder();
        for (int n : s.nodes()) b.append(b.length() > 0 ? "," : "").append("node").append(n).append(':').append(s.ranksPerNode().get(n));
        return b.toString();
    }
}
