package dev.shardplan.emit;

import dev.shardplan.layout.RankLayout;
import dev.shardplan.diag.Diagnostic;
import dev.shardplan.model.Target;

import java.util.ArrayList;
import java.util.List;
import java.util.StringJoiner;

/**
 * shim/: launch commands for the runtime shim in torchrun form (torchrun-node&lt;i&gt;.sh) and srun
 * form (srun.sbatch, one task per GPU). Both run the shim archive the compile writes once into the
 * output folder ({@link ShimArchive}, named with its SHA-256 in plan.json), read ../plan.json and
 * write ../metrics/; copy the output folder to a cluster as a whole.
 */
public final class ShimEmitter implements Emitter {
    /** torch.distributed's conventional static rendezvous port (launchers.md §5). */
    private static final int TORCH_PORT = 29500;

    public record TorchrunView(List<String> comments, int node, int nodes, int perNode, String head, int port, String devices,
                               String archive, String sha256) {}

    public record SrunView(List<String> directives, List<String> comments, int nodes, int perNode, int port, String archive,
                           String sha256) {}

    @Override
    public Target target() {
        return Target.SHIM;
    }

    @Override
    public List<Diagnostic> check(EmitInput in) {
        return List.of();
    }

    @Override
    public List<OutputFile> emit(EmitInput in) {
        List<OutputFile> out = new ArrayList<>();
        String archive = ShimArchive.fileName(), sha = ShimArchive.get().sha256();
        RankLayout l = in.layout();
        Deployment d = in.deployment();
        int nodes = Math.max(1, l.nodes());
        int perNode = l.ranksOnNode(0).size();
        int port = d.masterPort(TORCH_PORT);
        List<String> comments = List.of(
                "shardplan runtime shim: world " + l.ranks().size() + " ranks on " + nodes + " node" + (nodes == 1 ? "" : "s")
                        + " x " + perNode + " GPUs",
                ShellQuote.comment(Header.generated(in)));
        for (int n = 0; n < nodes; n++) {
            String head = d.hasHosts(nodes) ? ShellQuote.quote(d.hosts().get(0)) : "127.0.0.1";
            StringJoiner devs = new StringJoiner(",");
            for (int g : l.gpusOnNode(n)) devs.add(String.valueOf(g));
            List<String> c = new ArrayList<>(comments);
            c.add("node " + n + " of " + nodes + (d.hasHosts(nodes) ? " (" + ShellQuote.comment(d.hosts().get(n)) + ")" : ""));
            out.add(OutputFile.script("shim/torchrun-node" + n + ".sh", Templates.shared().render("shim-torchrun.sh.mustache",
                    new TorchrunView(c, n, nodes, perNode, nodes == 1 ? "127.0.0.1" : head, port, devs.toString(), archive, sha))));
        }
        List<String> directives = new ArrayList<>(List.of("--job-name=shim-" + Slurm.jobName(in.plan().name()),
                "--nodes=" + nodes, "--ntasks-per-node=" + perNode, "--gpus-per-node=" + perNode));
        if (d.partition() != null) directives.add("--partition=" + d.partition());
        if (d.account() != null) directives.add("--account=" + d.account());
        out.add(OutputFile.script("shim/srun.sbatch", Templates.shared().render("shim-srun.sbatch.mustache",
                new SrunView(directives, comments, nodes, perNode, port, archive, sha))));
        out.add(OutputFile.text("shim/README.md", readme(in, nodes, perNode)));
        return out;
    }

    private static String readme(EmitInput in, int nodes, int perNode) {
        String name = in.plan().name();
        StringBuilder b = new StringBuilder();
        b.append("# Runtime shim for plan `").append(name).append("`\n\n");
        b.append("Runs the model partitioned exactly as `../plan.json` says (").append(in.layout().ranks().size())
                .append(" ranks on ").append(nodes).append(" node").append(nodes == 1 ? "" : "s").append(" x ").append(perNode)
                .append(" GPUs) with torch.distributed: NCCL on GPUs, gloo on CPUs.\n\n");
        b.append("- `verify`: a scaled-down copy of the model (same ranks, heads, KV heads, experts, routing and features),\n")
                .append("  partitioned as planned, compared with an independent unpartitioned reference of its family: every\n")
                .append("  stage's hidden states and the logits within 1e-9 (float64), greedy tokens equal.\n");
        b.append("- `bench`: the real shapes; per-step prefill and decode times, communication time, weights, KV pool and\n")
                .append("  activation peak per rank (`shardplan run <OUT>/").append(name).append(" --compare` sets them against the plan).\n\n");
        b.append("Metrics are written per rank to `../metrics/metrics.rank<N>.json`.\n\n");
        b.append("On one machine with enough GPUs (or on CPUs, for `verify`): `shardplan run <OUT>/").append(name).append(" --local`.\n\n");
        b.append("On a cluster, either run `./torchrun-node<i>.sh [verify|bench]` on node i (with `HEAD_ADDR` set to node 0's\n")
                .append("address when the plan names no hosts), or submit `sbatch srun.sbatch [verify|bench]` from this folder.\n\n");
        b.append("The scripts run `../../").append(ShimArchive.fileName()).append("`, the shim archive the compile wrote once into\n")
                .append("the output folder (plan.json names it with its SHA-256; `SHARDPLAN_SHIM=path` points elsewhere). It also runs\n")
                .append("alone: `python3 ").append(ShimArchive.fileName()).append(" --plan ").append(name).append("/plan.json verify --local`.\n\n");
        b.append("Requirements: Python >= 3.10 with torch >= 1.13; nothing else.\n");
        return b.toString();
    }

    /** Slurm job names: the characters sbatch takes without quoting. */
    private static final class Slurm {
        static String jobName(String plan) {
            return plan.replaceAll("[^A-Za-z0-9_.-]", "_");
        }
    }
}
