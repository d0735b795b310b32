package dev.shardplan.emit;

import com.fasterxml.jackson.databind.JsonNode;
import dev.shardplan.api.CompileResult;
import dev.shardplan.api.Compiler;
import dev.shardplan.diag.Diagnostic;
import dev.shardplan.model.Target;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The kubernetes target on a disaggregated plan: the pools as Deployments (single-node instances)
 * or LeaderWorkerSets (instances over nodes) with llm-d's role labels, the decode pods' routing
 * sidecar in front of the engine, and the inference scheduler (InferencePool, EPP and its
 * configuration, HTTPRoute), each manifest valid against the vendored schemas, the EPP's
 * configuration against the pinned EPP's configuration types and plugin registry.
 */
class KubernetesPoolsTest {
    @TempDir
    Path dir;

    static final String HEAD = "import \"std:nodes\"\nimport \"std:models\"\nimport \"std:workloads\"\n";

    private CompileResult compile(String body) throws Exception {
        Path f = dir.resolve("p.plan");
        Files.writeString(f, HEAD + body);
        return Compiler.compile(dir, List.of(f), dir.resolve("out"), Set.of(Target.KUBERNETES));
    }

    private List<JsonNode> docs(String file) throws Exception {
        return HostileStringTest.yaml(Files.readString(dir.resolve("out/p/kubernetes/" + file)));
    }

    private static JsonNode kind(List<JsonNode> docs, String kind, String name) {
        return docs.stream().filter(d -> d.path("kind").asText().equals(kind) && d.path("metadata").path("name").asText().equals(name))
                .findFirst().orElseThrow(() -> new AssertionError("no " + kind + " " + name + " in " + docs));
    }

    private static JsonNode container(JsonNode podSpec, String list, String name) {
        for (JsonNode c : podSpec.path(list)) if (c.path("name").asText().equals(name)) return c;
        throw new AssertionError("no " + list + " " + name + " in " + podSpec);
    }

    private static List<String> args(JsonNode c) {
        List<String> out = new ArrayList<>();
        c.path("args").forEach(a -> out.add(a.asText()));
        return out;
    }

    private static String env(JsonNode c, String name) {
        for (JsonNode e : c.path("env")) {
            if (!e.path("name").asText().equals(name)) continue;
            return e.has("value") ? e.path("value").asText() : "from:" + e.path("valueFrom").path("fieldRef").path("fieldPath").asText();
        }
        return null;
    }

    private void assertSchemas() throws Exception {
        ManifestSchemaTest.load();
        for (String f : List.of("pools.yaml", "inference-scheduler.yaml"))
            assertEquals(List.of(), ManifestSchemaTest.validate(f, Files.readString(dir.resolve("out/p/kubernetes/" + f))));
    }

