package dev.shardplan.emit;

import dev.shardplan.model.PlanPaths;
import dev.shardplan.diag.Diagnostic;
import dev.shardplan.emit.Command.Arg;
import dev.shardplan.emit.KubernetesEmitter.Cache;
import dev.shardplan.emit.KubernetesEmitter.Pods;
import dev.shardplan.emit.KubernetesEmitter.PoolPod;
import dev.shardplan.emit.KubernetesEmitter.Shape;
import dev.shardplan.engine.KvConnectors;
import dev.shardplan.engine.LlmdScheduler;
import dev.shardplan.engine.Startup;
import dev.shardplan.model.EngineKind;
import dev.shardplan.model.Plan;
import dev.shardplan.model.Pool;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * kubernetes/ for a disaggregated plan, in the form llm-d deploys prefill/decode disaggregation:
 * pools.yaml runs each pool as a Deployment of single-node instances, or a LeaderWorkerSet when an
 * instance spans nodes, its pods labelled with their role; inference-scheduler.yaml puts an
 * InferencePool over the serving pods, llm-d's endpoint picker (EPP) with a configuration that
 * sends every request's prompt to a prefill pod and its decoding to a decode pod, and an HTTPRoute
 * from the cluster's inference gateway to the pool. Each decode pod runs llm-d's routing sidecar
 * on the plan's API port in front of the engine: it sends the prompt to the prefill pod the EPP
 * chose, then decodes locally with the KV cache the connector moved. The facts are
 * {@link LlmdScheduler}'s.
 */
final class KubernetesPools {
    private KubernetesPools() {}

    /** Object names append "-prefill"/"-decode" (8 characters) to the plan's, within the 50 the plain target keeps. */
    static final int MAX_NAME = 42;
    /** The Gateway the HTTPRoute attaches to: the name llm-d's guides give it (deploy/components/inference-gateway/httproutes.yaml). */
    static final String GATEWAY = "inference-gateway";
    static final String EPP_CONFIG = "/etc/epp/config.yaml";

