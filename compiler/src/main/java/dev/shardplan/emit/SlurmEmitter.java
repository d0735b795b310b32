package dev.shardplan.emit;

import dev.shardplan.model.FieldPath;
import dev.shardplan.model.PlanPaths;
import dev.shardplan.layout.RankLayout;
import dev.shardplan.diag.Diagnostic;
import dev.shardplan.emit.Command.Arg;
import dev.shardplan.emit.Command.Val;
import dev.shardplan.model.EngineKind;
import dev.shardplan.model.Plan;
import dev.shardplan.model.Target;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

/**
 * slurm/job.sbatch: an sbatch script that runs one task per node (srun --ntasks-per-node=1); each
 * task picks its node's command by SLURM_NODEID, with node 0's host as the head address. A
 * TensorRT-LLM server over several nodes instead runs one MPI task per GPU (srun --mpi=pmix and
 * trtllm-llmapi-launch), which is how TRT-LLM forms its world (launchers.md §3.3).
 */
public final class SlurmEmitter implements Emitter {
    private static final Pattern SLURM_NAME = Pattern.compile("[A-Za-z0-9_.-]+");
    private static final String DELIMITER = "SHARDPLAN_NODE_SCRIPT";

    /** View model of slurm.sbatch.mustache; all strings are final text, quoted where they came from the user. */
    public record NodeCase(int index, List<String> setup, String command, boolean exec) {
        NodeCase(int index, String command) {
            this(index, List.of(), command, true);
        }

        NodeCase(int index, List<String> setup, String command) {
            this(index, setup, command, true);
        }
    }

    /** Where a TensorRT-LLM task writes its LLM-API options: node-local, one file per task (expanded by the task's shell). */
    static final String TASK_OPTIONS_SET = "SHARDPLAN_OPTIONS=\"${TMPDIR:-/tmp}/shardplan-${SLURM_JOB_ID:-job}-${SLURM_PROCID:-0}-" + TrtllmLaunch.OPTIONS + "\"";

    public record SbatchView(List<String> directives, List<String> comments, String delimiter, List<Scripts.EnvVar> env,
                             List<NodeCase> nodes, String srun) {}

    @Override
    public Target target() {
        return Target.SLURM;
    }

    @Override
    public List<Diagnostic> check(EmitInput in) {
        Plan plan = in.plan();
        List<Diagnostic> out = new ArrayList<>(switch (plan.engine().kind()) {
            case VLLM -> VllmLaunch.check(in);
            case SGLANG -> SglangLaunch.check(in);
            case TRTLLM -> TrtllmLaunch.check(in);
        });
        Deployment d = in.deployment();
        sbatchName(out, plan, PlanPaths.DEPLOY_PARTITION, "partition", d.partition());
        sbatchName(out, plan, PlanPaths.DEPLOY_ACCOUNT, "account", d.account());
        if (plan.engine().kind() == EngineKind.TRTLLM) {
            List<TrtllmLaunch.Server> servers = TrtllmLaunch.servers(in);
            if (servers.size() > 1 && servers.stream().anyMatch(s -> s.nodes().size() > 1)) {
                out.add(Diagnostic.of(EmitCodes.UNSUPPORTED, plan.spanOf(PlanPaths.PARALLEL_DP),
                                "slurm: TensorRT-LLM dp " + plan.parallel().dp() + " without attention DP runs " + servers.size()
                                        + " servers, each over " + servers.get(0).nodes().size() + " nodes")
                        .note("trtllm-serve has no data-parallel flag: each replica is its own MPI world, and one job step cannot hold several")
                        .help("submit one job per replica (trtllm/srun-dp<i>.sh inside an allocation), or keep each replica within one node")
                        .build());
            }
            out.addAll(TrtllmLaunch.checkEvenTasks(in, "slurm"));
        }
        if (plan.engine().kind() == EngineKind.VLLM && VllmLaunch.mode(in) == VllmLaunch.Mode.MULTI_NODE && !VllmLaunch.nativeMultiNode(in))
            out.add(VllmLaunch.noNativeMultiNode(in, "slurm"));
        out.addAll(Images.check(in));
        return out;
    }

