package dev.shardplan.emit;

import dev.shardplan.model.PlanPaths;
import dev.shardplan.analysis.PlanAnalysis;
import dev.shardplan.diag.Diagnostic;
import dev.shardplan.model.Disaggregation;
import dev.shardplan.model.Pool;

import java.util.ArrayList;
import java.util.List;

/**
 * Where the instances of a disaggregated plan's pools run: each instance as an aggregated input of
 * its own (the pool's engine configuration and layout from the analysis), the node and local GPUs
 * it takes on the cluster (instances are placed one after another from GPU 0, prefill first, as
 * {@link Disaggregation#firstGpu} says), and the API port it listens on.
 */
final class PoolLaunch {
    private PoolLaunch() {}

    /**
     * One pool instance: its role and index in the pool, the node it runs on, its first GPU on that
     * node, and the aggregated input its launcher is built from.
     */
    record Instance(Pool.Role role, int index, int node, int localGpu, EmitInput input) {
        String name() {
            return role.id() + index;
        }

        /** CUDA_VISIBLE_DEVICES of the instance on its node. */
        String visibleDevices() {
            StringBuilder b = new StringBuilder();
            int n = input.layout().ranks().size();
            for (int g = localGpu; g < localGpu + n; g++) b.append(b.length() == 0 ? "" : ",").append(g);
            return b.toString();
        }

        /**
         * The instance's API port: the engine's port plus its first local GPU, so that instances
         * sharing a node never collide and one a node to itself keeps the plain port.
         */
        int port(int base) {
            return base + localGpu;
        }
    }

    /** Every instance, prefill pool first, in index order. */
    static List<Instance> instances(EmitInput in) {
        Disaggregation d = in.plan().disagg();
        int per = in.plan().cluster().node().gpus();
        List<Instance> out = new ArrayList<>();
        for (Pool.Role r : Pool.Role.values()) {
            Pool p = d.pool(r);
            PlanAnalysis a = r == Pool.Role.PREFILL ? in.pools().prefill() : in.pools().decode();
            EmitInput ii = new EmitInput(a.plan(), a.engine(), a.layout(), a.memory(), in.source());
            for (int i = 0; i < p.replicas(); i++) {
                int g = d.firstGpu(r, i);
                out.add(new Instance(r, i, g / per, g % per, ii));
            }
        }
        return out;
    }

    /**
     * The refusal of a target that cannot start a pool plan: the analysis did not reach the pools,
     * or an instance spans nodes (its launch would need a multi-node rendezvous per instance).
     */
    static List<Diagnostic> check(EmitInput in, String target) {
        List<Diagnostic> analysed = analysed(in, target);
        if (!analysed.isEmpty()) return analysed;
        int per = in.plan().cluster().node().gpus();
        for (Pool.Role r : Pool.Role.values()) {
            Pool p = in.plan().disagg().pool(r);
            if (p.instanceGpus() > per) {
                return List.of(Diagnostic.of(EmitCodes.UNSUPPORTED, p.spanOf(PlanPaths.PARALLEL),
                                "target `" + target + "` cannot launch a disaggregated plan whose `" + r.id() + "` instances span nodes ("
                                        + p.instanceGpus() + " gpus, " + per + " a node) yet")
                        .note("shardplan emits one server per pool instance on one node; a multi-node instance needs its own rendezvous")
                        .help("make the pool's dp x tp x pp at most " + per + ", or remove `" + target + "` from `emit`").build());
            }
        }
        return List.of();
    }

    /** The refusal of a pool launch whose pools the analysis did not reach. */
    static List<Diagnostic> analysed(EmitInput in, String target) {
        if (in.pools() == null || in.pools().prefill() == null || in.pools().decode() == null) {
            return List.of(Diagnostic.of(EmitCodes.UNSUPPORTED, in.plan().spanOf(PlanPaths.EMIT),
                            "target `" + target + "` cannot launch plan `" + in.plan().name() + "`: its pools were not analysed")
                    .help("fix the plan's other errors first").build());
        }
        return List.of();
    }

    /** The address a node's servers are reached at: the plan's host for it, else a variable the user sets. */
    static String nodeAddrLine(EmitInput in, int node) {
        List<String> hosts = in.deployment().hosts();
        if (node < hosts.size()) return "NODE_ADDR=" + ShellQuote.quote(hosts.get(node));
        return "NODE_ADDR=\"${NODE_ADDR:?set NODE_ADDR to the address of node " + node + " that the other nodes reach}\"";
    }

    /** The host of a node as written in a text file: the plan's, else a placeholder. */
    static String host(EmitInput in, int node) {
        List<String> hosts = in.deployment().hosts();
        return node < hosts.size() ? hosts.get(node) : "<node" + node + ">";
    }
}
