package dev.shardplan.emit;

import dev.shardplan.model.Deploy;
import dev.shardplan.engine.EngineSpec;
import dev.shardplan.model.Plan;

import java.util.List;

/**
 * The plan's deploy settings with defaults filled in. Every string here except the defaults is
 * user data: it reaches shell scripts only through {@link ShellQuote} and Kubernetes only
 * through {@link ShellQuote#kubernetesLiteral}. {@code modelPath} is what the engines load: the
 * plan's {@code model_path}, else the model's {@code hf_id}; null when the model has neither
 * (targets that load weights refuse such a plan, SP0812).
 */
public record Deployment(String modelPath, boolean pathFromPlan, String servedName, String image, List<String> hosts, int port,
                         int masterPort, String namespace, String partition, String account, String network, Deploy.Kube kube) {
    public Deployment {
        hosts = List.copyOf(hosts);
        kube = kube == null ? Deploy.Kube.NONE : kube;
    }

    static Deployment of(Plan plan) {
        Deploy d = plan.deploy();
        boolean fromPlan = d != null && d.modelPath() != null && !d.modelPath().isEmpty();
        String model = fromPlan ? d.modelPath()
                : plan.model().hfId() != null && !plan.model().hfId().isEmpty() ? plan.model().hfId() : null;
        if (d == null) return new Deployment(model, false, null, null, List.of(), 0, 0, null, null, null, null, Deploy.Kube.NONE);
        return new Deployment(model, fromPlan, blankToNull(d.servedName()), blankToNull(d.image()), d.hosts(), d.port(),
                d.masterPort(), blankToNull(d.namespace()), blankToNull(d.partition()), blankToNull(d.account()),
                blankToNull(d.network()), d.kube());
    }

    /** Whether the engines can load the model: a path or a Hugging Face id is known. */
    public boolean loadable() {
        return modelPath != null;
    }

    /**
     * Whether the engine downloads the weights from the Hugging Face Hub (a repository id, not a
     * local folder): only then do a token and a download step matter.
     */
    public boolean fromHub() {
        return modelPath != null && !modelPath.startsWith("/") && !modelPath.startsWith(".") && modelPath.indexOf('/') > 0
                && modelPath.indexOf('/') == modelPath.lastIndexOf('/');
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
        for (String s : new String[] {modelPath, servedName, image, namespace, partition, account, network, kube.hfTokenSecret(),
                kube.modelCache(), kube.storageClass(), kube.topologyKey(), kube.rdmaResource()})
            if (s != null) out.add(s);
        out.addAll(hosts);
        out.addAll(kube.nodeSelector());
        out.addAll(kube.tolerations());
        return out;
    }

    private static String blankToNull(String s) {
        return s == null || s.isEmpty() ? null : s;
    }
}