    static List<Diagnostic> check(EmitInput in) {
        List<Diagnostic> out = new ArrayList<>(PoolLaunch.analysed(in, "kubernetes"));
        if (!out.isEmpty()) return out;
        EngineKind kind = in.engine().kind();
        if (LlmdScheduler.sidecarConnector(kind) == null) {
            out.add(Diagnostic.of(EmitCodes.UNSUPPORTED, in.plan().spanOf(PlanPaths.EMIT),
                            "kubernetes: plan `" + in.plan().name() + "`'s pools run " + in.engine().release().label()
                                    + ", which llm-d's routing sidecar cannot join")
                    .note("llm-d " + LlmdScheduler.RELEASE + "'s sidecar speaks vLLM's NIXL protocol and SGLang's bootstrap protocol only")
                    .help("launch the pools with the `trtllm` target, or run them on vllm or sglang").build());
            return out;
        }
        out.addAll(kind == EngineKind.VLLM ? VllmPools.engineCheck(in, "kubernetes") : SglangPools.engineCheck(in, "kubernetes"));
        if (out.stream().anyMatch(Diagnostic::isError)) return out;
        for (PoolLaunch.Instance i : PoolLaunch.instances(in)) {
            if (i.index() != 0) continue;
            EmitInput ii = i.input();
            if (kind == EngineKind.VLLM && VllmLaunch.mode(ii) == VllmLaunch.Mode.MULTI_NODE && !VllmLaunch.nativeMultiNode(ii))
                out.add(VllmLaunch.noNativeMultiNode(ii, "kubernetes"));
        }
        out.addAll(KubernetesEmitter.nameChecks(in, MAX_NAME, "object names are RFC 1123 labels (lowercase letters, digits, '-'); "
                + "the pools' append -prefill or -decode and their pods more, so shardplan keeps them to " + MAX_NAME + " characters"));
        out.addAll(KubernetesEmitter.imageAndToken(in));
        out.addAll(Images.check(in));
        if (out.stream().anyMatch(Diagnostic::isError)) return out;
        for (PoolLaunch.Instance i : PoolLaunch.instances(in)) {
            if (i.index() != 0) continue;
            try {
                shape(in, i);
            } catch (KubernetesEmitter.Unsupported u) {
                Pool p = in.plan().disagg().pool(i.role());
                out.add(Diagnostic.of(EmitCodes.UNSUPPORTED, p.spanOf(PlanPaths.PARALLEL),
                        "kubernetes: pool `" + i.role().id() + "`: " + u.getMessage()).help(u.help).build());
            }
        }
        if (out.stream().anyMatch(Diagnostic::isError)) return out;
        List<String> assumed = new ArrayList<>();
        assumed.add("the HTTPRoute attaches to Gateway `" + GATEWAY + "` (llm-d's name for it), which must exist with an "
                + "inference-extension-capable implementation (Istio, kgateway, agentgateway, GKE)");
        boolean multi = false;
        for (PoolLaunch.Instance i : PoolLaunch.instances(in)) multi |= i.index() == 0 && shape(in, i).size() > 1;
        if (multi && in.deployment().kube().topologyKey() == null)
            assumed.add("one group per `" + KubernetesEmitter.TOPOLOGY_DEFAULT + "` (LWS exclusive placement); set `topology_key` to your rack or block label");
        if (rdmaNetwork(in) && in.deployment().kube().rdmaResource() == null)
            assumed.add("RDMA for the KV transfers from the device plugin resource `" + KubernetesEmitter.RDMA_DEFAULT
                    + "`; set `rdma_resource` to yours, or \"none\"");
        out.add(Diagnostic.of(EmitCodes.DEPLOY_DEFAULT, in.plan().spanOf(PlanPaths.DEPLOY), "kubernetes: the pools' manifests assume "
                        + String.join("; ", assumed))
                .help("edit the HTTPRoute's parentRefs for another Gateway, and set the deploy block's fields to match the cluster").build());
        return out;
    }

    private static boolean rdmaNetwork(EmitInput in) {
        String net = in.plan().cluster().network();
        return !"none".equals(in.deployment().kube().rdmaResource()) && (net.equals("infiniband") || net.equals("roce"));
    }

    /** The port the pool's engine listens on: a decode engine sits behind the sidecar, which takes the plan's port. */
    private static int enginePort(EmitInput in, Pool.Role role) {
        int port = in.deployment().port(in.engine().spec());
        return role == Pool.Role.DECODE ? port + LlmdScheduler.ENGINE_BEHIND_SIDECAR_OFFSET : port;
    }

    /** One pool instance's group: the pool's own flags, its engine port, and its KV transfer flags. */
    static Shape shape(EmitInput in, PoolLaunch.Instance i) {
        EmitInput ii = i.input();
        int port = enginePort(in, i.role());
        return KubernetesEmitter.shape(ii, shared -> poolArgs(in, ii, i.role(), shared, port), port);
    }

    private static List<Arg> poolArgs(EmitInput in, EmitInput ii, Pool.Role role, List<Arg> shared, int port) {
        EngineArgs ea = EngineArgs.of(ii, ii.engine().kind());
        String portFlag = ea.flag("port");
        List<Arg> a = new ArrayList<>();
        for (Arg x : shared) a.add(x.flag().equals(portFlag) ? VllmLaunch.arg(portFlag, port) : x);
        if (ii.engine().kind() == EngineKind.VLLM) {
            a.add(VllmLaunch.arg(ea.flag("kv_transfer_config"), VllmPools.kvTransferConfig(in)));
        } else {
            a.add(VllmLaunch.arg(ea.flag("disaggregation_mode"), role.id()));
            a.add(VllmLaunch.arg(ea.flag("disaggregation_transfer_backend"),
                    KvConnectors.find(EngineKind.SGLANG, in.plan().disagg().connector()).orElseThrow().engineValue()));
            // The sidecar tells the decode server the prefill pod's bootstrap port as its own default.
            if (role == Pool.Role.PREFILL) a.add(VllmLaunch.arg(ea.flag("disaggregation_bootstrap_port"), LlmdScheduler.SGLANG_BOOTSTRAP_PORT));
        }
        return a;
    }

