package dev.shardplan.emit;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.shardplan.model.Deploy;
import dev.shardplan.model.Plan;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Plans whose deploy strings hold spaces, quotes, $(...), backticks, newlines, tabs and non-ASCII:
 * every generated script must pass `bash -n`, and, run with the launchers replaced by stubs that
 * record their argv, must hand each string to the launcher literally and run nothing it contains.
 * Kubernetes manifests get the same check after Kubernetes' own $(VAR) expansion.
 */
class HostileStringTest {
    @TempDir
    static Path tmp;
    static Path marker;
    static String model, served, image, head, worker, nic;
    static Map<String, EmitInput> plans;

    @BeforeAll
    static void setUp() {
        marker = tmp.resolve("pwned");
        String inject = "$(touch " + marker + ") `touch " + marker + "`";
        model = "/models/it's a \"model\" " + inject + " ${HOME} \\ back\nsecond line ünïcödé 模型 *?[a] ~x";
        served = "served 'name'\t" + inject + " -- --port 1";
        image = "registry.example/img:tag " + inject;
        head = "head node 'h' " + inject + "\nline2";
        worker = "worker`touch " + marker + "`";
        nic = "eth0; touch " + marker + " #";
        Map<String, EmitInput> m = new HashMap<>();
        for (EmitInput in : EmitTesting.load(EmitTesting.FIXTURES, "plans")) {
            Plan p = in.plan();
            Deploy d = new Deploy(model, served, image, List.of(head, worker), 8000, 29500, "inference", "gpu", "ml", nic);
            Plan hostile = new Plan(p.name(), p.sourceFile(), p.model(), p.cluster(), p.workload(), p.parallel(), p.engine(),
                    p.slos(), p.emit(), d, p.tuning(), p.spans(), p.span());
            m.put(p.name(), EmitTesting.input(hostile));
        }
        plans = m;
    }

    private static Map<String, String> files(String plan) {
        Emit.Rendered r = Emit.standard().render(List.of(plans.get(plan)), Set.of());
        assertTrue(r.ok(), () -> r.diagnostics().toString());
        Map<String, String> out = new HashMap<>();
        for (OutputFile f : r.plans().get(plan)) out.put(f.path(), f.content());
        return out;
    }

    @Test
    void multiNodeScriptsPassStringsLiterally() throws Exception {
        Map<String, String> f = files("llama405b_tp8_pp2");
        for (String path : List.of("vllm/mp/node0.sh", "vllm/mp/node1.sh", "vllm/ray/node0.sh", "vllm/ray/node1.sh",
                "sglang/node0.sh", "sglang/node1.sh", "trtllm/serve.sh", "slurm/job.sbatch")) {
            assertTrue(f.containsKey(path), path);
        }
        List<List<String>> mp1 = run(f.get("vllm/mp/node1.sh"), Map.of());
        List<String> vllm = call(mp1, "vllm");
        assertEquals(model, vllm.get(2));
        assertEquals(head, valueOf(vllm, "--master-addr"));

        List<List<String>> ray0 = run(f.get("vllm/ray/node0.sh"), Map.of());
        assertEquals(model, call(ray0, "vllm").get(2));
        List<List<String>> ray1 = run(f.get("vllm/ray/node1.sh"), Map.of());
        assertEquals(head + ":6379", valueOf(call(ray1, "ray"), "--address"));

        List<List<String>> sg = run(f.get("sglang/node1.sh"), Map.of());
        List<String> py = call(sg, "python3");
        assertEquals(model, valueOf(py, "--model-path"));
        assertEquals(served, valueOf(py, "--served-model-name"));
        assertEquals(head + ":29500", valueOf(py, "--dist-init-addr"));
        assertTrue(sg.stream().anyMatch(c -> c.contains("ENV:NCCL_SOCKET_IFNAME=" + nic)), "NIC passed literally");

        List<List<String>> trt = run(f.get("trtllm/serve.sh"), Map.of());
        assertEquals(head + ":8," + worker + ":8", valueOf(call(trt, "mpirun"), "--host"));
        List<String> serve = call(trt, "trtllm-serve");
        assertEquals(model, serve.get(1));
        // The trtllm-serve shardplan checks against has no --served_model_name (SP0811 says so); the name is not passed.
        assertFalse(serve.contains("--served_model_name"));

        for (String node : List.of("0", "1")) {
            List<List<String>> sl = run(f.get("slurm/job.sbatch"), Map.of("STUB_NODEID", node));
            assertEquals(image, valueOf(call(sl, "srun"), "--container-image"));
            List<String> v = call(sl, "vllm");
            assertEquals(model, v.get(2));
            assertEquals("stub-head", valueOf(v, "--master-addr"));
            assertEquals(node, valueOf(v, "--node-rank"));
        }
        assertFalse(Files.exists(marker), "a string was executed");
    }

