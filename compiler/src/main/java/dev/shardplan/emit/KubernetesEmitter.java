package dev.shardplan.emit;

import dev.shardplan.diag.Diagnostic;
import dev.shardplan.emit.Command.Arg;
import dev.shardplan.model.EngineKind;
import dev.shardplan.model.Plan;
import dev.shardplan.model.Target;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * kubernetes/leaderworkerset.yaml: a LeaderWorkerSet (leaderworkerset.x-k8s.io/v1) whose group is
 * the nodes of one deployment of the plan's engine, plus a Service for the leader's API port.
 * Pods learn the leader's address and their index from LWS_LEADER_ADDRESS and LWS_WORKER_INDEX
 * (launchers.md §4.1). The manifest is built as a tree and written by {@link Yaml}.
 */
public final class KubernetesEmitter implements Emitter {
    private static final Pattern DNS_LABEL = Pattern.compile("[a-z0-9]([-a-z0-9]*[a-z0-9])?");
    static final String API_VERSION = "leaderworkerset.x-k8s.io/v1";

    @Override
    public Target target() {
        return Target.KUBERNETES;
    }

    /** A pod template's engine command: structural args, or a bash script when it needs arithmetic. */
    record Role(Command command, List<String[]> env, List<String> setup) {
        Role(Command command, List<String[]> env) {
            this(command, env, List.of());
        }
    }

    /** Where a TensorRT-LLM pod writes its LLM-API options before starting the server. */
    static final String POD_OPTIONS = "/tmp/" + TrtllmLaunch.OPTIONS;

    /** The group: pods per group, groups, GPUs per pod, leader and worker commands (worker null when size 1). */
    record Shape(int size, int replicas, int gpus, int port, Role leader, Role worker) {}

    static String name(Plan plan) {
        return plan.name().toLowerCase(java.util.Locale.ROOT).replace('_', '-');
    }

    @Override
    public List<Diagnostic> check(EmitInput in) {
        List<Diagnostic> out = new ArrayList<>(engineCheck(in));
        Plan plan = in.plan();
        String name = name(plan);
        if (!DNS_LABEL.matcher(name).matches() || name.length() > 50) {
            out.add(Diagnostic.of(EmitCodes.INVALID_NAME, plan.span(),
                            "kubernetes: plan name `" + plan.name() + "` gives the object name `" + name + "`, not a DNS label")
                    .note("LeaderWorkerSet and Service names are RFC 1123 labels (lowercase letters, digits, '-'); "
                            + "pod names append -<group>-<index>, so shardplan keeps them to 50 characters")
                    .help("rename the plan with letters, digits and '_' only, at most 50 characters")
                    .build());
        }
        String ns = in.deployment().namespace();
        if (ns != null && (!DNS_LABEL.matcher(ns).matches() || ns.length() > 63)) {
            out.add(Diagnostic.of(EmitCodes.INVALID_NAME, plan.spanOf("deploy.namespace"),
                            "kubernetes: namespace `" + ShellQuote.comment(ns) + "` is not a DNS label")
                    .note("namespaces are RFC 1123 labels: lowercase letters, digits and '-', at most 63 characters")
                    .help("use a namespace such as `inference`")
                    .build());
        }
        if (!hasErrors(out)) {
            try {
                shape(in);
            } catch (Unsupported u) {
                out.add(Diagnostic.of(EmitCodes.UNSUPPORTED, plan.spanOf("parallel"), "kubernetes: " + u.getMessage())
                        .help(u.help).build());
            }
        }
        if (in.deployment().image() == null) {
            out.add(Diagnostic.of(EmitCodes.DEFAULT_IMAGE, plan.spanOf("deploy"),
                            "kubernetes: no image given, using " + in.engine().release().image() + ", the release the plan assumes")
                    .help("set deploy { image \"...\" } to use your own build of " + in.engine().release().label())
                    .build());
        }
        out.addAll(Images.check(in));
        return out;
    }

    private static boolean hasErrors(List<Diagnostic> ds) {
        return ds.stream().anyMatch(Diagnostic::isError);
    }

    private static List<Diagnostic> engineCheck(EmitInput in) {
        List<Diagnostic> out = new ArrayList<>(switch (in.plan().engine().kind()) {
            case VLLM -> VllmLaunch.check(in);
            case SGLANG -> SglangLaunch.check(in);
            case TRTLLM -> TrtllmLaunch.check(in);
        });
        if (in.plan().engine().kind() == EngineKind.VLLM && VllmLaunch.mode(in) == VllmLaunch.Mode.MULTI_NODE && !VllmLaunch.nativeMultiNode(in))
            out.add(VllmLaunch.noNativeMultiNode(in, "kubernetes"));
        return out;
    }

    private static final class Unsupported extends RuntimeException {
        final String help;

        Unsupported(String message, String help) {
            super(message);
            this.help = help;
        }
    }