    @Test
    void vllmPoolsRunAsDeploymentsAndAnLwsWithTheSidecarInFrontOfDecode() throws Exception {
        // Prefill: 2 single-node instances (tp 8). Decode: one wide-EP instance over 2 nodes (dp 16, ep 16).
        CompileResult r = compile("cluster c { nodes 4 x HGX_H200 }\n"
                + "plan p {\n  model deepseek_r1\n  cluster c\n  workload natural_reasoning\n"
                + "  engine vllm { gpu_memory_utilization 0.90; kv_cache_dtype fp8 }\n"
                + "  pool prefill { parallel { tp 8 }; replicas 2 }\n  pool decode { parallel { dp 16; ep 16; dp_attention } }\n"
                + "  kv_transfer { connector nixl }\n  deploy { namespace \"inference\" }\n}\n");
        assertTrue(r.diagnostics().stream().noneMatch(Diagnostic::isError), r.diagnostics().toString());
        assertTrue(r.diagnostics().stream().anyMatch(d -> d.code() == EmitCodes.DEPLOY_DEFAULT && d.message().contains("Gateway `inference-gateway`")),
                "the Gateway the route assumes is said: " + r.diagnostics());
        List<JsonNode> pools = docs("pools.yaml");
        JsonNode pre = kind(pools, "Deployment", "p-prefill");
        assertEquals(2, pre.path("spec").path("replicas").asInt());
        JsonNode preLabels = pre.path("spec").path("template").path("metadata").path("labels");
        assertEquals("prefill", preLabels.path("llm-d.ai/role").asText());
        assertEquals("true", preLabels.path("llm-d.ai/inferenceServing").asText());
        JsonNode prePod = pre.path("spec").path("template").path("spec");
        JsonNode vllm = container(prePod, "containers", "vllm");
        List<String> a = args(vllm);
        assertEquals("8000", a.get(a.indexOf("--port") + 1), "a prefill pod serves the pool's port itself: " + a);
        assertEquals("{\"kv_connector\":\"NixlConnector\",\"kv_role\":\"kv_both\"}", a.get(a.indexOf("--kv-transfer-config") + 1));
        assertEquals("from:status.podIP", env(vllm, "VLLM_NIXL_SIDE_CHANNEL_HOST"), "NIXL's side channel on the pod's address");
        assertEquals("5600", env(vllm, "VLLM_NIXL_SIDE_CHANNEL_PORT"));
        // A single-node prefill pod still moves KV caches over the fabric: RDMA and locked memory.
        assertEquals("1", vllm.path("resources").path("limits").path("rdma/rdma_shared_device_a").asText(), vllm.toString());
        assertTrue(vllm.path("securityContext").toString().contains("IPC_LOCK"));
        assertFalse(prePod.path("initContainers").toString().contains("routing-sidecar"), "only decode pods run the sidecar");

        JsonNode dec = kind(pools, "LeaderWorkerSet", "p-decode");
        JsonNode lwt = dec.path("spec").path("leaderWorkerTemplate");
        assertEquals(2, lwt.path("size").asInt(), "the wide-EP decode instance spans two nodes");
        JsonNode leader = lwt.path("leaderTemplate");
        assertEquals("decode", leader.path("metadata").path("labels").path("llm-d.ai/role").asText());
        assertTrue(lwt.path("workerTemplate").path("metadata").path("labels").path("llm-d.ai/inferenceServing").isMissingNode(),
                "workers run no API server: the InferencePool must not select them");
        JsonNode sidecar = container(leader.path("spec"), "initContainers", "routing-sidecar");
        assertEquals("Always", sidecar.path("restartPolicy").asText(), "a native sidecar");
        assertEquals(List.of("--port", "8000", "--vllm-port", "8200", "--kv-connector", "nixlv2", "--secure-proxy=false"), args(sidecar));
        List<String> d = args(container(leader.path("spec"), "containers", "vllm"));
        assertEquals("8200", d.get(d.indexOf("--port") + 1), "the decode engine sits behind the sidecar: " + d);
        assertEquals("16", d.get(d.indexOf("--data-parallel-size") + 1));
        assertTrue(d.contains("--kv-transfer-config"), d.toString());

        List<JsonNode> sched = docs("inference-scheduler.yaml");
        JsonNode pool = kind(sched, "InferencePool", "p");
        assertEquals("true", pool.path("spec").path("selector").path("matchLabels").path("llm-d.ai/inferenceServing").asText());
        assertEquals(8000, pool.path("spec").path("targetPorts").get(0).path("number").asInt());
        assertEquals("p-epp", pool.path("spec").path("endpointPickerRef").path("name").asText());
        JsonNode epp = container(kind(sched, "Deployment", "p-epp").path("spec").path("template").path("spec"), "containers", "epp");
        List<String> ea = args(epp);
        assertEquals("inference", ea.get(ea.indexOf("--pool-namespace") + 1));
        assertFalse(ea.contains("--total-queued-requests-metric"), "vLLM's metric names are the EPP's defaults");
        JsonNode route = kind(sched, "HTTPRoute", "p");
        assertEquals("InferencePool", route.path("spec").path("rules").get(0).path("backendRefs").get(0).path("kind").asText());
        assertEquals("inference", kind(sched, "RoleBinding", "p-epp").path("subjects").get(0).path("namespace").asText());
        eppConfigIsAcceptedByThePinnedEpp(kind(sched, "ConfigMap", "p-epp").path("data").path("config.yaml").asText());
        assertSchemas();
    }

