package dev.shardplan.resolve;

import dev.shardplan.ast.Nodes.*;
import dev.shardplan.diag.Codes;
import dev.shardplan.diag.Diagnostic;
import dev.shardplan.diag.Diagnostics;
import dev.shardplan.diag.Span;
import dev.shardplan.model.Deploy;
import dev.shardplan.model.Model;
import dev.shardplan.units.Dimension;

import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * `deploy { model_path "..."; image "..."; hosts "a", "b"; port 8000; ... }`, all optional. The
 * model path is left null when the plan gives none: the emitters fall back to the model's
 * {@code hf_id} and report a model that has neither (a DSL name is not a loadable path).
 */
final class Deployments {
    private Deployments() {}

    static final Field MODEL_PATH = Field.string("model_path").fallback("the model's hf_id").example("model_path \"org/name\"")
            .doc("Where launchers load the model from.");
    static final Field SERVED_NAME = Field.string("served_name").fallback("engine default (the model path)").example("served_name \"llm\"")
            .doc("The model name the server answers to.");
    static final Field IMAGE = Field.string("image").fallback("the engine release's official image (SP0807)").example("image \"vllm/vllm-openai:v0.11.0\"")
            .doc("Container image.");
    static final Field HOSTS = Field.strings("hosts").example("hosts \"node-0\", \"node-1\"").doc("Hosts of the ranks, one per node.");
    static final Field PORT = Field.count("port", 1, 65535).byDefault(8000).example("port 8000").doc("The serving port.");
    static final Field MASTER_PORT = Field.count("master_port", 1, 65535).byDefault(29500).example("master_port 29500")
            .doc("The distributed rendezvous port.");
    static final Field NAMESPACE = Field.string("namespace").fallback("default").example("namespace \"inference\"").doc("Kubernetes namespace.");
    static final Field PARTITION = Field.string("partition").fallback("Slurm's default").example("partition \"gpu\"").doc("Slurm partition.");
    static final Field ACCOUNT = Field.string("account").fallback("Slurm's default").example("account \"ml\"").doc("Slurm account.");
    static final Field NETWORK_INTERFACE = Field.string("network_interface").fallback("engine default (NCCL's and Gloo's choice)")
            .example("network_interface \"eth0\"").doc("Network interface for NCCL/Gloo.");
    static final Field HF_TOKEN_SECRET = Field.string("hf_token_secret").example("hf_token_secret \"hf-token\"")
            .doc("Kubernetes Secret the pods read HF_TOKEN from (\"name\" or \"name/key\").");
    static final Field MODEL_CACHE = Field.string("model_cache").fallback("pvc").example("model_cache \"pvc\"")
            .doc("Where pods cache the model: pvc (a generated claim), pvc:CLAIM, host:/PATH, or none.");
    static final Field MODEL_CACHE_SIZE = Field.quantity("model_cache_size", Dimension.BYTES, "GiB", 1, 1e18).fallback("the checkpoint and a quarter more, rounded up to 10 GiB")
            .example("model_cache_size 2 TiB").doc("Size of the generated model-cache claim.");
    static final Field STORAGE_CLASS = Field.string("storage_class").fallback("the cluster's default class").example("storage_class \"nfs\"")
            .doc("Storage class of the generated model-cache claim.");
    static final Field NODE_SELECTOR = Field.strings("node_selector").example("node_selector \"nvidia.com/gpu.present=true\"")
            .doc("key=value node labels added to the GPU product selector.");
    static final Field TOLERATIONS = Field.strings("tolerations").example("tolerations \"nvidia.com/gpu:NoSchedule\"")
            .doc("key[=value]:Effect tolerations beside nvidia.com/gpu:NoSchedule.");
    static final Field TOPOLOGY_KEY = Field.string("topology_key").example("topology_key \"cloud.google.com/gke-nodepool\"")
            .doc("Node label LeaderWorkerSet places a multi-node group's pods within, exclusively.");
    static final Field RDMA_RESOURCE = Field.string("rdma_resource").example("rdma_resource \"rdma/rdma_shared_device_a\"")
            .doc("RDMA device resource each pod of a multi-node group requests, or \"none\" for sockets.");
    static final Field CPU = Field.count("cpu", 1, 4096).fallback("8 per GPU").example("cpu 32").doc("CPUs each pod requests.");
    static final Field MEMORY = Field.quantity("memory", Dimension.BYTES, "GiB", 1 << 20, 1e16).fallback("16 GiB per GPU")
            .example("memory 512 GiB").doc("Memory each pod requests.");
    static final Field SHM_SIZE = Field.quantity("shm_size", Dimension.BYTES, "GiB", 1 << 20, 1e15).fallback("engine default (what the release needs)")
            .example("shm_size 32 GiB").doc("Size of the pod's /dev/shm.");