    private static Map<String, Object> fieldEnv(String name, String path) {
        Map<String, Object> ref = new LinkedHashMap<>();
        ref.put("fieldPath", path);
        Map<String, Object> from = new LinkedHashMap<>();
        from.put("fieldRef", ref);
        Map<String, Object> v = new LinkedHashMap<>();
        v.put("name", name);
        v.put("valueFrom", from);
        return v;
    }

    /** The connector's environment: NIXL's side channel on the pod's own address (its default, localhost, is unreachable from other pods). */
    private static List<Object> connectorEnv(EmitInput in) {
        List<Object> env = new ArrayList<>();
        if (in.engine().kind() == EngineKind.VLLM) {
            env.add(fieldEnv(KvConnectors.VLLM_NIXL_HOST_ENV, "status.podIP"));
            env.add(Pods.env(KvConnectors.VLLM_NIXL_PORT_ENV, String.valueOf(KvConnectors.VLLM_NIXL_PORT_BASE)));
        }
        return env;
    }

    /** llm-d's routing sidecar of a decode pod: the plan's API port in front of the engine's. */
    private static Map<String, Object> sidecar(EmitInput in) {
        int port = in.deployment().port(in.engine().spec());
        Map<String, Object> c = new LinkedHashMap<>();
        c.put("name", "routing-sidecar");
        c.put("image", LlmdScheduler.SIDECAR_IMAGE);
        c.put("args", List.of(LlmdScheduler.SIDECAR_PORT, String.valueOf(port),
                LlmdScheduler.SIDECAR_VLLM_PORT, String.valueOf(port + LlmdScheduler.ENGINE_BEHIND_SIDECAR_OFFSET),
                LlmdScheduler.SIDECAR_KV_CONNECTOR, LlmdScheduler.sidecarConnector(in.engine().kind()),
                LlmdScheduler.SIDECAR_SECURE + "=false"));
        Map<String, Object> p = new LinkedHashMap<>();
        p.put("name", "sidecar");
        p.put("containerPort", port);
        p.put("protocol", "TCP");
        c.put("ports", List.of(p));
        // A native sidecar (Kubernetes 1.29+): started before the engine, running beside it.
        c.put("restartPolicy", "Always");
        return c;
    }

    private static Map<String, Object> labels(String name, Pool.Role role, boolean leader) {
        Map<String, Object> l = new LinkedHashMap<>();
        l.put("app.kubernetes.io/name", name);
        l.put("app.kubernetes.io/component", role.id());
        l.put("role", leader ? "leader" : "worker");
        if (leader) {
            l.put(LlmdScheduler.ROLE_LABEL, role.id());
            l.put(LlmdScheduler.SERVING_LABEL, "true");
            l.put(LlmdScheduler.MODEL_LABEL, name);
        }
        return l;
    }

    /**
     * The namespace of every object: the plan's, else "default" as a deploy block without one
     * resolves to (resolve.Deployments); the RoleBinding must name its ServiceAccount's namespace.
     */
    static String namespace(EmitInput in) {
        return in.deployment().namespace() != null ? in.deployment().namespace() : "default";
    }

