package dev.shardplan.emit;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * What a platform team needs before it applies a manifest, present in every one the fixtures,
 * plans/ and their variants compile to, for every release of their engine (the schemas say the
 * fields are well formed; this says they are there): probes on the serving pod with a startup
 * budget of at least the ten minutes of engine start-up, CPU and memory requests beside the GPUs,
 * GPU product selection and the GPU taint's toleration, a sized memory-backed /dev/shm, the model
 * cache, an image pinned to a release (the plan's own when no image is given), a Service on the
 * leaders; for a group over nodes the LWS exclusive-topology annotation, the NCCL interface and
 * RDMA (or NCCL told to use sockets); for a gated Hub model, the token from a Secret. A pool
 * plan's pools.yaml is held to the same for each pool (its pods on RDMA or sockets even on one
 * node: their KV caches cross nodes), its inference-scheduler.yaml to the objects that route.
 */
class ProductionManifestTest {
    @Test
    void everyManifestCarriesWhatAnSreNeeds() throws IOException {
        List<String> problems = new ArrayList<>();
        int manifests = 0, multiNode = 0, gated = 0;
        for (List<EmitInput> base : AcceptedFlagsTest.plansToCheck()) {
            for (EmitInput b : base) {
                for (var r : b.engine().spec().releases()) {
                    EmitInput at = EmitTesting.input(b.plan().withEngine(b.plan().engine().withVersion(r.version().toString())));
                    for (EmitInput in : List.of(at, AcceptedFlagsTest.variant(at, "_variant"))) {
                        Emit.Rendered one = Emit.standard().render(List.of(in), Set.of(dev.shardplan.model.Target.KUBERNETES));
                        if (!one.ok()) continue;
                        for (var e : one.plans().entrySet()) {
                            for (OutputFile f : e.getValue()) {
                                if (!f.path().startsWith("kubernetes/")) continue;
                                manifests++;
                                String where = r.label() + " " + e.getKey() + "/" + f.path();
                                Counts c = check(where, in, HostileStringTest.yaml(f.content()), problems);
                                multiNode += c.multiNode;
                                gated += c.gated;
                            }
                        }
                    }
                }
            }
        }
        assertEquals(List.of(), problems);
        assertTrue(manifests > 60, "manifests checked: " + manifests);
        assertTrue(multiNode > 0, "groups over nodes checked: " + multiNode);
        assertTrue(gated > 0, "gated models checked: " + gated);
    }

    record Counts(int multiNode, int gated) {}

    static Counts check(String where, EmitInput in, List<JsonNode> docs, List<String> problems) {
        if (where.endsWith("kubernetes/inference-scheduler.yaml")) {
            scheduler(where, docs, problems);
            return new Counts(0, 0);
        }
        boolean pools = where.endsWith("kubernetes/pools.yaml");
        JsonNode service = null;
        List<JsonNode> groups = new ArrayList<>();
        for (JsonNode d : docs) {
            String k = d.path("kind").asText();
            if (k.equals("LeaderWorkerSet") || (pools && k.equals("Deployment"))) groups.add(d);
            if (k.equals("Service")) service = d;
        }
        if (groups.isEmpty()) {
            problems.add(where + ": no LeaderWorkerSet");
            return new Counts(0, 0);
        }
        if (pools && groups.size() != 2) problems.add(where + ": " + groups.size() + " pools, not a prefill and a decode one");
        // A pool plan's serving pods are reached through the InferencePool (inference-scheduler.yaml), not a Service.
        if (!pools && (service == null || !service.path("spec").path("selector").path("role").asText().equals("leader")))
            problems.add(where + ": no Service selecting the leaders");
        int multiNode = 0, gated = 0;
        for (JsonNode g : groups) {
            Counts c = group(where + " " + g.path("metadata").path("name").asText(), in, g, pools, problems);
            multiNode += c.multiNode;
            gated += c.gated;
        }
        return new Counts(multiNode, gated);
    }

    /** The scheduler of a pool plan: the pool, a picker with health probes on a pinned image, and the route to the pool. */
    static void scheduler(String where, List<JsonNode> docs, List<String> problems) {
        List<String> kinds = docs.stream().map(d -> d.path("kind").asText()).toList();
        for (String k : List.of("InferencePool", "Deployment", "Service", "ConfigMap", "ServiceAccount", "Role", "RoleBinding", "HTTPRoute"))
            if (!kinds.contains(k)) problems.add(where + ": no " + k);
        for (JsonNode d : docs) {
            if (!d.path("kind").asText().equals("Deployment")) continue;
            JsonNode c = d.path("spec").path("template").path("spec").path("containers").path(0);
            for (String p : List.of("livenessProbe", "readinessProbe")) if (!c.has(p)) problems.add(where + " EPP: no " + p);
            String image = c.path("image").asText();
            if (image.endsWith(":latest") || !image.contains(":")) problems.add(where + " EPP: image not pinned: " + image);
        }
    }