    @Test
    void sglangPoolsBootstrapOnTheSidecarsPortAndTheEppReadsSglangMetrics() throws Exception {
        CompileResult r = compile("cluster c { nodes 2 x HGX_H200 }\n"
                + "plan p {\n  model llama_3_1_70b\n  cluster c\n  workload chat\n  engine sglang { }\n"
                + "  pool prefill { parallel { tp 4 }; replicas 2 }\n  pool decode { parallel { tp 8 } }\n"
                + "  kv_transfer { connector mooncake }\n  deploy { hf_token_secret \"hf-token\" }\n}\n");
        assertTrue(r.diagnostics().stream().noneMatch(Diagnostic::isError), r.diagnostics().toString());
        List<JsonNode> pools = docs("pools.yaml");
        List<String> p = args(container(kind(pools, "Deployment", "p-prefill").path("spec").path("template").path("spec"), "containers", "sglang"));
        assertEquals("prefill", p.get(p.indexOf("--disaggregation-mode") + 1));
        assertEquals("mooncake", p.get(p.indexOf("--disaggregation-transfer-backend") + 1));
        // The sidecar tells decode servers the prefill pod's bootstrap port as its default, 8998: the prefill server must use it.
        assertEquals("8998", p.get(p.indexOf("--disaggregation-bootstrap-port") + 1));
        JsonNode decPod = kind(pools, "Deployment", "p-decode").path("spec").path("template").path("spec");
        List<String> d = args(container(decPod, "containers", "sglang"));
        assertEquals("decode", d.get(d.indexOf("--disaggregation-mode") + 1));
        assertEquals("8200", d.get(d.indexOf("--port") + 1));
        assertFalse(d.contains("--disaggregation-bootstrap-port"), d.toString());
        List<String> s = args(container(decPod, "initContainers", "routing-sidecar"));
        assertEquals("sglang", s.get(s.indexOf("--kv-connector") + 1));
        assertEquals(null, env(container(decPod, "containers", "sglang"), "VLLM_NIXL_SIDE_CHANNEL_HOST"));
        List<JsonNode> sched = docs("inference-scheduler.yaml");
        List<String> ea = args(container(kind(sched, "Deployment", "p-epp").path("spec").path("template").path("spec"), "containers", "epp"));
        assertEquals("sglang:num_queue_reqs", ea.get(ea.indexOf("--total-queued-requests-metric") + 1));
        assertEquals("sglang:token_usage", ea.get(ea.indexOf("--kv-cache-usage-percentage-metric") + 1));
        assertEquals("default", ea.get(ea.indexOf("--pool-namespace") + 1), "no namespace in the deploy block: Kubernetes' default");
        assertSchemas();
    }

    @Test
    void aLongPlanNameIsRefusedWithNothingWritten() throws Exception {
        CompileResult r = compile(("cluster c { nodes 2 x HGX_H200 }\n"
                + "plan p {\n  model llama_3_1_70b\n  cluster c\n  workload chat\n  engine vllm { }\n"
                + "  pool prefill { parallel { tp 8 } }\n  pool decode { parallel { tp 8 } }\n"
                + "  kv_transfer { connector nixl }\n  deploy { hf_token_secret \"hf-token\" }\n}\n")
                .replace("plan p ", "plan p" + "x".repeat(KubernetesPools.MAX_NAME) + " "));
        assertTrue(r.diagnostics().stream().anyMatch(x -> x.code() == EmitCodes.INVALID_NAME && x.isError()), r.diagnostics().toString());
        assertFalse(Files.exists(dir.resolve("out/p" + "x".repeat(KubernetesPools.MAX_NAME))));
    }

    // ---- the EPP's configuration, as the pinned EPP reads it ----