    @Override
    public List<OutputFile> emit(EmitInput in) {
        Plan plan = in.plan();
        RankLayout l = in.layout();
        Deployment dep = in.deployment();
        int nodes = l.nodes();
        int gpus = Shapes.gpusPerNodeUsed(l);
        // A single TensorRT-LLM server over several nodes is one MPI world of a task per GPU; replicas within a node are plain tasks.
        boolean mpi = plan.engine().kind() == EngineKind.TRTLLM && nodes > 1 && TrtllmLaunch.servers(in).size() == 1;
        int tasksPerNode = mpi ? l.ranks().size() / nodes : 1;

        List<String> directives = new ArrayList<>();
        directives.add("--job-name=" + plan.name());
        directives.add("--nodes=" + nodes);
        directives.add("--ntasks-per-node=" + tasksPerNode);
        directives.add("--gpus-per-node=" + gpus);
        directives.add("--exclusive");
        if (dep.partition() != null) directives.add("--partition=" + dep.partition());
        if (dep.account() != null) directives.add("--account=" + dep.account());

        List<SlurmEmitter.NodeCase> cases = new ArrayList<>();
        List<String[]> env;
        switch (plan.engine().kind()) {
            case VLLM -> {
                List<Arg> shared = VllmLaunch.common(in, new ArrayList<>());
                env = VllmLaunch.env(in, 0, true);
                for (int n = 0; n < nodes; n++) {
                    List<Arg> nodeArgs = switch (VllmLaunch.mode(in)) {
                        case SINGLE -> List.of();
                        case MULTI_NODE -> VllmLaunch.mpNode(in, n, Site.SCRIPT);
                        case DP_NODES -> VllmLaunch.dpNode(in, n, Site.SCRIPT);
                    };
                    cases.add(new NodeCase(n, withVisible(in, n, VllmLaunch.serve(in, null, shared, nodeArgs))));
                }
            }
            case SGLANG -> {
                List<Arg> shared = SglangLaunch.common(in, new ArrayList<>());
                env = SglangLaunch.env(in, 0, true);
                for (int n = 0; n < nodes; n++)
                    cases.add(new NodeCase(n, withVisible(in, n, SglangLaunch.launch(in, shared, SglangLaunch.node(in, n, Site.SCRIPT)))));
            }
            default -> {
                env = TrtllmLaunch.env(in);
                List<TrtllmLaunch.Server> servers = TrtllmLaunch.servers(in);
                TrtllmLaunch.Server s = servers.get(0);
                Command serve = TrtllmLaunch.serve(in, s, new Val.Env("SHARDPLAN_OPTIONS", ""), new ArrayList<>());
                List<String> setup = new ArrayList<>();
                setup.add(TASK_OPTIONS_SET);
                setup.addAll(TrtllmLaunch.writeOptions(in, "\"$SHARDPLAN_OPTIONS\""));
                if (servers.size() > 1) {
                    // One server per DP replica, each on its GPUs and port; the task ends when the first one does.
                    for (int n = 0; n < nodes; n++) {
                        List<String> lines = new ArrayList<>(setup);
                        for (TrtllmLaunch.Server x : servers) {
                            if (x.nodes().get(0) != n) continue;
                            Command c = TrtllmLaunch.serve(in, x, new Val.Env("SHARDPLAN_OPTIONS", ""), new ArrayList<>());
                            String vis = TrtllmLaunch.visibleDevices(in, x);
                            lines.add((vis == null ? "" : "env CUDA_VISIBLE_DEVICES=" + ShellQuote.quote(vis) + " ") + c.shell("    ") + " &");
                        }
                        cases.add(new NodeCase(n, lines, "wait -n", false));
                    }
                } else if (mpi) {
                    // Every MPI task runs the same command; trtllm-llmapi-launch turns rank 0 into the server.
                    for (int n = 0; n < nodes; n++)
                        cases.add(new NodeCase(n, setup, Command.of("trtllm-llmapi-launch").then(serve).build().shell("    ")));
                } else {
                    cases.add(new NodeCase(0, setup, withVisible(in, 0, serve)));
                }
            }
        }

        Command.Builder srun = Command.of("srun")
                .opt("--nodes", nodes)
                .opt("--ntasks-per-node", tasksPerNode)
                .opt("--kill-on-bad-exit", 1);
        if (mpi) srun.opt("--mpi", "pmix");
        if (dep.image() != null) srun.opt("--container-image", dep.image());
        srun.then(Command.of("bash").opt("-c", new Val.Env("NODE_SCRIPT", "")).build());

        StringBuilder body = new StringBuilder();
        for (NodeCase c : cases) body.append(c.command()).append('\n');
        for (Scripts.EnvVar v : Scripts.env(env)) body.append(v.value()).append('\n');
        String delimiter = DELIMITER;
        while (body.indexOf(delimiter) >= 0) delimiter = delimiter + "_";
        List<String> comments = Scripts.header(in, "Slurm job: " + nodes + " node(s), " + in.engine().release().label()
                + (mpi ? ", one MPI task per GPU" : ", one task per node") + "; submit with `sbatch job.sbatch`",
                EngineArgs.of(in, in.engine().kind()));
        String text = Templates.shared().render("slurm.sbatch.mustache",
                new SbatchView(directives, comments, delimiter, Scripts.env(env), cases, srun.build().shell("    ")));
        return List.of(OutputFile.script("slurm/job.sbatch", text));
    }

    /** The node's command, prefixed with its CUDA_VISIBLE_DEVICES when the plan uses part of the node. */
    private static String withVisible(EmitInput in, int node, Command c) {
        String vis = Shapes.visibleDevices(in, node);
        String cmd = c.shell("    ");
        return vis == null ? cmd : "env CUDA_VISIBLE_DEVICES=" + ShellQuote.quote(vis) + " " + cmd;
    }

    /** A deploy name sbatch reads from an #SBATCH line itself, unquoted: reported unless it is a plain Slurm name. */
    private static void sbatchName(List<Diagnostic> out, Plan plan, FieldPath at, String what, String value) {
        if (value == null || SLURM_NAME.matcher(value).matches()) return;
        out.add(Diagnostic.of(EmitCodes.INVALID_NAME, plan.spanOf(at),
                        "slurm: " + what + " `" + ShellQuote.comment(value) + "` cannot be written in an #SBATCH line")
                .note("sbatch reads #SBATCH lines itself, without shell quoting; Slurm " + what
                        + " names are letters, digits, '_', '.', '-'")
                .help("use the " + what + " name exactly as `sinfo`/`sacctmgr` shows it")
                .build());
    }
}