    static Shape shape(EmitInput in) {
        Layout l = in.layout();
        int nodes = l.nodes();
        int gpus = Shapes.gpusPerNodeUsed(l);
        EngineKind kind = in.plan().engine().kind();
        int port = in.deployment().port(in.engine().spec());
        switch (kind) {
            case VLLM -> {
                List<Arg> shared = VllmLaunch.common(in, new ArrayList<>());
                return switch (VllmLaunch.mode(in)) {
                    case SINGLE -> new Shape(1, 1, gpus, port,
                            new Role(VllmLaunch.serve(in, null, shared, List.of()), VllmLaunch.env(in, 0, true)), null);
                    case MULTI_NODE -> new Shape(nodes, 1, gpus, port,
                            new Role(VllmLaunch.serve(in, null, shared, VllmLaunch.mpNode(in, 0, Site.KUBERNETES)), VllmLaunch.env(in, 0, true)),
                            new Role(VllmLaunch.serve(in, null, shared, VllmLaunch.mpNode(in, 1, Site.KUBERNETES)), VllmLaunch.env(in, 1, true)));
                    case DP_NODES -> {
                        int per = l.replicasOnNode(0).size();
                        for (int n = 1; n < nodes; n++) {
                            List<Integer> reps = l.replicasOnNode(n);
                            if (reps.size() != Math.min(per, in.plan().parallel().dp() - n * per))
                                throw new Unsupported("node " + n + " holds " + reps.size() + " DP replicas, node 0 holds " + per
                                        + "; a LeaderWorkerSet runs one worker template",
                                        "place the same number of replicas on every node (the last may hold fewer)");
                        }
                        yield new Shape(nodes, 1, gpus, port,
                                new Role(VllmLaunch.serve(in, null, shared, VllmLaunch.dpNode(in, 0, Site.KUBERNETES)), VllmLaunch.env(in, 0, true)),
                                new Role(VllmLaunch.serve(in, null, shared, VllmLaunch.dpNode(in, 1, Site.KUBERNETES)), VllmLaunch.env(in, 1, true)));
                    }
                };
            }
            case SGLANG -> {
                List<Arg> shared = SglangLaunch.common(in, new ArrayList<>());
                Role leader = new Role(SglangLaunch.launch(in, shared, SglangLaunch.node(in, 0, Site.KUBERNETES)), SglangLaunch.env(in, 0, true));
                if (nodes == 1) return new Shape(1, 1, gpus, port, leader, null);
                return new Shape(nodes, 1, gpus, port, leader,
                        new Role(SglangLaunch.launch(in, shared, SglangLaunch.node(in, 1, Site.KUBERNETES)), SglangLaunch.env(in, 1, true)));
            }
            default -> {
                List<TrtllmLaunch.Server> servers = TrtllmLaunch.servers(in);
                for (TrtllmLaunch.Server s : servers) {
                    if (s.nodes().size() > 1)
                        throw new Unsupported("a TensorRT-LLM server over " + s.nodes().size()
                                        + " nodes needs an MPI launch across pods, which shardplan does not generate",
                                "use the slurm or trtllm target (mpirun), or keep tp × pp within one node");
                }
                TrtllmLaunch.Server s = servers.get(0);
                Command serve = TrtllmLaunch.serve(in, new TrtllmLaunch.Server(0, s.replicas(), s.nodes(), s.ranksPerNode(), port),
                        Command.Val.lit(POD_OPTIONS), new ArrayList<>());
                return new Shape(1, servers.size(), s.ranks(), port,
                        new Role(serve, TrtllmLaunch.env(in), TrtllmLaunch.writeOptions(in, POD_OPTIONS)), null);
            }
        }
    }

    @Override
    public List<OutputFile> emit(EmitInput in) {
        Plan plan = in.plan();
        Shape shape = shape(in);
        String name = name(plan);
        Deployment dep = in.deployment();
        String image = dep.image() != null ? dep.image() : in.engine().release().image();
        String container = plan.engine().kind().id();

        Map<String, Object> lws = new LinkedHashMap<>();
        lws.put("apiVersion", API_VERSION);
        lws.put("kind", "LeaderWorkerSet");
        lws.put("metadata", metadata(name, dep.namespace(), Map.of()));
        Map<String, Object> spec = new LinkedHashMap<>();
        spec.put("replicas", shape.replicas());
        spec.put("startupPolicy", "LeaderCreated");
        Map<String, Object> tmpl = new LinkedHashMap<>();
        tmpl.put("size", shape.size());
        tmpl.put("restartPolicy", "RecreateGroupOnPodRestart");
        if (shape.worker() != null) {
            tmpl.put("leaderTemplate", podTemplate(name, true, pod(container, image, shape, shape.leader(), true)));
            tmpl.put("workerTemplate", podTemplate(name, false, pod(container, image, shape, shape.worker(), false)));
        } else {
            tmpl.put("workerTemplate", podTemplate(name, true, pod(container, image, shape, shape.leader(), true)));
        }
        spec.put("leaderWorkerTemplate", tmpl);
        lws.put("spec", spec);

        Map<String, Object> svc = new LinkedHashMap<>();
        svc.put("apiVersion", "v1");
        svc.put("kind", "Service");
        svc.put("metadata", metadata(name, dep.namespace(), Map.of()));
        Map<String, Object> sspec = new LinkedHashMap<>();
        Map<String, Object> selector = new LinkedHashMap<>();
        selector.put("leaderworkerset.sigs.k8s.io/name", name);
        selector.put("role", "leader");
        sspec.put("selector", selector);
        Map<String, Object> p = new LinkedHashMap<>();
        p.put("name", "http");
        p.put("port", shape.port());
        p.put("targetPort", shape.port());
        p.put("protocol", "TCP");
        sspec.put("ports", List.of(p));
        svc.put("spec", sspec);

        List<String> comments = new ArrayList<>(List.of(
                "LeaderWorkerSet for plan " + plan.name() + ": " + shape.replicas() + " group(s) of " + shape.size()
                        + " pod(s), " + shape.gpus() + " GPU(s) each, running " + in.engine().release().label() + ".",
                Header.generated(in)));
        comments.add("Engine: " + in.engine().release().label() + " (image " + in.engine().release().image() + ").");
        comments.addAll(EngineArgs.of(in, in.engine().kind()).comments());
        String text = Yaml.document(comments, lws) + "---\n" + Yaml.document(List.of(), svc);
        return List.of(OutputFile.text("kubernetes/leaderworkerset.yaml", text));
    }