    static Counts group(String where, EmitInput in, JsonNode group, boolean pool, List<String> problems) {
        boolean lwsKind = group.path("kind").asText().equals("LeaderWorkerSet");
        JsonNode t = lwsKind ? group.path("spec").path("leaderWorkerTemplate") : null;
        int size = lwsKind ? t.path("size").asInt(1) : 1;
        boolean multi = size > 1;
        if (multi && group.path("metadata").path("annotations").path("leaderworkerset.sigs.k8s.io/exclusive-topology").asText().isEmpty())
            problems.add(where + ": a group of " + size + " pods without the exclusive-topology annotation");
        boolean gatedHub = in.plan().model().gated() && in.deployment().fromHub();
        String image = in.deployment().image() != null ? in.deployment().image() : in.engine().release().image();
        for (String role : List.of("leaderTemplate", "workerTemplate")) {
            if (lwsKind && !t.has(role)) continue;
            if (!lwsKind && role.equals("workerTemplate")) continue;
            String at = where + " " + role;
            JsonNode spec = lwsKind ? t.get(role).path("spec") : group.path("spec").path("template").path("spec");
            if (spec.path("nodeSelector").path("nvidia.com/gpu.product").asText().isEmpty()) problems.add(at + ": no GPU product nodeSelector");
            if (!spec.path("tolerations").toString().contains("nvidia.com/gpu")) problems.add(at + ": no toleration of the GPU taint");
            boolean shm = false, cache = false;
            for (JsonNode v : spec.path("volumes")) {
                if (v.path("emptyDir").path("medium").asText().equals("Memory") && !v.path("emptyDir").path("sizeLimit").asText().isEmpty()) shm = true;
                if (v.path("name").asText().equals("model-cache")) cache = true;
            }
            if (!shm) problems.add(at + ": /dev/shm is not a sized memory volume");
            if (!cache) problems.add(at + ": no model-cache volume");
            JsonNode c = spec.path("containers").path(0);
            if (!c.path("image").asText().equals(image)) problems.add(at + ": image " + c.path("image").asText() + ", expected " + image);
            if (image.endsWith(":latest") || !image.substring(image.lastIndexOf('/') + 1).contains(":")) problems.add(at + ": image not pinned: " + image);
            JsonNode req = c.path("resources").path("requests");
            for (String k : List.of("cpu", "memory", "nvidia.com/gpu"))
                if (req.path(k).asText().isEmpty()) problems.add(at + ": no " + k + " request");
            if (c.path("resources").path("limits").path("nvidia.com/gpu").asText().isEmpty()) problems.add(at + ": no GPU limit");
            if (role.equals("leaderTemplate") || !multi) {
                for (String p : List.of("startupProbe", "livenessProbe", "readinessProbe"))
                    if (!c.has(p)) problems.add(at + ": no " + p);
                JsonNode sp = c.path("startupProbe");
                if (sp.path("periodSeconds").asInt() * sp.path("failureThreshold").asInt() < 600)
                    problems.add(at + ": startup budget " + sp.path("periodSeconds").asInt() * sp.path("failureThreshold").asInt() + " s");
            }
            String env = c.path("env").toString();
            // A pool pod moves KV caches to other nodes even when its instance has one.
            if (multi || (pool && !in.plan().cluster().network().equals("none"))) {
                if (!env.contains("NCCL_SOCKET_IFNAME")) problems.add(at + ": a group over nodes without NCCL_SOCKET_IFNAME");
                boolean rdma = c.path("resources").path("limits").toString().contains("rdma/") || c.path("resources").path("limits").toString().contains("\"rdma");
                boolean ib = env.contains("{\"name\":\"NCCL_IB_DISABLE\",\"value\":\"0\"}");
                boolean sockets = env.contains("{\"name\":\"NCCL_IB_DISABLE\",\"value\":\"1\"}");
                if (!(rdma && ib) && !(!rdma && sockets)) problems.add(at + ": a group over nodes neither with RDMA and NCCL_IB_DISABLE=0 nor on sockets: " + env);
            }
            if (gatedHub) {
                String all = spec.toString();
                String secret = in.deployment().kube().hfTokenSecret();
                if (secret == null || !all.contains("\"secretKeyRef\":{\"name\":\"" + secret + "\"")) problems.add(at + ": a gated model without the token from its Secret");
            }
        }
        return new Counts(multi ? 1 : 0, gatedHub ? 1 : 0);
    }
}
