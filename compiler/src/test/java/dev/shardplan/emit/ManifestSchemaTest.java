package dev.shardplan.emit;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.networknt.schema.JsonSchema;
import com.networknt.schema.JsonSchemaFactory;
import com.networknt.schema.SpecVersion;
import com.networknt.schema.ValidationMessage;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Every generated Kubernetes manifest validates against the real schemas, vendored in
 * src/test/resources/schemas (SOURCES.md): the LeaderWorkerSet against the LWS v0.9.0 CRD, each
 * of its pod templates against Kubernetes 1.30's strict PodTemplateSpec, the Service and the
 * PersistentVolumeClaim against theirs. Fixture plans, plans/ and their variants (every engine
 * switch flipped, every recipe on) are compiled for every supported release of their engine.
 */
class ManifestSchemaTest {
    static final ObjectMapper JSON = new ObjectMapper();
    static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());
    static JsonSchema lws, podTemplate, service, pvc, deployment, configMap, serviceAccount, role, roleBinding, inferencePool, httpRoute;

    @BeforeAll
    static void load() throws IOException {
        JsonSchemaFactory f = JsonSchemaFactory.getInstance(SpecVersion.VersionFlag.V4);
        lws = f.getSchema(crd("lws-v0.9.0-leaderworkersets.crd.yaml", "v1"));
        inferencePool = f.getSchema(crd("gaie-v1.5.0-inferencepools.crd.yaml", "v1"));
        httpRoute = f.getSchema(crd("gateway-api-v1.5.1-httproutes.crd.yaml", "v1"));
        podTemplate = f.getSchema(strict("k8s-v1.30.0-podtemplatespec.json"));
        service = f.getSchema(strict("k8s-v1.30.0-service-v1.json"));
        pvc = f.getSchema(strict("k8s-v1.30.0-persistentvolumeclaim-v1.json"));
        deployment = f.getSchema(strict("k8s-v1.30.0-deployment-apps-v1.json"));
        configMap = f.getSchema(strict("k8s-v1.30.0-configmap-v1.json"));
        serviceAccount = f.getSchema(strict("k8s-v1.30.0-serviceaccount-v1.json"));
        role = f.getSchema(strict("k8s-v1.30.0-role-rbac-v1.json"));
        roleBinding = f.getSchema(strict("k8s-v1.30.0-rolebinding-rbac-v1.json"));
    }

    /** A CRD's schema of one served version, closed as strict field validation reads it. */
    static JsonNode crd(String file, String version) throws IOException {
        JsonNode crd = YAML.readTree(resource(file));
        JsonNode at = null;
        for (JsonNode v : crd.path("spec").path("versions")) if (v.path("name").asText().equals(version)) at = v;
        assertTrue(at != null, file + " serves " + version);
        ObjectNode s = (ObjectNode) at.path("schema").path("openAPIV3Schema").deepCopy();
        close(s);
        return s;
    }

    static InputStream resource(String name) {
        InputStream in = ManifestSchemaTest.class.getResourceAsStream("/schemas/" + name);
        if (in == null) throw new AssertionError("no vendored schema " + name);
        return in;
    }

    /** A kubernetes-json-schema file without its "$schema" URI, which names no meta-schema the validator knows (the keywords are draft 4's). */
    static JsonNode strict(String name) throws IOException {
        ObjectNode n = (ObjectNode) JSON.readTree(resource(name));
        n.remove("$schema");
        return n;
    }

    /**
     * Closes the CRD's object schemas the way strict field validation reads them: a declared
     * property set is the whole set unless the schema preserves unknown fields.
     */
    static void close(JsonNode n) {
        if (n instanceof ObjectNode o) {
            if (o.has("properties") && !o.path("x-kubernetes-preserve-unknown-fields").asBoolean(false) && !o.has("additionalProperties"))
                o.put("additionalProperties", false);
            for (Iterator<JsonNode> it = o.elements(); it.hasNext(); ) close(it.next());
        } else if (n instanceof ArrayNode a) {
            for (JsonNode c : a) close(c);
        }
    }

    /** Schema errors of one manifest file, every document by its kind and every pod template on its own. */
    static List<String> validate(String where, String text) throws IOException {
        List<String> out = new ArrayList<>();
        List<JsonNode> docs = HostileStringTest.yaml(text);
        for (JsonNode d : docs) {
            String kind = d.path("kind").asText();
            JsonSchema s = switch (kind) {
                case "LeaderWorkerSet" -> lws;
                case "Service" -> service;
                case "PersistentVolumeClaim" -> pvc;
                case "Deployment" -> deployment;
                case "ConfigMap" -> configMap;
                case "ServiceAccount" -> serviceAccount;
                case "Role" -> role;
                case "RoleBinding" -> roleBinding;
                case "InferencePool" -> inferencePool;
                case "HTTPRoute" -> httpRoute;
                default -> null;
            };
            if (s == null) {
                out.add(where + ": a document of kind `" + kind + "` has no schema here");
                continue;
            }
            for (ValidationMessage m : s.validate(d)) out.add(where + " " + kind + ": " + m.getMessage());
            if (kind.equals("LeaderWorkerSet")) {
                JsonNode t = d.path("spec").path("leaderWorkerTemplate");
                for (String role : List.of("leaderTemplate", "workerTemplate")) {
                    if (!t.has(role)) continue;
                    for (ValidationMessage m : podTemplate.validate(t.get(role))) out.add(where + " " + role + ": " + m.getMessage());
                }
            }
        }
        return out;
    }

    /** Every Kubernetes manifest the fixtures, plans/ and their variants compile to, for every release of their engine. */
    static Map<String, String> manifests() throws IOException {
        Map<String, String> out = new TreeMap<>();
        for (List<EmitInput> base : AcceptedFlagsTest.plansToCheck()) {
            for (EmitInput b : base) {
                for (var r : b.engine().spec().releases()) {
                    EmitInput at = EmitTesting.input(EmitTesting.atVersion(b.plan(), r.version().toString()));
                    for (EmitInput in : List.of(at, AcceptedFlagsTest.variant(at, "_variant"))) {
                        Emit.Rendered one = Emit.standard().render(List.of(in), Set.of(dev.shardplan.model.Target.KUBERNETES));
                        if (!one.ok()) continue;
                        for (var e : one.plans().entrySet())
                            for (OutputFile f : e.getValue())
                                if (f.path().startsWith("kubernetes/")) out.put(r.label() + " " + e.getKey() + "/" + f.path(), f.content());
                    }
                }
            }
        }
        return out;
    }

    @Test
    void everyManifestValidatesAgainstTheLwsCrdAndTheKubernetesSchemas() throws IOException {
        Map<String, String> all = all();
        List<String> problems = new ArrayList<>();
        for (var e : all.entrySet()) problems.addAll(validate(e.getKey(), e.getValue()));
        assertEquals(List.of(), problems);
        assertTrue(all.size() > 60, "manifests checked: " + all.size());
        assertTrue(all.values().stream().anyMatch(t -> t.contains("kind: PersistentVolumeClaim")), "a generated claim is checked");
        assertTrue(all.values().stream().anyMatch(t -> t.contains("workerTemplate:") && t.contains("leaderTemplate:")), "a multi-node group is checked");
        assertTrue(all.keySet().stream().anyMatch(k -> k.endsWith("kubernetes/inference-scheduler.yaml")), "a pool plan's scheduler is checked");
        assertTrue(all.entrySet().stream().anyMatch(e -> e.getKey().endsWith("kubernetes/pools.yaml") && e.getKey().startsWith("sglang")),
                "an SGLang pool plan is checked");
    }

    @Test
    void theSchemasRefuseWhatKubernetesWouldRefuse() throws IOException {
        String good = all().entrySet().stream().filter(e -> e.getKey().endsWith("kubernetes/leaderworkerset.yaml")).map(Map.Entry::getValue)
                .filter(t -> t.contains("leaderTemplate:") && t.contains("kind: PersistentVolumeClaim")).findFirst().orElseThrow();
        assertEquals(List.of(), validate("good", good));
        // A misspelt probe, a count where Kubernetes takes a string-or-number quantity's parent object, a missing container name.
        assertFalse(validate("typo", good.replace("readinessProbe:", "readinesProbe:")).isEmpty(), "unknown pod field");
        assertFalse(validate("typo", good.replace("startupPolicy: LeaderCreated", "startupPolicy: LeaderFirst")).isEmpty(), "LWS enum");
        assertFalse(validate("typo", good.replace("restartPolicy: RecreateGroupOnPodRestart", "restartPolicy: RecreateGroupOnPodRestart\n    sizeOf: 2")).isEmpty(),
                "unknown LWS field");
        assertFalse(validate("typo", good.replace("accessModes:", "accessMode:")).isEmpty(), "unknown claim field");
        assertFalse(validate("typo", good.replace("targetPort:", "target:")).isEmpty(), "unknown service field");
        String sched = all().entrySet().stream().filter(e -> e.getKey().endsWith("kubernetes/inference-scheduler.yaml")).findFirst().orElseThrow().getValue();
        assertEquals(List.of(), validate("good", sched));
        assertFalse(validate("typo", sched.replace("endpointPickerRef:", "endpointPicker:")).isEmpty(), "unknown InferencePool field");
        assertFalse(validate("typo", sched.replace("    targetPort: 9002", "    targetPort: 9002\n    grpc: true")).isEmpty(), "unknown Service field");
        assertFalse(validate("typo", sched.replace("backendRefs:", "backends:")).isEmpty(), "unknown HTTPRoute field");
        assertFalse(validate("typo", sched.replace("roleRef:", "role:")).isEmpty(), "unknown RoleBinding field");
        assertFalse(validate("typo", sched.replace("strategy:\n    type: Recreate", "strategy:\n    kind: Recreate")).isEmpty(), "unknown Deployment field");
        String pools = all().entrySet().stream().filter(e -> e.getKey().endsWith("kubernetes/pools.yaml")).findFirst().orElseThrow().getValue();
        assertEquals(List.of(), validate("good", pools));
        assertFalse(validate("typo", pools.replace("restartPolicy: Always", "restartPolicies: Always")).isEmpty(), "unknown sidecar field");
    }

    private static Map<String, String> cached;

    /** The manifests, rendered once for both tests (rendering every plan at every release is the slow part). */
    private static Map<String, String> all() throws IOException {
        if (cached == null) cached = manifests();
        return cached;
    }
}
