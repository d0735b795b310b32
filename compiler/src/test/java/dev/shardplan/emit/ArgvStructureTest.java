package dev.shardplan.emit;

import com.fasterxml.jackson.databind.JsonNode;
import dev.shardplan.analysis.PlanAnalysis;
import dev.shardplan.api.CheckResult;
import dev.shardplan.api.Compiler;
import dev.shardplan.diag.Diagnostic;
import dev.shardplan.model.Plan;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.lifecycle.AfterContainer;
import net.jqwik.api.lifecycle.BeforeContainer;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Hostile values never change the argv structure of a generated launcher command. A plan is
 * compiled twice through the whole front end: once with placeholder deploy values, once with
 * generated hostile ones (quotes, $(...), backticks, globs, leading dashes, commas, colons,
 * non-ASCII, control characters, lone surrogates). Either the hostile plan is refused with a
 * string or role diagnostic (SP0008, SP0215, or a target's SP0805), or every generated script,
 * run with the launchers replaced by stubs that record their argv, makes exactly the calls of
 * the placeholder run with each placeholder replaced by the hostile value: the same programs,
 * the same number of words, every other word identical. Kubernetes args are compared after
 * Kubernetes' own $(VAR) expansion. No string is ever executed.
 */
class ArgvStructureTest {
    static Path tmp, marker;
    static String template;
    static final String PLAN = "llama405b_tp8_pp2";
    /** Placeholder values of the baseline run: each valid for its role and unique in every script. */
    static final Map<String, String> PLACEHOLDER = new LinkedHashMap<>();
    static Map<String, List<List<String>>> baseline;

    static {
        PLACEHOLDER.put("model_path", "/models/phmodelx");
        PLACEHOLDER.put("served_name", "phservedx");
        PLACEHOLDER.put("image", "registry.example/phimagex:v1");
        PLACEHOLDER.put("host0", "phhosta");
        PLACEHOLDER.put("host1", "phhostb");
        PLACEHOLDER.put("network_interface", "phnicx");
    }

    @BeforeContainer
    static void setUp() throws Exception {
        assumeTrue(Files.isExecutable(Path.of("/bin/bash")), "bash is needed for this test");
        tmp = Files.createTempDirectory("shardplan-argv");
        marker = tmp.resolve("pwned");
        template = """
                import "std:nodes"
                import "std:models"
                import "std:workloads"
                cluster two_h200 { nodes 2 x HGX_H200 }
                plan %s {
                  model llama_3_1_405b
                  cluster two_h200
                  workload natural_reasoning
                  parallel { tp 8; pp 2 }
                  engine vllm { version "0.12.0"; gpu_memory_utilization 0.92; max_num_seqs 128 }
                  emit vllm, sglang, trtllm, kubernetes, slurm
                  deploy {
                    model_path "%s"; served_name "%s"; image "%s"
                    hosts "%s", "%s"; network_interface "%s"
                    namespace "inference"; partition "gpu"
                  }
                }
                """;
        Map<String, String> files = compile(PLACEHOLDER);
        assertTrue(files != null, "the placeholder plan compiles");
        baseline = runAll(files);
    }

    static final java.util.concurrent.atomic.AtomicInteger COMPARED = new java.util.concurrent.atomic.AtomicInteger(),
            REFUSED = new java.util.concurrent.atomic.AtomicInteger();

    @AfterContainer
    static void tearDown() throws IOException {
        System.out.println("argv: " + COMPARED.get() + " hostile plans compiled and compared call by call, " + REFUSED.get() + " refused");
        // Not vacuous: most cases carry a hostile value that passes its role's rule (a model path or served name with shell syntax).
        assertTrue(COMPARED.get() >= REFUSED.get() / 4, "too few cases reach the scripts");
        if (tmp == null) return;
        try (Stream<Path> s = Files.walk(tmp)) {
            for (Path p : s.sorted(Comparator.reverseOrder()).toList()) Files.deleteIfExists(p);
        }
    }

    /** Pieces hostile values are made of: shell syntax, option look-alikes, list separators, odd Unicode. */
    static final List<String> PIECES = List.of("$(touch M)", "`touch M`", "'", "\"", "\\", " ", "--port 1", "-", "--", ",", ":", "*", "?",
            "[a]", "~", "${HOME}", "$HOME", "$$", "$(LWS_WORKER_INDEX)", "%", "#", ";", "&", "|", ">", "<", "\t", "\n", "\ud800", "\u202e",
            "ü", "模型", "=", "@", "/", ".", "..", "a", "b", "0", "x".repeat(70));

    /** Pieces that keep a value printable: what passes a role's rule and still is shell syntax. */
    static final List<String> PRINTABLE = PIECES.stream().filter(p -> p.chars().noneMatch(c -> c < 0x20 || Character.isSurrogate((char) c)
            || c >= 0x202a && c <= 0x202e)).toList();

    /** A value for one field: its placeholder, one that fits its role but carries shell syntax, or raw pieces (mostly refused). */
    static Arbitrary<String> value(String key) {
        Arbitrary<String> raw = Arbitraries.of(PIECES).list().ofMinSize(1).ofMaxSize(6).map(ps -> String.join("", ps));
        Arbitrary<String> printable = Arbitraries.of(PRINTABLE).list().ofMinSize(1).ofMaxSize(6).map(ps -> String.join("", ps));
        Arbitrary<String> label = Arbitraries.strings().withChars("abcdefghijklmnopqrstuvwxyz0123456789").ofMinLength(1).ofMaxLength(12);
        Arbitrary<String> fitting = switch (key) {
            case "model_path" -> printable.map(v -> "/models/" + v.strip().replace("//", "/"));
            case "served_name" -> printable.map(v -> "n" + v.strip());
            case "image" -> Combinators.combine(label, label, label).as((a, b, c) -> a + ".example:5000/" + b + "/img:" + c);
            case "host0", "host1" -> Combinators.combine(label, label).as((a, b) -> a + "." + b);
            default -> Combinators.combine(label, label).as((a, b) -> a + "," + b);
        };
        return Arbitraries.frequencyOf(net.jqwik.api.Tuple.of(2, Arbitraries.just(PLACEHOLDER.get(key))), net.jqwik.api.Tuple.of(5, fitting),
                net.jqwik.api.Tuple.of(2, raw)).map(v -> v.replace("M", marker.toString()));
    }

    @Provide
    Arbitrary<Map<String, String>> hostile() {
        List<String> keys = new ArrayList<>(PLACEHOLDER.keySet());
        return Combinators.combine(keys.stream().map(ArgvStructureTest::value).toList()).as(vs -> {
            Map<String, String> m = new LinkedHashMap<>();
            for (int i = 0; i < keys.size(); i++) m.put(keys.get(i), vs.get(i));
            return m;
        });
    }

    @Property(tries = 120)
    void hostileDeployValuesNeverChangeTheArgv(@ForAll("hostile") Map<String, String> values) throws Exception {
        Map<String, String> files = compile(values);
        if (files == null) {
            REFUSED.incrementAndGet();
            return; // refused with a string or role diagnostic (asserted in compile)
        }
        COMPARED.incrementAndGet();
        Map<String, List<List<String>>> got = runAll(files);
        assertEquals(baseline.keySet(), got.keySet(), "the same scripts");
        for (String script : baseline.keySet()) {
            List<String> want = baseline.get(script).stream().map(c -> substitute(c, values)).map(ArgvStructureTest::line).sorted().toList();
            List<String> have = got.get(script).stream().map(ArgvStructureTest::line).sorted().toList();
            assertEquals(want, have, script + ": every argv word is the intended value");
        }
        assertFalse(Files.exists(marker), "a string was executed");
    }

    /** The placeholder run's call with each placeholder replaced by the case's value. */
    static List<String> substitute(List<String> call, Map<String, String> values) {
        List<String> out = new ArrayList<>();
        for (String w : call) {
            String x = w;
            for (String k : PLACEHOLDER.keySet()) x = x.replace(PLACEHOLDER.get(k), values.get(k));
            out.add(x);
        }
        return out;
    }

    /**
     * A call as one comparable line. A word holding a newline is a script handed to bash -c
     * (srun's job step): its own calls are recorded by the stubs, so the word itself is not compared.
     */
    static String line(List<String> call) {
        return String.join("\u0001", call.stream().map(w -> w.indexOf('\n') >= 0 ? "<script>" : w).toList());
    }

    /** The plan with these deploy values, checked and rendered; null when refused (only for the strings' sake). */
    static Map<String, String> compile(Map<String, String> v) throws IOException {
        Path root = Files.createTempDirectory(tmp, "p");
        String text = String.format(template, PLAN, lit(v.get("model_path")), lit(v.get("served_name")), lit(v.get("image")),
                lit(v.get("host0")), lit(v.get("host1")), lit(v.get("network_interface")));
        Path f = root.resolve("p.plan");
        Files.writeString(f, text, StandardCharsets.UTF_8);
        CheckResult res = Compiler.check(root, List.of(f));
        if (res.hasErrors()) {
            for (Diagnostic d : res.diagnostics()) {
                if (!d.isError()) continue;
                assertTrue(Set.of("SP0008", "SP0215", "SP0805", "SP0806", "SP0004").contains(d.code().id()),
                        () -> "a hostile value is refused for its own sake, not something else: " + d);
            }
            return null;
        }
        Plan p = res.plans().get(0);
        PlanAnalysis a = res.analyses().get(p.name());
        Emit.Rendered r = Emit.standard().render(List.of(EmitInput.of(p, a)), Set.of());
        assertTrue(r.ok(), () -> "check passed but compile fails: " + r.diagnostics());
        Map<String, String> out = new TreeMap<>();
        for (OutputFile o : r.plans().get(PLAN)) out.put(o.path(), o.content());
        return out;
    }

    /**
     * A plan string literal for {@code s}: quotes and backslashes escaped, control characters and
     * surrogates written as \\uXXXX escapes (the file itself is valid UTF-8; the value is not).
     */
    static String lit(String s) {
        StringBuilder b = new StringBuilder();
        for (char c : s.toCharArray()) {
            if (c == '\\' || c == '"') b.append('\\').append(c);
            else if (Character.isISOControl(c) || Character.isSurrogate(c)) b.append(String.format("\\u%04x", (int) c));
            else b.append(c);
        }
        return b.toString();
    }

    /** Every script run with stubs (the Slurm job once per node), and the LeaderWorkerSet's expanded args. */
    static Map<String, List<List<String>>> runAll(Map<String, String> files) throws Exception {
        Map<String, List<List<String>>> out = new TreeMap<>();
        for (var e : files.entrySet()) {
            String path = e.getKey();
            if (path.endsWith(".sbatch")) {
                for (String node : List.of("0", "1")) out.put(path + "@" + node, run(e.getValue(), Map.of("STUB_NODEID", node)));
            } else if (path.endsWith(".sh")) {
                out.put(path, run(e.getValue(), Map.of()));
            } else if (path.endsWith("leaderworkerset.yaml")) {
                out.put(path, kubernetes(e.getValue()));
            }
        }
        return out;
    }

    static List<List<String>> kubernetes(String yaml) throws IOException, InterruptedException {
        Map<String, String> lws = Map.of("LWS_LEADER_ADDRESS", "leader.svc", "LWS_WORKER_INDEX", "1", "LWS_GROUP_SIZE", "2");
        List<List<String>> calls = new ArrayList<>();
        for (JsonNode doc : HostileStringTest.yaml(yaml)) {
            JsonNode t = doc.path("spec").path("leaderWorkerTemplate");
            for (String role : List.of("leaderTemplate", "workerTemplate")) {
                for (JsonNode c : t.path(role).path("spec").path("containers")) {
                    List<String> argv = new ArrayList<>(List.of(role, "image=" + c.path("image").asText()));
                    c.path("command").forEach(x -> argv.add(HostileStringTest.k8sExpand(x.asText(), lws)));
                    c.path("args").forEach(x -> argv.add(HostileStringTest.k8sExpand(x.asText(), lws)));
                    // HF_HOME is a fixed path the manifest adds when the model is fetched by id rather than mounted by
                    // path: it follows the kind of the value, not its text, so the comparison leaves it out
                    c.path("env").forEach(x -> {
                        if (!x.path("name").asText().equals("HF_HOME")) {
                            argv.add("env:" + x.path("name").asText() + "=" + HostileStringTest.k8sExpand(x.path("value").asText(), lws));
                        }
                    });
                    calls.add(argv);
                    // A container that runs a bash script: what the script calls is what the launcher gets.
                    if (c.path("command").path(0).asText().endsWith("bash") && c.path("args").size() > 0) {
                        calls.addAll(run("#!/usr/bin/env bash\n" + HostileStringTest.k8sExpand(c.path("args").get(0).asText(), lws), lws));
                    }
                }
            }
        }
        return calls;
    }

    static final String[] STUBS = {"vllm", "python3", "trtllm-serve", "ray"};

    /** Runs a script with recording stubs on PATH (after `bash -n`); the recorded calls. */
    static List<List<String>> run(String script, Map<String, String> env) throws IOException, InterruptedException {
        Path dir = Files.createTempDirectory(tmp, "run");
        Path bin = Files.createDirectories(dir.resolve("bin"));
        Path log = Files.createDirectories(dir.resolve("log"));
        String record = "#!/bin/bash\nf=$(mktemp \"$STUB_LOG/call.XXXXXX\")\n"
                + "printf '%s\\0' \"$(basename \"$0\")\" \"$@\" \"ENV:NCCL_SOCKET_IFNAME=${NCCL_SOCKET_IFNAME-}\" \"ENV:HEAD_ADDR=${HEAD_ADDR-}\" > \"$f\"\n";
        for (String s : STUBS) stub(bin, s, record + "exit 0\n");
        stub(bin, "srun", record + "while [ $# -gt 0 ] && [ \"$1\" != bash ]; do shift; done\nSLURM_NODEID=${STUB_NODEID:-0} exec \"$@\"\n");
        stub(bin, "mpirun", record + "while [ $# -gt 0 ] && [ \"$1\" != trtllm-llmapi-launch ]; do shift; done\nexec \"$@\"\n");
        stub(bin, "trtllm-llmapi-launch", record + "exec \"$@\"\n");
        stub(bin, "scontrol", record + "printf 'stub-head\\nstub-worker\\n'\n");
        Path file = dir.resolve("script.sh");
        Files.writeString(file, script, StandardCharsets.UTF_8);
        assertEquals(0, exec(List.of("/bin/bash", "-n", file.toString()), Map.of(), dir), "bash -n rejects:\n" + script);
        Map<String, String> e = new HashMap<>(env);
        e.put("PATH", bin + ":/usr/bin:/bin");
        e.put("STUB_LOG", log.toString());
        e.put("SLURM_JOB_NODELIST", "stub-[1-2]");
        e.put("HEAD_ADDR", "stub-head-addr");
        e.put("MPI_HOSTS", "stub-mpi-hosts");
        e.put("HOME", dir.toString());
        assertEquals(0, exec(List.of("/bin/bash", file.toString()), e, dir), "script failed:\n" + script);
        List<List<String>> calls = new ArrayList<>();
        try (Stream<Path> s = Files.list(log)) {
            for (Path p : s.sorted().toList()) {
                String raw = Files.readString(p, StandardCharsets.UTF_8);
                // The script's own folder differs from run to run; it is not a value of the plan.
                calls.add(Arrays.stream(raw.substring(0, raw.length() - 1).split("\0", -1)).map(w -> w.replace(dir.toString(), "<dir>")).toList());
            }
        }
        return calls;
    }

    private static void stub(Path bin, String name, String body) throws IOException {
        Path p = bin.resolve(name);
        Files.writeString(p, body);
        assertTrue(p.toFile().setExecutable(true));
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
}