    static List<OutputFile> emit(EmitInput in) {
        Plan plan = in.plan();
        String name = KubernetesEmitter.name(plan);
        Deployment dep = in.deployment();
        String ns = namespace(in);
        Cache cache = KubernetesEmitter.cache(in);
        List<String> docs = new ArrayList<>();
        List<String> comments = new ArrayList<>();
        comments.add("Prefill and decode pools of plan " + plan.name() + " (" + in.engine().release().label() + "), joined by "
                + "llm-d's inference scheduler (inference-scheduler.yaml).");
        comments.add(Header.generated(in));
        comments.add("Engine: " + in.engine().release().label() + " (image " + in.engine().release().image() + ").");
        comments.add("Apply: kubectl apply -f pools.yaml -f inference-scheduler.yaml (needs the LeaderWorkerSet controller for a "
                + "multi-node pool, the Gateway API Inference Extension " + LlmdScheduler.GAIE_RELEASE + " CRDs and a Gateway).");
        String firstImage = null;
        List<Map<String, Object>> objects = new ArrayList<>();
        List<String> lines = new ArrayList<>();
        for (PoolLaunch.Instance i : PoolLaunch.instances(in)) {
            if (i.index() != 0) continue;
            EmitInput ii = i.input();
            Pool pool = plan.disagg().pool(i.role());
            Shape shape = shape(in, i);
            String image = dep.image() != null ? dep.image() : ii.engine().release().image();
            if (firstImage == null) firstImage = image;
            PoolPod pp = new PoolPod(connectorEnv(ii), i.role() == Pool.Role.DECODE ? sidecar(in) : null,
                    plan.cluster().network());
            Pods pods = new Pods(ii, shape, image, ii.engine().kind().id(), cache, pp);
            String obj = name + "-" + i.role().id();
            Map<String, Object> leader = KubernetesEmitter.podTemplate(labels(name, i.role(), true), pods.spec(shape.leader(), true));
            if (shape.size() == 1) {
                objects.add(deployment(obj, ns, name, i.role(), pool.replicas(), leader));
            } else {
                Map<String, Object> worker = KubernetesEmitter.podTemplate(labels(name, i.role(), false), pods.spec(shape.worker(), false));
                objects.add(KubernetesEmitter.lws(obj, ns, Map.of(KubernetesEmitter.EXCLUSIVE_TOPOLOGY, KubernetesEmitter.topologyKey(in)),
                        pool.replicas(), shape.size(), leader, worker));
            }
            lines.add("Pool " + i.role().id() + ": " + pool.replicas() + " instance(s) of " + shape.size() + " pod(s) x " + shape.gpus()
                    + " GPU(s), " + (shape.size() == 1 ? "Deployment " : "LeaderWorkerSet ") + obj + ", engine on port " + shape.port()
                    + (i.role() == Pool.Role.DECODE ? " behind the routing sidecar on " + dep.port(in.engine().spec()) : "")
                    + "; startup probe allows " + Startup.explain(pods.weightsPerRank()) + ".");
        }
        comments.addAll(lines);
        comments.add("Model cache: " + switch (cache.kind()) {
            case "pvc" -> "claim " + cache.claim() + (cache.generated() ? " (generated below, " + cache.bytes() / KubernetesEmitter.GIB + " GiB, ReadWriteMany)" : " (existing)");
            case "host" -> "node folder " + ShellQuote.comment(cache.hostPath());
            default -> "none: each pod downloads the weights into its own filesystem at every start";
        } + ".");
        comments.addAll(EngineArgs.of(in, in.engine().kind()).comments());
        StringBuilder pools = new StringBuilder();
        if (cache.generated()) {
            pools.append(Yaml.document(comments, KubernetesEmitter.pvc(in, cache, "ReadWriteMany", ns))).append("---\n");
            comments = List.of();
        }
        for (int k = 0; k < objects.size(); k++) {
            pools.append(Yaml.document(k == 0 ? comments : List.of(), objects.get(k)));
            if (k + 1 < objects.size()) pools.append("---\n");
        }
        return List.of(OutputFile.text("kubernetes/pools.yaml", pools.toString()),
                OutputFile.text("kubernetes/inference-scheduler.yaml", scheduler(in, name)));
    }