    static final FieldTable FIELDS = FieldTable.of("plan.deploy", MODEL_PATH, SERVED_NAME, IMAGE, HOSTS, PORT, MASTER_PORT,
            NAMESPACE, PARTITION, ACCOUNT, NETWORK_INTERFACE, HF_TOKEN_SECRET, MODEL_CACHE, MODEL_CACHE_SIZE, STORAGE_CLASS,
            NODE_SELECTOR, TOLERATIONS, TOPOLOGY_KEY, RDMA_RESOURCE, CPU, MEMORY, SHM_SIZE);

    private static final Pattern CACHE = Pattern.compile("pvc|none|pvc:.+|host:/.*");
    private static final Pattern LABEL = Pattern.compile("([a-z0-9]([-a-z0-9.]*[a-z0-9])?/)?[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?");
    private static final Pattern LABEL_VALUE = Pattern.compile("([A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?)?");

    private static final Map<String, String> EXAMPLES = Map.of("model_path", "\"/models/llama-3.1-8b\" or \"meta-llama/Llama-3.1-8B\"",
            "served_name", "\"llm\"", "image", "\"vllm/vllm-openai:v0.11.0\"", "network_interface", "\"eth0\"",
            "hosts", "\"node-0.cluster.local\", \"10.0.0.2\"");

    private static final Map<String, String> ROLES = Map.of("model_path", "model path", "served_name", "served name", "image",
            "image reference", "network_interface", "interface name", "hosts", "host name");

    /** Applies the role's rule to a value (null: not given); false, with SP0215, when it does not fit. */
    private static boolean role(Fields df, String key, String value, java.util.function.Function<String, String> rule, Diagnostics diags) {
        if (value == null) return true;
        String why = rule.apply(value);
        if (why == null) return true;
        diags.add(Diagnostic.of(Codes.INVALID_FOR_ROLE, df.span(key), "deploy `" + key + "` `" + Resolver.abbreviate(value, 60) + "` " + why)
                .note("a launcher reads this value in a fixed place; one that is no " + ROLES.get(key) + " would change what it runs")
                .help("write e.g. " + EXAMPLES.get(key)).build());
        return false;
    }

    static Deploy deploy(Fields f, Map<String, Span> spans, Model model, Diagnostics diags) {
        Entry e = f.entry("deploy");
        Fields df = new Fields("deploy", e == null ? Span.NONE : e.span(), e == null ? null : e.body(), FIELDS, diags);
        if (e != null && e.body() == null) {
            diags.add(Diagnostic.of(Codes.TYPE_MISMATCH, e.span(), "`deploy` takes a block")
                    .help("write `deploy { model_path \"/models/llama\"; image \"vllm/vllm-openai:v0.11.0\" }`").build());
            return null;
        }
        for (var k : df.spans().entrySet()) spans.put("deploy." + k.getKey(), k.getValue());
        String path = df.string(MODEL_PATH);
        String served = df.string(SERVED_NAME);
        String image = df.string(IMAGE);
        List<String> hosts = df.strings(HOSTS);
        long port = df.integerOr(PORT);
        long mport = df.integerOr(MASTER_PORT);
        String ns = df.string(NAMESPACE);
        String part = df.string(PARTITION);
        String acct = df.string(ACCOUNT);
        String nic = df.string(NETWORK_INTERFACE);
        boolean ok = role(df, "model_path", df.has("model_path") ? path : null, Roles::modelPath, diags)
                & role(df, "served_name", served, Roles::servedName, diags)
                & role(df, "image", image, Roles::image, diags)
                & role(df, "network_interface", nic, Roles::networkInterface, diags);
        for (String h : hosts) ok &= role(df, "hosts", h, Roles::host, diags);
        if (!ok) return null;
        Deploy.Kube kube = kube(df, diags);
        return new Deploy(path, served == null ? "" : served, image == null ? "" : image, hosts, (int) port,
                (int) mport, ns == null ? "default" : ns, part == null ? "" : part,
                acct == null ? "" : acct, nic == null ? "" : nic, kube);
    }