    @Test
    void dataParallelScriptsAndManifestsPassStringsLiterally() throws Exception {
        Map<String, String> f = files("r1_dp16_ep16_vllm");
        List<List<String>> n1 = run(f.get("vllm/node1.sh"), Map.of());
        List<String> v = call(n1, "vllm");
        assertEquals(model, v.get(2));
        assertEquals(head, valueOf(v, "--data-parallel-address"));
        assertEquals("8", valueOf(v, "--data-parallel-start-rank"));

        // Kubernetes: expand $(VAR) and $$ as Kubernetes does, then run the worker's bash script.
        JsonNode tmpl = kind(yaml(f.get("kubernetes/leaderworkerset.yaml")), "LeaderWorkerSet").path("spec").path("leaderWorkerTemplate");
        assertEquals(image, tmpl.path("leaderTemplate").path("spec").path("containers").get(0).path("image").asText());
        Map<String, String> lws = Map.of("LWS_LEADER_ADDRESS", "leader.svc", "LWS_WORKER_INDEX", "1", "LWS_GROUP_SIZE", "2");
        JsonNode leader = tmpl.path("leaderTemplate").path("spec").path("containers").get(0);
        List<String> leaderArgs = new ArrayList<>();
        leader.path("args").forEach(a -> leaderArgs.add(k8sExpand(a.asText(), lws)));
        assertEquals(model, leaderArgs.get(0));
        assertEquals(served, valueOf(leaderArgs, "--served-model-name"));
        assertEquals("leader.svc", valueOf(leaderArgs, "--data-parallel-address"));
        JsonNode env = leader.path("env");
        boolean nicSeen = false;
        for (JsonNode e : env) if (e.path("name").asText().equals("NCCL_SOCKET_IFNAME")) nicSeen = k8sExpand(e.path("value").asText(), lws).equals(nic);
        assertTrue(nicSeen, "NIC env value literal after expansion");

        JsonNode workerC = tmpl.path("workerTemplate").path("spec").path("containers").get(0);
        assertEquals("/bin/bash", workerC.path("command").get(0).asText());
        String script = k8sExpand(workerC.path("args").get(0).asText(), lws);
        Map<String, String> env2 = new HashMap<>(lws);
        List<List<String>> w = run("#!/usr/bin/env bash\n" + script, env2);
        List<String> wv = call(w, "vllm");
        assertEquals(model, wv.get(2));
        assertEquals("8", valueOf(wv, "--data-parallel-start-rank"));
        assertEquals("8", valueOf(wv, "--data-parallel-size-local"));
        assertEquals("leader.svc", valueOf(wv, "--data-parallel-address"));
        assertFalse(Files.exists(marker), "a string was executed");
    }

    @Test
    void singleNodeScriptsPassStringsLiterally() throws Exception {
        Map<String, String> f = files("llama70b_tp4_dp2");
        for (var e : f.entrySet()) {
            if (!e.getKey().endsWith(".sh") && !e.getKey().endsWith(".sbatch")) continue;
            List<List<String>> calls = run(e.getValue(), Map.of());
            boolean modelSeen = calls.stream().anyMatch(c -> c.contains(model));
            assertTrue(modelSeen, e.getKey() + " passes the model path literally: " + calls);
        }
        List<String> t1 = call(run(f.get("trtllm/serve-dp1.sh"), Map.of()), "trtllm-serve");
        assertEquals("8001", valueOf(t1, "--port"));
        assertFalse(Files.exists(marker), "a string was executed");
    }

    @Test
    void sglangAndTrtllmMultiNodeFromSlurm() throws Exception {
        Map<String, String> sg = files("r1_dp16_ep16_sglang");
        List<String> py = call(run(sg.get("slurm/job.sbatch"), Map.of("STUB_NODEID", "1")), "python3");
        assertEquals(model, valueOf(py, "--model-path"));
        assertEquals("stub-head:29500", valueOf(py, "--dist-init-addr"));
        assertEquals("1", valueOf(py, "--node-rank"));
        Map<String, String> tr = files("r1_dp16_ep16_trtllm");
        List<List<String>> calls = run(tr.get("slurm/job.sbatch"), Map.of("STUB_NODEID", "0"));
        assertEquals("pmix", valueOf(call(calls, "srun"), "--mpi"));
        assertEquals(model, call(calls, "trtllm-serve").get(1));
        assertFalse(Files.exists(marker), "a string was executed");
    }

    // ---- harness ----

    private static final String[] STUBS = {"vllm", "python3", "trtllm-serve", "ray"};