    private static Map<String, Object> deployment(String obj, String ns, String name, Pool.Role role, int replicas, Map<String, Object> template) {
        Map<String, Object> d = new LinkedHashMap<>();
        d.put("apiVersion", "apps/v1");
        d.put("kind", "Deployment");
        d.put("metadata", KubernetesEmitter.metadata(obj, ns, Map.of()));
        Map<String, Object> spec = new LinkedHashMap<>();
        spec.put("replicas", replicas);
        Map<String, Object> match = new LinkedHashMap<>();
        match.put("app.kubernetes.io/name", name);
        match.put("app.kubernetes.io/component", role.id());
        spec.put("selector", Map.of("matchLabels", match));
        // A rolling update that needs no spare GPUs: one instance at a time is replaced, none added.
        Map<String, Object> ru = new LinkedHashMap<>();
        ru.put("maxSurge", 0);
        ru.put("maxUnavailable", 1);
        Map<String, Object> strategy = new LinkedHashMap<>();
        strategy.put("type", "RollingUpdate");
        strategy.put("rollingUpdate", ru);
        spec.put("strategy", strategy);
        spec.put("template", template);
        d.put("spec", spec);
        return d;
    }

    // ---- inference-scheduler.yaml ----

    private static String scheduler(EmitInput in, String name) {
        String ns = namespace(in);
        String epp = name + "-epp";
        int port = in.deployment().port(in.engine().spec());
        List<String> comments = List.of(
                "Inference scheduler of plan " + in.plan().name() + ": InferencePool " + name + " over the serving pods of both pools, "
                        + "llm-d's endpoint picker " + LlmdScheduler.RELEASE + " (" + LlmdScheduler.EPP_IMAGE + ") and an HTTPRoute from "
                        + "Gateway " + GATEWAY + ".",
                Header.generated(in),
                "Each request: the EPP picks a decode pod (decode profile) and a prefill pod (prefill profile, every request: "
                        + "the plan prefills in its own pool), the decode pod's routing sidecar sends the prompt to that prefill pod, "
                        + "and the KV cache moves over " + in.plan().disagg().connector() + ".",
                "Clients call the Gateway; the pool's pods serve on port " + port + ".",
                "The EPP's /metrics is served without authentication (" + LlmdScheduler.EPP_METRICS_AUTH + "=false): checking tokens "
                        + "needs cluster-wide RBAC (tokenreviews) that these namespaced manifests do not grant.");
        List<Map<String, Object>> objs = new ArrayList<>();
        objs.add(inferencePool(name, ns, epp, port));
        objs.add(configMap(epp, ns, in));
        Map<String, Object> sa = new LinkedHashMap<>();
        sa.put("apiVersion", "v1");
        sa.put("kind", "ServiceAccount");
        sa.put("metadata", KubernetesEmitter.metadata(epp, ns, Map.of()));
        objs.add(sa);
        objs.add(role(epp, ns));
        objs.add(roleBinding(epp, ns));
        objs.add(eppDeployment(epp, ns, name, in));
        objs.add(eppService(epp, ns));
        objs.add(httpRoute(name, ns, port));
        StringBuilder b = new StringBuilder();
        for (int k = 0; k < objs.size(); k++) {
            b.append(Yaml.document(k == 0 ? comments : List.of(), objs.get(k)));
            if (k + 1 < objs.size()) b.append("---\n");
        }
        return b.toString();
    }

    private static Map<String, Object> inferencePool(String name, String ns, String epp, int port) {
        Map<String, Object> o = new LinkedHashMap<>();
        o.put("apiVersion", LlmdScheduler.INFERENCE_POOL_API);
        o.put("kind", "InferencePool");
        o.put("metadata", KubernetesEmitter.metadata(name, ns, Map.of()));
        Map<String, Object> spec = new LinkedHashMap<>();
        Map<String, Object> match = new LinkedHashMap<>();
        match.put(LlmdScheduler.SERVING_LABEL, "true");
        match.put(LlmdScheduler.MODEL_LABEL, name);
        spec.put("selector", Map.of("matchLabels", match));
        spec.put("targetPorts", List.of(Map.of("number", port)));
        Map<String, Object> ref = new LinkedHashMap<>();
        ref.put("kind", "Service");
        ref.put("name", epp);
        ref.put("port", Map.of("number", LlmdScheduler.EPP_GRPC));
        spec.put("endpointPickerRef", ref);
        o.put("spec", spec);
        return o;
    }