    private static Map<String, Object> metadata(String name, String namespace, Map<String, String> extra) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("name", name);
        if (namespace != null) m.put("namespace", namespace);
        Map<String, Object> labels = new LinkedHashMap<>();
        labels.put("app.kubernetes.io/name", name);
        labels.put("app.kubernetes.io/managed-by", "shardplan");
        labels.putAll(extra);
        m.put("labels", labels);
        return m;
    }

    private static Map<String, Object> podTemplate(String name, boolean leader, Map<String, Object> podSpec) {
        Map<String, Object> t = new LinkedHashMap<>();
        Map<String, Object> meta = new LinkedHashMap<>();
        Map<String, Object> labels = new LinkedHashMap<>();
        labels.put("app.kubernetes.io/name", name);
        labels.put("role", leader ? "leader" : "worker");
        meta.put("labels", labels);
        t.put("metadata", meta);
        t.put("spec", podSpec);
        return t;
    }

    private static Map<String, Object> pod(String containerName, String image, Shape shape, Role role, boolean leader) {
        Map<String, Object> c = new LinkedHashMap<>();
        c.put("name", containerName);
        c.put("image", image);
        Command cmd = role.command();
        if (cmd.kubernetesExpressible() && role.setup().isEmpty()) {
            List<String> all = cmd.kubernetes();
            c.put("command", all.subList(0, cmd.program().size()));
            c.put("args", all.subList(cmd.program().size(), all.size()));
        } else {
            // Values computed from the pod's index need the shell; the script itself is escaped for Kubernetes.
            String script = "set -euo pipefail\n" + (role.setup().isEmpty() ? "" : String.join("\n", role.setup()) + "\n")
                    + "exec " + cmd.shell("  ") + "\n";
            c.put("command", List.of("/bin/bash", "-c"));
            c.put("args", List.of(ShellQuote.kubernetesLiteral(script)));
        }
        if (!role.env().isEmpty()) {
            List<Object> env = new ArrayList<>();
            for (String[] e : role.env()) {
                Map<String, Object> v = new LinkedHashMap<>();
                v.put("name", e[0]);
                v.put("value", ShellQuote.kubernetesLiteral(e[1]));
                env.add(v);
            }
            c.put("env", env);
        }
        if (leader) {
            Map<String, Object> port = new LinkedHashMap<>();
            port.put("name", "http");
            port.put("containerPort", shape.port());
            c.put("ports", List.of(port));
            Map<String, Object> probe = new LinkedHashMap<>();
            Map<String, Object> http = new LinkedHashMap<>();
            http.put("path", "/health");
            http.put("port", shape.port());
            probe.put("httpGet", http);
            probe.put("initialDelaySeconds", 60);
            probe.put("periodSeconds", 10);
            c.put("readinessProbe", probe);
        }
        Map<String, Object> gpu = new LinkedHashMap<>();
        gpu.put("nvidia.com/gpu", String.valueOf(shape.gpus()));
        Map<String, Object> res = new LinkedHashMap<>();
        res.put("limits", gpu);
        res.put("requests", new LinkedHashMap<>(gpu));
        c.put("resources", res);
        if (shape.size() > 1) {
            Map<String, Object> caps = new LinkedHashMap<>();
            caps.put("add", List.of("IPC_LOCK"));
            Map<String, Object> sc = new LinkedHashMap<>();
            sc.put("capabilities", caps);
            c.put("securityContext", sc);
        }
        Map<String, Object> mount = new LinkedHashMap<>();
        mount.put("name", "dshm");
        mount.put("mountPath", "/dev/shm");
        c.put("volumeMounts", List.of(mount));

        Map<String, Object> spec = new LinkedHashMap<>();
        spec.put("containers", List.of(c));
        Map<String, Object> vol = new LinkedHashMap<>();
        vol.put("name", "dshm");
        Map<String, Object> ed = new LinkedHashMap<>();
        ed.put("medium", "Memory");
        vol.put("emptyDir", ed);
        spec.put("volumes", List.of(vol));
        return spec;
    }
}