    /**
     * The fields of GAIE v1.5.0's apix/config/v1alpha1 types (json tags of EndpointPickerConfig,
     * PluginSpec, SchedulingProfile, SchedulingPlugin), the ones a configuration may hold.
     */
    static final Map<String, Set<String>> CONFIG_FIELDS = Map.of(
            "", Set.of("apiVersion", "kind", "featureGates", "plugins", "schedulingProfiles", "saturationDetector", "dataLayer",
                    "flowControl", "parser"),
            "plugins[]", Set.of("name", "type", "parameters"),
            "schedulingProfiles[]", Set.of("name", "plugins"),
            "schedulingProfiles[].plugins[]", Set.of("pluginRef", "weight"));

    static Set<String> registeredPlugins() throws IOException {
        try (InputStream in = KubernetesPoolsTest.class.getResourceAsStream("/launchers/llm-d-epp-plugins.txt")) {
            Set<String> out = new TreeSet<>();
            for (String l : new String(in.readAllBytes(), StandardCharsets.UTF_8).split("\n"))
                if (!l.isBlank() && !l.startsWith("#")) out.add(l.strip());
            return out;
        }
    }

    static List<String> configProblems(String text) throws IOException {
        List<String> out = new ArrayList<>();
        JsonNode c = HostileStringTest.yaml(text).get(0);
        fields(c, "", out);
        if (!c.path("apiVersion").asText().equals("inference.networking.x-k8s.io/v1alpha1") || !c.path("kind").asText().equals("EndpointPickerConfig"))
            out.add("not an EndpointPickerConfig of inference.networking.x-k8s.io/v1alpha1");
        Set<String> registered = registeredPlugins();
        Set<String> names = new HashSet<>();
        for (JsonNode p : c.path("plugins")) {
            String type = p.path("type").asText();
            if (!registered.contains(type)) out.add("plugin type " + type + " is not registered in the pinned EPP");
            // A plugin without a name is named by its type (GAIE config loader).
            names.add(p.has("name") ? p.path("name").asText() : type);
        }
        for (JsonNode p : c.path("plugins")) {
            for (Iterator<JsonNode> it = p.path("parameters").path("deciders").elements(); it.hasNext(); ) {
                String ref = it.next().asText();
                if (!names.contains(ref)) out.add("decider " + ref + " is no plugin of the configuration");
            }
        }
        Set<String> profiles = new HashSet<>();
        for (JsonNode prof : c.path("schedulingProfiles")) {
            profiles.add(prof.path("name").asText());
            for (JsonNode ref : prof.path("plugins"))
                if (!names.contains(ref.path("pluginRef").asText())) out.add("profile " + prof.path("name").asText() + " refers to "
                        + ref.path("pluginRef").asText() + ", no plugin of the configuration");
        }
        // The disagg profile handler runs the profiles by their default names.
        if (!profiles.equals(Set.of("prefill", "decode"))) out.add("profiles " + profiles + " are not the handler's prefill and decode");
        return out;
    }

    private static void fields(JsonNode n, String path, List<String> out) {
        Set<String> allowed = CONFIG_FIELDS.get(path);
        if (n.isObject() && allowed != null) {
            for (Iterator<String> it = n.fieldNames(); it.hasNext(); ) {
                String f = it.next();
                if (!allowed.contains(f)) out.add((path.isEmpty() ? "" : path + ".") + f + " is no field of the EPP's configuration");
                else fields(n.get(f), (path.isEmpty() ? "" : path + ".") + f, out);
            }
        } else if (n.isArray()) {
            for (JsonNode x : n) fields(x, path + "[]", out);
        }
    }

    static void eppConfigIsAcceptedByThePinnedEpp(String text) throws IOException {
        assertEquals(List.of(), configProblems(text));
        // The check refuses what the EPP would refuse.
        assertFalse(configProblems(text.replace("type: queue-scorer", "type: queue-depth-scorer")).isEmpty(), "unregistered type");
        assertFalse(configProblems(text.replace("pluginRef: decode-filter", "pluginRef: decode-filtr")).isEmpty(), "dangling reference");
        assertFalse(configProblems(text.replace("schedulingProfiles:", "profiles:")).isEmpty(), "unknown field");
        assertFalse(configProblems(text.replace("prefill: always-disagg-pd-decider", "prefill: prefix-based-pd-decider")).isEmpty(), "undeclared decider");
    }
}