    private static Map<String, Object> plugin(String type) {
        Map<String, Object> p = new LinkedHashMap<>();
        p.put("type", type);
        return p;
    }

    private static Map<String, Object> ref(String plugin, Integer weight) {
        Map<String, Object> r = new LinkedHashMap<>();
        r.put("pluginRef", plugin);
        if (weight != null) r.put("weight", weight);
        return r;
    }

    /**
     * The EPP's configuration: every request is prefilled in the prefill pool (the plan's split,
     * which shardplan's simulation predicts), each profile filters its pods by role and takes the
     * one with the shortest queue, then the most free KV cache.
     */
    static Map<String, Object> eppConfig() {
        Map<String, Object> c = new LinkedHashMap<>();
        c.put("apiVersion", LlmdScheduler.CONFIG_API);
        c.put("kind", LlmdScheduler.CONFIG_KIND);
        List<Object> plugins = new ArrayList<>();
        plugins.add(plugin(LlmdScheduler.DISAGG_HEADERS_HANDLER));
        plugins.add(plugin(LlmdScheduler.ALWAYS_DISAGG_DECIDER));
        Map<String, Object> handler = plugin(LlmdScheduler.DISAGG_PROFILE_HANDLER);
        handler.put("parameters", Map.of("deciders", Map.of("prefill", LlmdScheduler.ALWAYS_DISAGG_DECIDER)));
        plugins.add(handler);
        for (String t : List.of(LlmdScheduler.PREFILL_FILTER, LlmdScheduler.DECODE_FILTER, LlmdScheduler.QUEUE_SCORER,
                LlmdScheduler.KV_CACHE_SCORER, LlmdScheduler.MAX_SCORE_PICKER))
            plugins.add(plugin(t));
        c.put("plugins", plugins);
        List<Object> profiles = new ArrayList<>();
        for (String[] p : List.of(new String[] {LlmdScheduler.PREFILL_PROFILE, LlmdScheduler.PREFILL_FILTER},
                new String[] {LlmdScheduler.DECODE_PROFILE, LlmdScheduler.DECODE_FILTER})) {
            Map<String, Object> prof = new LinkedHashMap<>();
            prof.put("name", p[0]);
            prof.put("plugins", List.of(ref(p[1], null), ref(LlmdScheduler.QUEUE_SCORER, 2), ref(LlmdScheduler.KV_CACHE_SCORER, 1),
                    ref(LlmdScheduler.MAX_SCORE_PICKER, null)));
            profiles.add(prof);
        }
        c.put("schedulingProfiles", profiles);
        return c;
    }

    private static Map<String, Object> configMap(String epp, String ns, EmitInput in) {
        Map<String, Object> o = new LinkedHashMap<>();
        o.put("apiVersion", "v1");
        o.put("kind", "ConfigMap");
        o.put("metadata", KubernetesEmitter.metadata(epp, ns, Map.of()));
        o.put("data", Map.of("config.yaml", Yaml.document(List.of(), eppConfig())));
        return o;
    }

    private static Map<String, Object> rule(List<String> groups, List<String> resources) {
        Map<String, Object> r = new LinkedHashMap<>();
        r.put("apiGroups", groups);
        r.put("resources", resources);
        r.put("verbs", List.of("get", "watch", "list"));
        return r;
    }

    /** What the EPP reads (llm-d v0.8.0 deploy/components/inference-gateway/rbac.yaml): the pods, its InferencePool and objectives. */
    private static Map<String, Object> role(String epp, String ns) {
        Map<String, Object> o = new LinkedHashMap<>();
        o.put("apiVersion", "rbac.authorization.k8s.io/v1");
        o.put("kind", "Role");
        o.put("metadata", KubernetesEmitter.metadata(epp, ns, Map.of()));
        o.put("rules", List.of(rule(List.of(""), List.of("pods")),
                rule(List.of(LlmdScheduler.INFERENCE_POOL_GROUP), List.of("inferencepools")),
                rule(List.of("inference.networking.x-k8s.io"), List.of("inferencepools", "inferenceobjectives", "inferencemodelrewrites"))));
        return o;
    }

