package dev.shardplan.emit;

import dev.shardplan.model.Deploy;
import dev.shardplan.engine.EngineSpec;
import dev.shardplan.model.Plan;

import java.util.List;

/**
 * The plan's deploy settings with defaults filled in. Every string here except the defaults is
 * user data: it reaches shell scripts only through {@link ShellQuote} and Kubernetes only
 * through {@link ShellQuote#kubernetesLiteral}.
 */
public record Deployment(String modelPath, String servedName, String image, List<String> hosts, int port,
                         int masterPort, String namespace, String partition, String account, String network) {
    public Deployment {
        hosts = List.copyOf(hosts);
    }

    static Deployment of(Plan plan) {
        Deploy d = plan.deploy();
        String model = d != null && d.modelPath() != null && !d.modelPath().isEmpty() ? d.modelPath()
                : plan.model().hfId() != null && !plan.model().hfId().isEmpty() ? plan.model().hfId()
                : plan.model().name();
        if (d == null) return new Deployment(model, null, null, List.of(), 0, 0, null, null, null, null);
        return new Deployment(model, blankToNull(d.servedName()), blankToNull(d.image()), d.hosts(), d.port(),
                d.masterPort(), blankToNull(d.namespace()), blankToNull(d.partition()), blankToNull(d.account()),
                blankToNull(d.network()));
    }

    /** The API port: the plan's, else the engine's default. */
    public int port(EngineSpec engine) {
        return port > 0 ? port : engine.defaultPort();
    }

    /** The rendezvous port between nodes: the plan's, else the launcher's conventional one. */
    public int masterPort(int launcherDefault) {
        return masterPort > 0 ? masterPort : launcherDefault;
    }

    /** Whether the plan names a host for every node it uses. */
    public boolean hasHosts(int nodes) {
        return hosts.size() >= nodes;
    }

    /** Every user string, for the NUL check. */
    List<String> userStrings() {
        List<String> out = new java.util.ArrayList<>();
        for (String s : new String[] {modelPath, servedName, image, namespace, partition, account, network})
            if (s != null) out.add(s);
        out.addAll(hosts);
        return out;
    }

    private static String blankToNull(String s) {
        return s == null || s.isEmpty() ? null : s;
    }
}