    /** Writes the script, checks `bash -n`, runs it with stubs on PATH, returns the recorded calls. */
    static List<List<String>> run(String script, Map<String, String> env) throws IOException, InterruptedException {
        Path dir = Files.createTempDirectory(tmp, "run");
        Path bin = Files.createDirectories(dir.resolve("bin"));
        Path log = Files.createDirectories(dir.resolve("log"));
        String record = "#!/bin/bash\nf=$(mktemp \"$STUB_LOG/call.XXXXXX\")\n"
                + "printf '%s\\0' \"$(basename \"$0\")\" \"$@\" \"ENV:NCCL_SOCKET_IFNAME=${NCCL_SOCKET_IFNAME-}\" > \"$f\"\n";
        for (String s : STUBS) stub(bin, s, record + "exit 0\n");
        // Wrappers record their own argv, then run the command they wrap.
        stub(bin, "srun", record + "while [ $# -gt 0 ] && [ \"$1\" != bash ]; do shift; done\n"
                + "SLURM_NODEID=${STUB_NODEID:-0} exec \"$@\"\n");
        stub(bin, "mpirun", record + "while [ $# -gt 0 ] && [ \"$1\" != trtllm-llmapi-launch ]; do shift; done\nexec \"$@\"\n");
        stub(bin, "trtllm-llmapi-launch", record + "exec \"$@\"\n");
        stub(bin, "scontrol", record + "printf 'stub-head\\nstub-worker\\n'\n");
        Path file = dir.resolve("script.sh");
        Files.writeString(file, script, StandardCharsets.UTF_8);

        assumeTrue(Files.isExecutable(Path.of("/bin/bash")), "bash is needed for this test");
        assertEquals(0, exec(List.of("/bin/bash", "-n", file.toString()), Map.of(), dir), "bash -n rejects:\n" + script);
        Map<String, String> e = new HashMap<>(env);
        e.put("PATH", bin + ":/usr/bin:/bin");
        e.put("STUB_LOG", log.toString());
        e.put("SLURM_JOB_NODELIST", "stub-[1-2]");
        e.putIfAbsent("HEAD_ADDR", head);
        e.put("HOME", dir.toString());
        assertEquals(0, exec(List.of("/bin/bash", file.toString()), e, dir), "script failed:\n" + script);

        List<List<String>> calls = new ArrayList<>();
        try (Stream<Path> s = Files.list(log)) {
            for (Path p : s.sorted().toList()) {
                String raw = Files.readString(p, StandardCharsets.UTF_8);
                calls.add(Arrays.asList(raw.substring(0, raw.length() - 1).split("\0", -1)));
            }
        }
        return calls;
    }

    private static void stub(Path bin, String name, String body) throws IOException {
        Path p = bin.resolve(name);
        Files.writeString(p, body);
        p.toFile().setExecutable(true);
    }

    private static int exec(List<String> cmd, Map<String, String> env, Path dir) throws IOException, InterruptedException {
        ProcessBuilder pb = new ProcessBuilder(cmd).directory(dir.toFile()).redirectErrorStream(true);
        if (!env.isEmpty()) {
            pb.environment().clear();
            pb.environment().putAll(env);
        }
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(30, TimeUnit.SECONDS), "timed out");
        if (p.exitValue() != 0) System.err.println(out);
        return p.exitValue();
    }

    static List<String> call(List<List<String>> calls, String program) {
        for (List<String> c : calls) if (c.get(0).equals(program)) return c;
        throw new AssertionError("no call to " + program + " in " + calls);
    }

    static String valueOf(List<String> argv, String flag) {
        int i = argv.indexOf(flag);
        if (i < 0 || i + 1 >= argv.size()) throw new AssertionError("no " + flag + " in " + argv);
        return argv.get(i + 1);
    }

    /** The document of a kind in a multi-document manifest. */
    static JsonNode kind(List<JsonNode> docs, String kind) {
        for (JsonNode d : docs) if (d.path("kind").asText().equals(kind)) return d;
        throw new AssertionError("no " + kind + " in the manifest");
    }

    static List<JsonNode> yaml(String text) throws IOException {
        ObjectMapper m = new ObjectMapper(new YAMLFactory());
        List<JsonNode> out = new ArrayList<>();
        try (var it = m.readerFor(JsonNode.class).<JsonNode>readValues(text)) {
            while (it.hasNext()) out.add(it.next());
        }
        return out;
    }

    /** Kubernetes' expansion of command, args and env values: $$ is $, $(VAR) is the variable when defined. */
    static String k8sExpand(String s, Map<String, String> env) {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '$' && i + 1 < s.length() && s.charAt(i + 1) == '$') {
                b.append('$');
                i++;
            } else if (c == '$' && i + 1 < s.length() && s.charAt(i + 1) == '(') {
                int end = s.indexOf(')', i);
                String name = end < 0 ? null : s.substring(i + 2, end);
                if (name != null && env.containsKey(name)) {
                    b.append(env.get(name));
                    i = end;
                } else b.append(c);
            } else b.append(c);
        }
        return b.toString();
    }
}