    private static Map<String, Object> roleBinding(String epp, String ns) {
        Map<String, Object> o = new LinkedHashMap<>();
        o.put("apiVersion", "rbac.authorization.k8s.io/v1");
        o.put("kind", "RoleBinding");
        o.put("metadata", KubernetesEmitter.metadata(epp, ns, Map.of()));
        Map<String, Object> subject = new LinkedHashMap<>();
        subject.put("kind", "ServiceAccount");
        subject.put("name", epp);
        subject.put("namespace", ns);
        o.put("subjects", List.of(subject));
        Map<String, Object> ref = new LinkedHashMap<>();
        ref.put("apiGroup", "rbac.authorization.k8s.io");
        ref.put("kind", "Role");
        ref.put("name", epp);
        o.put("roleRef", ref);
        return o;
    }

    /** The EPP's arguments: its pool, the configuration, the ports written out, and the engine's metric names. */
    static List<String> eppArgs(String pool, EmitInput in) {
        List<String> a = new ArrayList<>();
        a.add(LlmdScheduler.EPP_POOL_NAME);
        a.add(pool);
        a.add(LlmdScheduler.EPP_POOL_NAMESPACE);
        a.add(namespace(in));
        a.add(LlmdScheduler.EPP_CONFIG_FILE);
        a.add(EPP_CONFIG);
        a.add(LlmdScheduler.EPP_GRPC_PORT);
        a.add(String.valueOf(LlmdScheduler.EPP_GRPC));
        a.add(LlmdScheduler.EPP_GRPC_HEALTH_PORT);
        a.add(String.valueOf(LlmdScheduler.EPP_HEALTH));
        a.add(LlmdScheduler.EPP_METRICS_PORT);
        a.add(String.valueOf(LlmdScheduler.EPP_METRICS));
        a.add(LlmdScheduler.EPP_METRICS_AUTH + "=false");
        // No trace collector is deployed with the pools.
        a.add(LlmdScheduler.EPP_TRACING + "=false");
        if (in.engine().kind() == EngineKind.SGLANG) {
            for (LlmdScheduler.Metric m : LlmdScheduler.METRICS) {
                a.add(m.flag());
                a.add(m.sglang());
            }
        }
        return a;
    }

    private static Map<String, Object> grpcProbe(String service, int period) {
        Map<String, Object> g = new LinkedHashMap<>();
        g.put("port", LlmdScheduler.EPP_HEALTH);
        g.put("service", service);
        Map<String, Object> p = new LinkedHashMap<>();
        p.put("grpc", g);
        p.put("initialDelaySeconds", 5);
        p.put("periodSeconds", period);
        return p;
    }