    /** The Kubernetes fields, each checked for the shape Kubernetes accepts, so a bad value is reported at its line. */
    private static Deploy.Kube kube(Fields df, Diagnostics diags) {
        String secret = df.string(HF_TOKEN_SECRET);
        if (secret != null && !secret.matches("[a-z0-9]([-a-z0-9.]*[a-z0-9])?(/[-._a-zA-Z0-9]+)?")) {
            bad(df, diags, "hf_token_secret", "`" + secret + "` is not a Secret name (and optional /key)",
                    "Secret names are lowercase DNS names; keys are letters, digits, '-', '_', '.'",
                    "write `hf_token_secret \"hf-token\"` (key HF_TOKEN) or `hf_token_secret \"hf-token/token\"`");
            secret = null;
        }
        String cache = df.string(MODEL_CACHE);
        if (cache != null && !CACHE.matcher(cache).matches()) {
            bad(df, diags, "model_cache", "`" + cache + "` is not a model cache",
                    "the model cache is a claim the compile generates (pvc), an existing claim (pvc:NAME), a node folder (host:/path) or none",
                    "write `model_cache \"pvc\"`, `\"pvc:models\"`, `\"host:/mnt/models\"` or `\"none\"`");
            cache = null;
        }
        Double size = df.quantity(MODEL_CACHE_SIZE);
        String sc = df.string(STORAGE_CLASS);
        List<String> selector = df.strings(NODE_SELECTOR);
        for (String s : selector) {
            int eq = s.indexOf('=');
            if (eq <= 0 || !LABEL.matcher(s.substring(0, eq)).matches() || !LABEL_VALUE.matcher(s.substring(eq + 1)).matches())
                bad(df, diags, "node_selector", "`" + s + "` is not a node label `key=value`",
                        "label keys are [prefix/]name, values letters, digits, '-', '_', '.' (at most 63)",
                        "write `node_selector \"nvidia.com/gpu.present=true\"`");
        }
        List<String> tolerations = df.strings(TOLERATIONS);
        for (String t : tolerations) if (Deploy.Kube.toleration(t) == null)
            bad(df, diags, "tolerations", "`" + t + "` is not a toleration",
                    "a toleration is key[=value]:Effect with Effect one of NoSchedule, PreferNoSchedule, NoExecute (kubectl taint's syntax)",
                    "write `tolerations \"nvidia.com/gpu:NoSchedule\"`");
        String topo = df.string(TOPOLOGY_KEY);
        if (topo != null && !LABEL.matcher(topo).matches()) {
            bad(df, diags, "topology_key", "`" + topo + "` is not a node label key", "the exclusive-placement annotation names a node label",
                    "write `topology_key \"topology.kubernetes.io/zone\"`");
            topo = null;
        }
        String rdma = df.string(RDMA_RESOURCE);
        if (rdma != null && !rdma.equals("none") && !LABEL.matcher(rdma).matches()) {
            bad(df, diags, "rdma_resource", "`" + rdma + "` is not an extended resource name", "device plugins advertise resources as domain/name",
                    "write `rdma_resource \"rdma/rdma_shared_device_a\"` or `\"none\"`");
            rdma = null;
        }
        Long cpu = df.integer(CPU);
        Double mem = df.quantity(MEMORY);
        Double shm = df.quantity(SHM_SIZE);
        return new Deploy.Kube(secret, cache, size == null ? 0 : size.longValue(), sc, selector, tolerations, topo, rdma,
                cpu == null ? 0 : cpu.intValue(), mem == null ? 0 : mem.longValue(), shm == null ? 0 : shm.longValue());
    }

    private static void bad(Fields df, Diagnostics diags, String key, String msg, String note, String help) {
        diags.add(Diagnostic.of(Codes.OUT_OF_RANGE, df.span(key), "deploy: " + msg).note(note).help(help).build());
    }
}
