package dev.shardplan.emit;

import dev.shardplan.model.PlanPaths;
import dev.shardplan.layout.Rank;
import dev.shardplan.layout.RankLayout;
import dev.shardplan.diag.Diagnostic;
import dev.shardplan.emit.Command.Arg;
import dev.shardplan.engine.Startup;
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
    public boolean launchesPools() {
        return true;
    }

    @Override
    public List<Diagnostic> check(EmitInput in) {
        if (in.plan().disaggregated()) return KubernetesPools.check(in);
        List<Diagnostic> out = new ArrayList<>(engineCheck(in));
        Plan plan = in.plan();
        out.addAll(nameChecks(in, 50, "LeaderWorkerSet and Service names are RFC 1123 labels (lowercase letters, digits, '-'); "
                + "pod names append -<group>-<index>, so shardplan keeps them to 50 characters"));
        if (!hasErrors(out)) {
            try {
                shape(in);
            } catch (Unsupported u) {
                out.add(Diagnostic.of(EmitCodes.UNSUPPORTED, plan.spanOf(PlanPaths.PARALLEL), "kubernetes: " + u.getMessage())
                        .help(u.help).build());
            }
        }
        out.addAll(imageAndToken(in));
        Deployment dep = in.deployment();
        if (!hasErrors(out)) {
            Shape shape = shape(in);
            List<String> assumed = new ArrayList<>();
            if (shape.size() > 1 && dep.kube().topologyKey() == null)
                assumed.add("one group per `" + TOPOLOGY_DEFAULT + "` (LWS exclusive placement); set `topology_key` to your rack or block label");
            if (shape.size() > 1 && new Pods(in, shape, "", "", cache(in)).rdma() != null && dep.kube().rdmaResource() == null)
                assumed.add("RDMA from the device plugin resource `" + RDMA_DEFAULT + "`; set `rdma_resource` to yours, or \"none\"");
            if (!assumed.isEmpty())
                out.add(Diagnostic.of(EmitCodes.DEPLOY_DEFAULT, plan.spanOf(PlanPaths.DEPLOY), "kubernetes: the group spans " + shape.size()
                                + " nodes; assumed " + String.join("; ", assumed))
                        .help("set them in the deploy block to match the cluster").build());
        }
        out.addAll(Images.check(in));
        return out;
    }

    /**
     * The plan's object names and namespace as Kubernetes takes them; {@code note} says why the
     * name keeps to {@code max} characters (what the objects and pods append to it).
     */
    static List<Diagnostic> nameChecks(EmitInput in, int max, String note) {
        List<Diagnostic> out = new ArrayList<>();
        Plan plan = in.plan();
        String name = name(plan);
        if (!DNS_LABEL.matcher(name).matches() || name.length() > max) {
            out.add(Diagnostic.of(EmitCodes.INVALID_NAME, plan.span(),
                            "kubernetes: plan name `" + plan.name() + "` gives the object name `" + name + "`, not a DNS label")
                    .note(note)
                    .help("rename the plan with letters, digits and '_' only, at most " + max + " characters")
                    .build());
        }
        String ns = in.deployment().namespace();
        if (ns != null && (!DNS_LABEL.matcher(ns).matches() || ns.length() > 63)) {
            out.add(Diagnostic.of(EmitCodes.INVALID_NAME, plan.spanOf(PlanPaths.DEPLOY_NAMESPACE),
                            "kubernetes: namespace `" + ShellQuote.comment(ns) + "` is not a DNS label")
                    .note("namespaces are RFC 1123 labels: lowercase letters, digits and '-', at most 63 characters")
                    .help("use a namespace such as `inference`")
                    .build());
        }
        return out;
    }

    /** The image the pods run when the plan names none, and a gated model's token. */
    static List<Diagnostic> imageAndToken(EmitInput in) {
        List<Diagnostic> out = new ArrayList<>();
        Plan plan = in.plan();
        Deployment dep = in.deployment();
        if (in.deployment().image() == null) {
            out.add(Diagnostic.of(EmitCodes.DEFAULT_IMAGE, plan.spanOf(PlanPaths.DEPLOY),
                            "kubernetes: no image given, using " + in.engine().release().image() + ", the release the plan assumes")
                    .help("set deploy { image \"...\" } to use your own build of " + in.engine().release().label())
                    .build());
        }
        if (plan.model().gated() && dep.fromHub() && dep.kube().hfTokenSecret() == null) {
            out.add(Diagnostic.of(EmitCodes.GATED_WITHOUT_TOKEN, plan.spanOf(PlanPaths.MODEL),
                            "kubernetes: " + dep.modelPath() + " is a gated Hugging Face repository and the pods get no token")
                    .note("the download would fail with 401/403 at every pod start; model " + plan.model().name() + " is declared `gated true`")
                    .help("create a Secret with the token (kubectl create secret generic hf-token --from-literal=HF_TOKEN=hf_...) and set "
                            + "`deploy { hf_token_secret \"hf-token\" }`, or point `model_path` at a local copy")
                    .build());
        }
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

    static final class Unsupported extends RuntimeException {
        final String help;

        Unsupported(String message, String help) {
            super(message);
            this.help = help;
        }
    }

    static Shape shape(EmitInput in) {
        return shape(in, java.util.function.UnaryOperator.identity(), in.deployment().port(in.engine().spec()));
    }

    /**
     * The group of one deployment of the engine; {@code adjust} rewrites the flags every node
     * shares (a pool instance's port and KV transfer flags), and {@code port} is the one the
     * engine then listens on.
     */
    static Shape shape(EmitInput in, java.util.function.UnaryOperator<List<Arg>> adjust, int port) {
        RankLayout l = in.layout();
        int nodes = l.nodes();
        int gpus = Shapes.gpusPerNodeUsed(l);
        EngineKind kind = in.plan().engine().kind();
        switch (kind) {
            case VLLM -> {
                List<Arg> shared = adjust.apply(VllmLaunch.common(in, new ArrayList<>()));
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
                List<Arg> shared = adjust.apply(SglangLaunch.common(in, new ArrayList<>()));
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

    // ---- Kubernetes facts the manifests rely on, with their sources ----

    /** Where the Hugging Face cache is mounted; HF_HOME points the engines and the download step at it. */
    static final String CACHE_MOUNT = "/root/.cache/huggingface";
    /** NVIDIA GPU Feature Discovery labels each GPU node with its product name, spaces as '-' (e.g. NVIDIA-H200). */
    static final String GPU_PRODUCT_LABEL = "nvidia.com/gpu.product";
    /** GPU nodes are commonly tainted nvidia.com/gpu:NoSchedule (GKE, the GPU operator's docs); the pods tolerate it. */
    static final String GPU_TAINT = "nvidia.com/gpu";
    /** The NVIDIA network operator's RDMA shared-device plugin advertises rdma/rdma_shared_device_a by default. */
    static final String RDMA_DEFAULT = "rdma/rdma_shared_device_a";
    /** kubernetes-sigs/lws api/leaderworkerset/v1/leaderworkerset_types.go ExclusiveKeyAnnotationKey: one group per topology domain. */
    static final String EXCLUSIVE_TOPOLOGY = "leaderworkerset.sigs.k8s.io/exclusive-topology";
    /** A well-known node label present on every cloud node; a rack or block label is better where the cluster has one. */
    static final String TOPOLOGY_DEFAULT = "topology.kubernetes.io/zone";
    /**
     * CPU and host memory per GPU a pod requests: the engines run a worker process per GPU beside
     * the API server and tokenizer. SGLang's example requests 16 GiB for one GPU
     * (docker/k8s-sglang-service.yaml); LWS's vLLM example 125 CPUs for eight (docs/examples/vllm/GPU/lws.yaml).
     */
    static final int CPU_PER_GPU = 8;
    static final long MEMORY_PER_GPU = 16L << 30;
    static final long GIB = 1L << 30;
    /** Startup probe period; its failure threshold stretches it over the start-up budget. */
    static final int STARTUP_PERIOD = 10;
    /** Fetches the checkpoint into the cache before the engine starts (its reads stay off the Hub and out of the probe's budget). */
    static final String DOWNLOAD_SCRIPT = "import os\n"
            + "from huggingface_hub import snapshot_download\n"
            + "# original/ holds Meta's consolidated checkpoint, which the engines do not read.\n"
            + "snapshot_download(os.environ[\"SHARDPLAN_MODEL\"], ignore_patterns=[\"original/*\"])\n";

    /** The model cache a plan's pods mount: a claim (generated or existing), a node folder, or none. */
    record Cache(String kind, String claim, String hostPath, boolean generated, long bytes) {
        boolean none() {
            return kind.equals("none");
        }
    }

    static Cache cache(EmitInput in) {
        String c = in.deployment().kube().modelCache();
        String name = name(in.plan());
        if (c == null || c.equals("pvc")) return new Cache("pvc", name + "-models", null, true, cacheBytes(in));
        if (c.equals("none")) return new Cache("none", null, null, false, 0);
        if (c.startsWith("pvc:")) return new Cache("pvc", c.substring(4), null, false, 0);
        return new Cache("host", null, c.substring(5), false, 0);
    }

    /**
     * The claim's size: the plan's, else the checkpoint ({@code Sharding.checkpointBytes}, MTP
     * layers included) with a quarter more for tokenizer files and revisions, rounded up to 10 GiB.
     */
    static long cacheBytes(EmitInput in) {
        long set = in.deployment().kube().modelCacheBytes();
        if (set > 0) return set;
        long w = dev.shardplan.layout.Sharding.checkpointBytes(in.plan().model());
        long ten = 10 * GIB;
        return (long) Math.ceil(w * 1.25 / ten) * ten;
    }

    @Override
    public List<OutputFile> emit(EmitInput in) {
        if (in.plan().disaggregated()) return KubernetesPools.emit(in);
        Plan plan = in.plan();
        Shape shape = shape(in);
        String name = name(plan);
        Deployment dep = in.deployment();
        String image = dep.image() != null ? dep.image() : in.engine().release().image();
        String container = plan.engine().kind().id();
        Cache cache = cache(in);
        Pods pods = new Pods(in, shape, image, container, cache);

        Map<String, String> annotations = new LinkedHashMap<>();
        if (shape.size() > 1) annotations.put(EXCLUSIVE_TOPOLOGY, topologyKey(in));
        Map<String, Object> lws = shape.worker() != null
                ? lws(name, dep.namespace(), annotations, shape.replicas(), shape.size(),
                        podTemplate(name, true, pods.spec(shape.leader(), true)), podTemplate(name, false, pods.spec(shape.worker(), false)))
                : lws(name, dep.namespace(), annotations, shape.replicas(), shape.size(), null, podTemplate(name, true, pods.spec(shape.leader(), true)));

        Map<String, Object> svc = new LinkedHashMap<>();
        svc.put("apiVersion", "v1");
        svc.put("kind", "Service");
        svc.put("metadata", metadata(name, dep.namespace(), Map.of()));
        Map<String, Object> sspec = new LinkedHashMap<>();
        sspec.put("type", "ClusterIP");
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
        comments.add("Apply: kubectl apply -f leaderworkerset.yaml (needs the LeaderWorkerSet controller, leaderworkerset.x-k8s.io/v1).");
        comments.add("Requests go to Service " + name + ", port " + shape.port() + ": " + balancing(in, shape));
        comments.add("Start-up: " + (pods.downloads() ? "an init container downloads " + ShellQuote.comment(dep.modelPath()) + " into the model cache, then " : "")
                + "the startup probe allows " + Startup.explain(pods.weightsPerRank()) + "; liveness and readiness probes take over after.");
        comments.add("Model cache: " + switch (cache.kind()) {
            case "pvc" -> "claim " + cache.claim() + (cache.generated() ? " (generated below, " + cache.bytes() / GIB + " GiB, " + pods.accessMode() + ")" : " (existing)");
            case "host" -> "node folder " + ShellQuote.comment(cache.hostPath());
            default -> "none: each pod downloads the weights into its own filesystem at every start";
        } + ", mounted at " + ShellQuote.comment(pods.cacheMount()) + (pods.cacheMount().equals(CACHE_MOUNT) ? " (HF_HOME)." : ", the folder of the model path: it must hold the checkpoint."));
        if (dep.kube().hfTokenSecret() != null)
            comments.add("Hugging Face token: Secret " + ShellQuote.comment(secretName(dep)) + ", key " + ShellQuote.comment(secretKey(dep))
                    + " (kubectl create secret generic " + ShellQuote.comment(secretName(dep)) + " --from-literal=" + ShellQuote.comment(secretKey(dep)) + "=hf_...).");
        comments.addAll(EngineArgs.of(in, in.engine().kind()).comments());
        StringBuilder text = new StringBuilder();
        if (cache.generated()) {
            text.append(Yaml.document(comments, pvc(in, cache, pods.accessMode()))).append("---\n");
            comments = List.of();
        }
        text.append(Yaml.document(comments, lws)).append("---\n").append(Yaml.document(List.of(), svc));
        return List.of(OutputFile.text("kubernetes/leaderworkerset.yaml", text.toString()));
    }

    /** A LeaderWorkerSet of {@code replicas} groups of {@code size} pods; with no leader template every pod runs the worker's. */
    static Map<String, Object> lws(String name, String namespace, Map<String, String> annotations, int replicas, int size,
                                   Map<String, Object> leader, Map<String, Object> worker) {
        Map<String, Object> lws = new LinkedHashMap<>();
        lws.put("apiVersion", API_VERSION);
        lws.put("kind", "LeaderWorkerSet");
        lws.put("metadata", metadata(name, namespace, annotations));
        Map<String, Object> spec = new LinkedHashMap<>();
        spec.put("replicas", replicas);
        spec.put("startupPolicy", "LeaderCreated");
        Map<String, Object> tmpl = new LinkedHashMap<>();
        tmpl.put("size", size);
        tmpl.put("restartPolicy", "RecreateGroupOnPodRestart");
        if (leader != null) tmpl.put("leaderTemplate", leader);
        tmpl.put("workerTemplate", worker);
        spec.put("leaderWorkerTemplate", tmpl);
        lws.put("spec", spec);
        return lws;
    }

    /** How the Service's requests reach the replicas: over the LWS groups' leaders, or the engine's own DP balancing. */
    static String balancing(EmitInput in, Shape shape) {
        int dp = in.plan().parallel().dp();
        if (shape.replicas() > 1) return "Kubernetes balances over the " + shape.replicas() + " groups' leaders (one server per DP replica), each taken out while not ready.";
        if (dp > 1) return in.engine().spec().title() + " balances over its " + dp + " DP ranks itself (one API server in front of them).";
        return "one server.";
    }

    static String topologyKey(EmitInput in) {
        String k = in.deployment().kube().topologyKey();
        return k != null ? k : TOPOLOGY_DEFAULT;
    }

    static String secretName(Deployment d) {
        String s = d.kube().hfTokenSecret();
        int slash = s.indexOf('/');
        return slash < 0 ? s : s.substring(0, slash);
    }

    static String secretKey(Deployment d) {
        String s = d.kube().hfTokenSecret();
        int slash = s.indexOf('/');
        return slash < 0 ? "HF_TOKEN" : s.substring(slash + 1);
    }

    static Map<String, Object> pvc(EmitInput in, Cache cache, String accessMode) {
        return pvc(in, cache, accessMode, in.deployment().namespace());
    }

    static Map<String, Object> pvc(EmitInput in, Cache cache, String accessMode, String namespace) {
        Map<String, Object> o = new LinkedHashMap<>();
        o.put("apiVersion", "v1");
        o.put("kind", "PersistentVolumeClaim");
        Map<String, Object> meta = metadata(cache.claim(), namespace, Map.of());
        o.put("metadata", meta);
        Map<String, Object> spec = new LinkedHashMap<>();
        spec.put("accessModes", List.of(accessMode));
        Map<String, Object> req = new LinkedHashMap<>();
        req.put("storage", cache.bytes() / GIB + "Gi");
        Map<String, Object> res = new LinkedHashMap<>();
        res.put("requests", req);
        spec.put("resources", res);
        if (in.deployment().kube().storageClass() != null) spec.put("storageClassName", in.deployment().kube().storageClass());
        spec.put("volumeMode", "Filesystem");
        o.put("spec", spec);
        return o;
    }

    static Map<String, Object> metadata(String name, String namespace, Map<String, String> annotations) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("name", name);
        if (namespace != null) m.put("namespace", namespace);
        Map<String, Object> labels = new LinkedHashMap<>();
        labels.put("app.kubernetes.io/name", name);
        labels.put("app.kubernetes.io/managed-by", "shardplan");
        m.put("labels", labels);
        if (!annotations.isEmpty()) m.put("annotations", new LinkedHashMap<>(annotations));
        return m;
    }

    private static Map<String, Object> podTemplate(String name, boolean leader, Map<String, Object> podSpec) {
        Map<String, Object> labels = new LinkedHashMap<>();
        labels.put("app.kubernetes.io/name", name);
        labels.put("role", leader ? "leader" : "worker");
        return podTemplate(labels, podSpec);
    }

    static Map<String, Object> podTemplate(Map<String, Object> labels, Map<String, Object> podSpec) {
        Map<String, Object> t = new LinkedHashMap<>();
        Map<String, Object> meta = new LinkedHashMap<>();
        meta.put("labels", new LinkedHashMap<>(labels));
        t.put("metadata", meta);
        t.put("spec", podSpec);
        return t;
    }

    /**
     * What a disaggregated plan's pool pod adds to the plain one: the environment its KV connector
     * reads (the pod's own address), the plan's cluster network (an instance's own cluster on one
     * node has none, but its KV caches cross nodes), and on a decode leader the routing sidecar, which starts
     * before the engine and stays up beside it (an init container with restartPolicy Always).
     */
    record PoolPod(List<Object> env, Map<String, Object> sidecar, String network) {}

    /** The pod specs of one plan: what every pod of the group shares, and the leader's probes and port. */
    static final class Pods {
        private final EmitInput in;
        private final Shape shape;
        private final String image, container;
        private final Cache cache;
        private final Deployment dep;
        private final PoolPod pool;

        Pods(EmitInput in, Shape shape, String image, String container, Cache cache) {
            this(in, shape, image, container, cache, null);
        }

        Pods(EmitInput in, Shape shape, String image, String container, Cache cache, PoolPod pool) {
            this.in = in;
            this.shape = shape;
            this.image = image;
            this.container = container;
            this.cache = cache;
            this.dep = in.deployment();
            this.pool = pool;
        }

        private String fabricKind() {
            return pool != null ? pool.network() : in.plan().cluster().network();
        }

        /** Whether the pod's traffic crosses nodes: a group over nodes, or a pool pod moving KV caches. */
        boolean fabric() {
            return multiNode() || pool != null;
        }

        boolean downloads() {
            return dep.fromHub() && !cache.none();
        }

        boolean multiNode() {
            return shape.size() > 1;
        }

        /** RDMA for a group over nodes on an InfiniBand or RoCE cluster, unless the plan says none. */
        String rdma() {
            String r = dep.kube().rdmaResource();
            if ("none".equals(r) || !fabric()) return null;
            String net = fabricKind();
            if (!net.equals("infiniband") && !net.equals("roce")) return null;
            return r != null ? r : RDMA_DEFAULT;
        }

        String accessMode() {
            return shape.size() * shape.replicas() > 1 ? "ReadWriteMany" : "ReadWriteOnce";
        }

        /** The largest shard a pod's ranks load (they load in parallel). */
        long weightsPerRank() {
            long max = 0;
            for (Rank r : in.layout().ranks()) max = Math.max(max, in.memory(r.rank()).weights());
            return max;
        }

        long shm() {
            long s = dep.kube().shmBytes();
            return s > 0 ? s : in.engine().spec().serving(in.engine().release()).shmBytes();
        }

        /** Host memory of the KV offload tier on one pod: bytes per rank x ranks per pod. */
        long offloadPerPod() {
            var e = in.engine().role(dev.shardplan.engine.Role.KV_OFFLOAD);
            if (e.isEmpty() || e.get().count() <= 0) return 0;
            long perRank = e.get().count() / in.engine().spec().limitRanks(dev.shardplan.engine.Role.KV_OFFLOAD, in.plan().parallel());
            return perRank * shape.gpus();
        }

        String gpuResource() {
            return switch (in.plan().cluster().gpu().vendor()) {
                case "amd" -> "amd.com/gpu";
                case "intel" -> "habana.ai/gaudi";
                default -> "nvidia.com/gpu";
            };
        }

        Map<String, Object> spec(Role role, boolean leader) {
            Map<String, Object> spec = new LinkedHashMap<>();
            Map<String, Object> selector = new LinkedHashMap<>();
            if (gpuResource().equals("nvidia.com/gpu"))
                selector.put(GPU_PRODUCT_LABEL, in.plan().cluster().gpu().deviceName().strip().replace(' ', '-'));
            for (String kv : dep.kube().nodeSelector()) {
                int eq = kv.indexOf('=');
                selector.put(kv.substring(0, eq), kv.substring(eq + 1));
            }
            if (!selector.isEmpty()) spec.put("nodeSelector", selector);
            List<Object> tol = new ArrayList<>();
            Map<String, Object> gpuTaint = new LinkedHashMap<>();
            gpuTaint.put("key", GPU_TAINT);
            gpuTaint.put("operator", "Exists");
            gpuTaint.put("effect", "NoSchedule");
            if (gpuResource().equals("nvidia.com/gpu")) tol.add(gpuTaint);
            for (String t : dep.kube().tolerations()) {
                String[] kve = dev.shardplan.model.Deploy.Kube.toleration(t);
                Map<String, Object> m = new LinkedHashMap<>();
                m.put("key", kve[0]);
                m.put("operator", kve[1] == null ? "Exists" : "Equal");
                if (kve[1] != null) m.put("value", kve[1]);
                m.put("effect", kve[2]);
                if (!tol.contains(m)) tol.add(m);
            }
            if (!tol.isEmpty()) spec.put("tolerations", tol);
            List<Object> init = new ArrayList<>();
            if (downloads()) init.add(download());
            if (leader && pool != null && pool.sidecar() != null) init.add(pool.sidecar());
            if (!init.isEmpty()) spec.put("initContainers", init);
            spec.put("containers", List.of(engine(role, leader)));
            List<Object> vols = new ArrayList<>();
            Map<String, Object> shmVol = new LinkedHashMap<>();
            shmVol.put("name", "dshm");
            Map<String, Object> ed = new LinkedHashMap<>();
            ed.put("medium", "Memory");
            ed.put("sizeLimit", shm() / GIB + "Gi");
            shmVol.put("emptyDir", ed);
            vols.add(shmVol);
            if (!cache.none()) {
                Map<String, Object> cv = new LinkedHashMap<>();
                cv.put("name", "model-cache");
                if (cache.kind().equals("pvc")) {
                    Map<String, Object> claim = new LinkedHashMap<>();
                    claim.put("claimName", cache.claim());
                    cv.put("persistentVolumeClaim", claim);
                } else {
                    Map<String, Object> hp = new LinkedHashMap<>();
                    hp.put("path", cache.hostPath());
                    hp.put("type", "DirectoryOrCreate");
                    cv.put("hostPath", hp);
                }
                vols.add(cv);
            }
            spec.put("volumes", vols);
            return spec;
        }

        /**
         * Where the cache volume is mounted: the Hugging Face cache for a Hub id; for a local
         * model path, the folder that holds it (the volume is expected to hold the checkpoint).
         */
        String cacheMount() {
            String m = dep.modelPath();
            if (dep.fromHub() || m == null || !m.startsWith("/")) return CACHE_MOUNT;
            int slash = m.lastIndexOf('/', m.endsWith("/") ? m.length() - 2 : m.length() - 1);
            return slash <= 0 ? CACHE_MOUNT : m.substring(0, slash);
        }

        private List<Object> mounts() {
            List<Object> m = new ArrayList<>();
            Map<String, Object> shm = new LinkedHashMap<>();
            shm.put("name", "dshm");
            shm.put("mountPath", "/dev/shm");
            m.add(shm);
            if (!cache.none()) {
                Map<String, Object> c = new LinkedHashMap<>();
                c.put("name", "model-cache");
                c.put("mountPath", cacheMount());
                m.add(c);
            }
            return m;
        }

        static Map<String, Object> env(String name, String value) {
            Map<String, Object> v = new LinkedHashMap<>();
            v.put("name", name);
            v.put("value", ShellQuote.kubernetesLiteral(value));
            return v;
        }

        /** HF_HOME on the cache and, where the plan names one, the token from its Secret. */
        private List<Object> hubEnv() {
            List<Object> out = new ArrayList<>();
            if (!cache.none() && cacheMount().equals(CACHE_MOUNT)) out.add(env("HF_HOME", CACHE_MOUNT));
            if (dep.kube().hfTokenSecret() != null) {
                Map<String, Object> ref = new LinkedHashMap<>();
                ref.put("name", secretName(dep));
                ref.put("key", secretKey(dep));
                Map<String, Object> from = new LinkedHashMap<>();
                from.put("secretKeyRef", ref);
                Map<String, Object> v = new LinkedHashMap<>();
                v.put("name", "HF_TOKEN");
                v.put("valueFrom", from);
                out.add(v);
            }
            return out;
        }

        private Map<String, Object> download() {
            Map<String, Object> c = new LinkedHashMap<>();
            c.put("name", "model-download");
            c.put("image", image);
            c.put("command", List.of("python3", "-c"));
            c.put("args", List.of(ShellQuote.kubernetesLiteral(DOWNLOAD_SCRIPT)));
            List<Object> env = new ArrayList<>();
            env.add(env("SHARDPLAN_MODEL", dep.modelPath()));
            env.addAll(hubEnv());
            c.put("env", env);
            Map<String, Object> req = new LinkedHashMap<>();
            req.put("cpu", "4");
            req.put("memory", "8Gi");
            Map<String, Object> res = new LinkedHashMap<>();
            res.put("requests", req);
            c.put("resources", res);
            List<Object> m = new ArrayList<>();
            Map<String, Object> cm = new LinkedHashMap<>();
            cm.put("name", "model-cache");
            cm.put("mountPath", CACHE_MOUNT);
            m.add(cm);
            c.put("volumeMounts", m);
            return c;
        }

        private Map<String, Object> engine(Role role, boolean leader) {
            Map<String, Object> c = new LinkedHashMap<>();
            c.put("name", container);
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
            List<Object> env = new ArrayList<>();
            java.util.Set<String> names = new java.util.HashSet<>();
            for (String[] e : role.env()) if (names.add(e[0])) env.add(env(e[0], e[1]));
            for (Object o : hubEnv()) if (names.add((String) ((Map<?, ?>) o).get("name"))) env.add(o);
            // The init container filled the cache: the engine reads it without asking the Hub again.
            if (downloads() && names.add("HF_HUB_OFFLINE")) env.add(env("HF_HUB_OFFLINE", "1"));
            if (pool != null) for (Object o : pool.env()) if (names.add((String) ((Map<?, ?>) o).get("name"))) env.add(o);
            if (fabric()) for (String[] e : network()) if (names.add(e[0])) env.add(env(e[0], e[1]));
            if (!env.isEmpty()) c.put("env", env);
            if (leader) {
                Map<String, Object> port = new LinkedHashMap<>();
                port.put("name", "http");
                port.put("containerPort", shape.port());
                c.put("ports", List.of(port));
                dev.shardplan.engine.Serving sv = in.engine().spec().serving(in.engine().release());
                long budget = Startup.budgetSeconds(weightsPerRank());
                c.put("startupProbe", probe(sv.livenessPath(), STARTUP_PERIOD, 5, (int) Math.ceil(budget / (double) STARTUP_PERIOD)));
                c.put("livenessProbe", probe(sv.livenessPath(), 10, 5, 6));
                c.put("readinessProbe", probe(sv.readinessPath(), 10, 10, 3));
            }
            Map<String, Object> limits = new LinkedHashMap<>();
            limits.put(gpuResource(), String.valueOf(shape.gpus()));
            String rdma = rdma();
            if (rdma != null) limits.put(rdma, "1");
            Map<String, Object> requests = new LinkedHashMap<>();
            int cpu = dep.kube().cpu() > 0 ? dep.kube().cpu() : CPU_PER_GPU * shape.gpus();
            long mem = dep.kube().memoryBytes() > 0 ? dep.kube().memoryBytes() : MEMORY_PER_GPU * shape.gpus() + shm() + offloadPerPod();
            requests.put("cpu", String.valueOf(cpu));
            requests.put("memory", (long) Math.ceil(mem / (double) GIB) + "Gi");
            requests.putAll(limits);
            Map<String, Object> res = new LinkedHashMap<>();
            res.put("limits", limits);
            res.put("requests", requests);
            c.put("resources", res);
            if (fabric()) {
                // RDMA registers pinned memory: IPC_LOCK lifts the locked-memory limit.
                Map<String, Object> caps = new LinkedHashMap<>();
                caps.put("add", List.of("IPC_LOCK"));
                Map<String, Object> sc = new LinkedHashMap<>();
                sc.put("capabilities", caps);
                c.put("securityContext", sc);
            }
            c.put("volumeMounts", mounts());
            return c;
        }

        /**
         * NCCL over the cluster's fabric for a group over nodes: InfiniBand/RoCE verbs stay on
         * (NCCL falls back to sockets silently when it finds no device), bootstrap and gloo on
         * the pod's interface (eth0 under the usual CNIs, or the plan's network_interface).
         */
        List<String[]> network() {
            List<String[]> out = new ArrayList<>();
            String nic = dep.network() != null ? dep.network() : "eth0";
            out.add(new String[] {"NCCL_SOCKET_IFNAME", nic});
            out.add(new String[] {"GLOO_SOCKET_IFNAME", nic});
            if (rdma() != null) {
                out.add(new String[] {"NCCL_IB_DISABLE", "0"});
            } else if (!fabricKind().equals("none")) {
                out.add(new String[] {"NCCL_IB_DISABLE", "1"});
            }
            return out;
        }

        private static Map<String, Object> probe(String path, int period, int timeout, int failures) {
            Map<String, Object> probe = new LinkedHashMap<>();
            Map<String, Object> http = new LinkedHashMap<>();
            http.put("path", path);
            http.put("port", "http");
            probe.put("httpGet", http);
            probe.put("periodSeconds", period);
            probe.put("timeoutSeconds", timeout);
            probe.put("failureThreshold", failures);
            return probe;
        }
    }
}