    private static Map<String, Object> eppDeployment(String epp, String ns, String pool, EmitInput in) {
        Map<String, Object> c = new LinkedHashMap<>();
        c.put("name", "epp");
        c.put("image", LlmdScheduler.EPP_IMAGE);
        c.put("args", eppArgs(pool, in));
        List<Object> ports = new ArrayList<>();
        for (Object[] p : List.of(new Object[] {"grpc", LlmdScheduler.EPP_GRPC}, new Object[] {"grpc-health", LlmdScheduler.EPP_HEALTH},
                new Object[] {"metrics", LlmdScheduler.EPP_METRICS})) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("name", p[0]);
            m.put("containerPort", p[1]);
            ports.add(m);
        }
        c.put("ports", ports);
        c.put("env", List.of(fieldEnv("NAMESPACE", "metadata.namespace"), fieldEnv("POD_NAME", "metadata.name")));
        c.put("livenessProbe", grpcProbe(LlmdScheduler.HEALTH_LIVENESS, 10));
        c.put("readinessProbe", grpcProbe(LlmdScheduler.HEALTH_READINESS, 2));
        Map<String, Object> mount = new LinkedHashMap<>();
        mount.put("name", "epp-config");
        mount.put("mountPath", EPP_CONFIG.substring(0, EPP_CONFIG.lastIndexOf('/')));
        c.put("volumeMounts", List.of(mount));
        Map<String, Object> vol = new LinkedHashMap<>();
        vol.put("name", "epp-config");
        vol.put("configMap", Map.of("name", epp));
        Map<String, Object> podSpec = new LinkedHashMap<>();
        podSpec.put("serviceAccountName", epp);
        podSpec.put("containers", List.of(c));
        podSpec.put("volumes", List.of(vol));
        Map<String, Object> labels = new LinkedHashMap<>();
        labels.put("app.kubernetes.io/name", epp);
        Map<String, Object> d = new LinkedHashMap<>();
        d.put("apiVersion", "apps/v1");
        d.put("kind", "Deployment");
        d.put("metadata", KubernetesEmitter.metadata(epp, ns, Map.of()));
        Map<String, Object> spec = new LinkedHashMap<>();
        spec.put("replicas", 1);
        spec.put("selector", Map.of("matchLabels", labels));
        // One active picker (GAIE's chart): the old one stops before the new one starts.
        spec.put("strategy", Map.of("type", "Recreate"));
        spec.put("template", KubernetesEmitter.podTemplate(labels, podSpec));
        d.put("spec", spec);
        return d;
    }

    private static Map<String, Object> eppService(String epp, String ns) {
        Map<String, Object> o = new LinkedHashMap<>();
        o.put("apiVersion", "v1");
        o.put("kind", "Service");
        o.put("metadata", KubernetesEmitter.metadata(epp, ns, Map.of()));
        Map<String, Object> spec = new LinkedHashMap<>();
        spec.put("type", "ClusterIP");
        spec.put("selector", Map.of("app.kubernetes.io/name", epp));
        Map<String, Object> grpc = new LinkedHashMap<>();
        grpc.put("name", "grpc");
        grpc.put("protocol", "TCP");
        grpc.put("port", LlmdScheduler.EPP_GRPC);
        grpc.put("targetPort", LlmdScheduler.EPP_GRPC);
        // The gateway speaks ext_proc over HTTP/2 to the picker.
        grpc.put("appProtocol", "http2");
        Map<String, Object> metrics = new LinkedHashMap<>();
        metrics.put("name", "metrics");
        metrics.put("protocol", "TCP");
        metrics.put("port", LlmdScheduler.EPP_METRICS);
        metrics.put("targetPort", LlmdScheduler.EPP_METRICS);
        spec.put("ports", List.of(grpc, metrics));
        o.put("spec", spec);
        return o;
    }

    private static Map<String, Object> httpRoute(String name, String ns, int port) {
        Map<String, Object> o = new LinkedHashMap<>();
        o.put("apiVersion", "gateway.networking.k8s.io/v1");
        o.put("kind", "HTTPRoute");
        o.put("metadata", KubernetesEmitter.metadata(name, ns, Map.of()));
        Map<String, Object> spec = new LinkedHashMap<>();
        spec.put("parentRefs", List.of(Map.of("name", GATEWAY)));
        Map<String, Object> path = new LinkedHashMap<>();
        path.put("type", "PathPrefix");
        path.put("value", "/");
        Map<String, Object> backend = new LinkedHashMap<>();
        backend.put("group", LlmdScheduler.INFERENCE_POOL_GROUP);
        backend.put("kind", "InferencePool");
        backend.put("name", name);
        backend.put("port", port);
        Map<String, Object> rule = new LinkedHashMap<>();
        rule.put("matches", List.of(Map.of("path", path)));
        rule.put("backendRefs", List.of(backend));
        // Reasoning answers stream for minutes; a zero timeout turns the gateway's request timeout off (Gateway API HTTPRouteTimeouts).
        rule.put("timeouts", Map.of("request", "0s"));
        spec.put("rules", List.of(rule));
        o.put("spec", spec);
        return o;
    }
}
