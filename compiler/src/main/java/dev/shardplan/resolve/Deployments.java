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

    static final Set<String> FIELDS = Set.of("model_path", "served_name", "image", "hosts", "port", "master_port",
            "namespace", "partition", "account", "network_interface", "hf_token_secret", "model_cache", "model_cache_size",
            "storage_class", "node_selector", "tolerations", "topology_key", "rdma_resource", "cpu", "memory", "shm_size");

    private static final Pattern CACHE = Pattern.compile("pvc|none|pvc:.+|host:/.*");
    private static final Pattern LABEL = Pattern.compile("([a-z0-9]([-a-z0-9.]*[a-z0-9])?/)?[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?");
    private static final Pattern LABEL_VALUE = Pattern.compile("([A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?)?");

    static Deploy deploy(Fields f, Map<String, Span> spans, Model model, Diagnostics diags) {
        Entry e = f.entry("deploy");
        Fields df = new Fields("deploy", e == null ? Span.NONE : e.span(), e == null ? null : e.body(), FIELDS, diags);
        if (e != null && e.body() == null) {
            diags.add(Diagnostic.of(Codes.TYPE_MISMATCH, e.span(), "`deploy` takes a block")
                    .help("write `deploy { model_path \"/models/llama\"; image \"vllm/vllm-openai:v0.11.0\" }`").build());
            return null;
        }
        for (String k : FIELDS) if (df.has(k)) spans.put("deploy." + k, df.span(k));
        String path = df.string("model_path", false, "model_path \"org/name\"");
        String served = df.string("served_name", false, "served_name \"llm\"");
        String image = df.string("image", false, "image \"vllm/vllm-openai:v0.11.0\"");
        List<String> hosts = df.strings("hosts");
        Long port = df.integer("port", 1, 65535, false, "port 8000");
        Long mport = df.integer("master_port", 1, 65535, false, "master_port 29500");
        String ns = df.string("namespace", false, "namespace \"inference\"");
        String part = df.string("partition", false, "partition \"gpu\"");
        String acct = df.string("account", false, "account \"ml\"");
        String nic = df.string("network_interface", false, "network_interface \"eth0\"");
        Deploy.Kube kube = kube(df, diags);
        return new Deploy(path, served == null ? "" : served, image == null ? "" : image, hosts, port == null ? 8000 : port.intValue(),
                mport == null ? 29500 : mport.intValue(), ns == null ? "default" : ns, part == null ? "" : part,
                acct == null ? "" : acct, nic == null ? "" : nic, kube);
    }

    /** The Kubernetes fields, each checked for the shape Kubernetes accepts, so a bad value is reported at its line. */
    private static Deploy.Kube kube(Fields df, Diagnostics diags) {
        String secret = df.string("hf_token_secret", false, "hf_token_secret \"hf-token\"");
        if (secret != null && !secret.matches("[a-z0-9]([-a-z0-9.]*[a-z0-9])?(/[-._a-zA-Z0-9]+)?")) {
            bad(df, diags, "hf_token_secret", "`" + secret + "` is not a Secret name (and optional /key)",
                    "Secret names are lowercase DNS names; keys are letters, digits, '-', '_', '.'",
                    "write `hf_token_secret \"hf-token\"` (key HF_TOKEN) or `hf_token_secret \"hf-token/token\"`");
            secret = null;
        }
        String cache = df.string("model_cache", false, "model_cache \"pvc\"");
        if (cache != null && !CACHE.matcher(cache).matches()) {
            bad(df, diags, "model_cache", "`" + cache + "` is not a model cache",
                    "the model cache is a claim the compile generates (pvc), an existing claim (pvc:NAME), a node folder (host:/path) or none",
                    "write `model_cache \"pvc\"`, `\"pvc:models\"`, `\"host:/mnt/models\"` or `\"none\"`");
            cache = null;
        }
        Double size = df.quantity("model_cache_size", Dimension.BYTES, 1, 1e18, false, "model_cache_size 2 TiB");
        String sc = df.string("storage_class", false, "storage_class \"nfs\"");
        List<String> selector = df.strings("node_selector");
        for (String s : selector) {
            int eq = s.indexOf('=');
            if (eq <= 0 || !LABEL.matcher(s.substring(0, eq)).matches() || !LABEL_VALUE.matcher(s.substring(eq + 1)).matches())
                bad(df, diags, "node_selector", "`" + s + "` is not a node label `key=value`",
                        "label keys are [prefix/]name, values letters, digits, '-', '_', '.' (at most 63)",
                        "write `node_selector \"nvidia.com/gpu.present=true\"`");
        }
        List<String> tolerations = df.strings("tolerations");
        for (String t : tolerations) if (Deploy.Kube.toleration(t) == null)
            bad(df, diags, "tolerations", "`" + t + "` is not a toleration",
                    "a toleration is key[=value]:Effect with Effect one of NoSchedule, PreferNoSchedule, NoExecute (kubectl taint's syntax)",
                    "write `tolerations \"nvidia.com/gpu:NoSchedule\"`");
        String topo = df.string("topology_key", false, "topology_key \"cloud.google.com/gke-nodepool\"");
        if (topo != null && !LABEL.matcher(topo).matches()) {
            bad(df, diags, "topology_key", "`" + topo + "` is not a node label key", "the exclusive-placement annotation names a node label",
                    "write `topology_key \"topology.kubernetes.io/zone\"`");
            topo = null;
        }
        String rdma = df.string("rdma_resource", false, "rdma_resource \"rdma/rdma_shared_device_a\"");
        if (rdma != null && !rdma.equals("none") && !LABEL.matcher(rdma).matches()) {
            bad(df, diags, "rdma_resource", "`" + rdma + "` is not an extended resource name", "device plugins advertise resources as domain/name",
                    "write `rdma_resource \"rdma/rdma_shared_device_a\"` or `\"none\"`");
            rdma = null;
        }
        Long cpu = df.integer("cpu", 1, 4096, false, "cpu 32");
        Double mem = df.quantity("memory", Dimension.BYTES, 1 << 20, 1e16, false, "memory 512 GiB");
        Double shm = df.quantity("shm_size", Dimension.BYTES, 1 << 20, 1e15, false, "shm_size 32 GiB");
        return new Deploy.Kube(secret, cache, size == null ? 0 : size.longValue(), sc, selector, tolerations, topo, rdma,
                cpu == null ? 0 : cpu.intValue(), mem == null ? 0 : mem.longValue(), shm == null ? 0 : shm.longValue());
    }

    private static void bad(Fields df, Diagnostics diags, String key, String msg, String note, String help) {
        diags.add(Diagnostic.of(Codes.OUT_OF_RANGE, df.span(key), "deploy: " + msg).note(note).help(help).build());
    }
}
