package dev.shardplan.robust;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.shardplan.api.CheckResult;
import dev.shardplan.api.CompileResult;
import dev.shardplan.api.Compiler;
import dev.shardplan.diag.Deadline;
import dev.shardplan.diag.Diagnostic;
import dev.shardplan.diag.Diagnostics;
import dev.shardplan.diag.HumanRenderer;
import dev.shardplan.graph.DeviceGraph;
import dev.shardplan.model.Target;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * One regression test per finding of issue 13 (fuzzing and probing the compiler on main at
 * 4631c1c): each input that crashed, hung, ran out of memory, read or wrote outside the project,
 * injected an argument or silently changed a value now gets the diagnostic that says so. The
 * time limits here only detect hangs; they are far above the real cost.
 */
class FindingsTest {
    static final Duration HANG = Duration.ofSeconds(60);
    static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path root;

    static final String HEADER = "import \"std:nodes\"\nimport \"std:models\"\nimport \"std:workloads\"\n";

    CheckResult check(String plan, Map<String, String> files) throws IOException {
        for (var e : files.entrySet()) {
            Path p = root.resolve(e.getKey());
            Files.createDirectories(p.getParent());
            Files.writeString(p, e.getValue(), StandardCharsets.UTF_8);
        }
        Path f = root.resolve("main.plan");
        Files.writeString(f, plan, StandardCharsets.UTF_8);
        CheckResult r = assertTimeoutPreemptively(HANG, () -> Compiler.check(root, List.of(f)));
        Fuzz.invariants(r);
        return r;
    }

    static List<String> codes(CheckResult r) {
        return r.diagnostics().stream().map(d -> d.code().id()).toList();
    }

    static Diagnostic first(CheckResult r, String code) {
        return r.diagnostics().stream().filter(d -> d.code().id().equals(code)).findFirst()
                .orElseThrow(() -> new AssertionError("no " + code + " in " + r.diagnostics()));
    }

    String hfPlan(String mutateField, String rawValue) throws IOException {
        String cfg = Files.readString(Path.of("src/test/resources/hf-configs/meta-llama--Meta-Llama-3.1-8B.config.json"));
        ObjectNode n = (ObjectNode) JSON.readTree(cfg);
        n.put(mutateField, "__v__");
        Files.writeString(root.resolve("config.json"), n.toString().replace("\"__v__\"", rawValue));
        return HEADER + "model m from huggingface \"config.json\" { }\ncluster c { nodes 1 x HGX_H100 }\n"
                + "plan p { model m; cluster c; workload natural_reasoning; parallel { tp 8 }; engine vllm { }; emit vllm }\n";
    }

    // ---- crashes

    @Test
    void zeroHeadsInAConfigAreOutOfRangeNotADivisionByZero() throws IOException {
        for (String field : List.of("num_attention_heads", "num_key_value_heads")) {
            CheckResult r = check(hfPlan(field, "0"), Map.of());
            Diagnostic d = first(r, "SP0207");
            assertTrue(d.message().contains("`" + field + "` in `config.json` is 0, outside 1..4096"), d.message());
        }
    }

    @Test
    void ranksFarBeyondTheClusterAreRejectedWithoutLayingThemOut() throws IOException {
        String base = HEADER + "cluster c { nodes 2 x HGX_H100 }\nplan p { model llama_3_1_8b; cluster c; workload natural_reasoning; parallel { %s }; engine vllm { } }\n";
        CheckResult r = check(String.format(base, "dp 16; tp 65536"), Map.of());
        assertTrue(first(r, "SP0207").message().contains("1048576 ranks, over the limit of 131072"));
        // within the bound but more ranks than GPUs: the world-size rule alone, and no analysis to hand on
        r = check(String.format(base, "dp 16; tp 4096"), Map.of());
        assertEquals(List.of("SP0605"), codes(r));
        assertTrue(r.analyses().isEmpty());
    }

    // ---- hangs and unbounded work

    @Test
    void aBillionLayersInAConfigAreRejectedAtImport() throws IOException {
        CheckResult r = check(hfPlan("num_hidden_layers", "2147483647"), Map.of());
        assertTrue(first(r, "SP0207").message().contains("`num_hidden_layers` in `config.json` is 2147483647, outside 1..100000"));
    }

    @Test
    void aHugeClusterCostsAPlanWhatItUses() throws IOException {
        CheckResult r = check(HEADER + "cluster huge { nodes 65535 x HGX_H100 }\n"
                + "plan p { model llama_3_1_8b; cluster huge; workload natural_reasoning; parallel { tp 2 }; engine vllm { } }\n", Map.of());
        var a = r.analyses().get("p");
        assertEquals(524_280, a.graph().gpus(), "the summary counts the whole cluster");
        // ...but the graph the analysis routes over holds the one node the plan's ranks are on
        DeviceGraph g = DeviceGraph.of(a.plan().cluster(), new int[] {0, 1});
        assertEquals(8 + 1 + 1 + 8 + 1, g.graph().vertexSet().size());
        assertEquals("SP0606", first(r, "SP0606").code().id());
    }

    @Test
    void gpusPerNodeAndNodesAreBounded() throws IOException {
        CheckResult r = check(HEADER + "import \"std:gpus\"\nnode n { gpus 65535 x H100_SXM; fabric nvswitch }\ncluster c { nodes 1 x n }\n"
                + "cluster d { nodes 1000000 x HGX_H100 }\n", Map.of());
        assertEquals(List.of("SP0207", "SP0207"), codes(r));
        assertTrue(r.diagnostics().get(0).message().contains("outside 1..256"));
        assertTrue(r.diagnostics().get(1).message().contains("outside 1..65536"));
    }

    // ---- resource bounds

    @Test
    void aTwoThousandFileImportChainLoadsWithoutOverflowingTheStack() throws IOException {
        Map<String, String> files = new TreeMap<>();
        int n = 3000;
        for (int i = 0; i < n; i++) files.put("chain/f" + i + ".plan", i + 1 < n ? "import \"f" + (i + 1) + ".plan\"\n" : "");
        files.put("chain/f" + (n - 1) + ".plan", "import \"std:nodes\"\ncluster end { nodes 1 x HGX_H100 }\n");
        CheckResult r = check(HEADER + "import \"chain/f0.plan\"\nplan p { model llama_3_1_8b; cluster end; workload natural_reasoning; parallel { tp 8 }; engine vllm { } }\n", files);
        assertFalse(r.hasErrors(), () -> r.diagnostics().toString());
        assertEquals(n + 1, r.dependencies().get("main.plan").stream().filter(s -> s.endsWith(".plan")).count());
    }

    /** The 4 MB plan of 10^6 unknown keys exhausted a 1 GB heap: its tokens are refused before parsing (a tree of them needed more than 1 GB). */
    @Test
    void aMillionEntriesAreRefusedBeforeParsing() throws Exception {
        StringBuilder b = new StringBuilder("plan p {\n  tuning {");
        for (int i = 0; i < 1_000_000; i++) b.append(i % 2 == 0 ? "q;" : "k 1;");
        b.append(" }\n}\n");
        assertTrue(b.length() < 4 << 20, "inside the 4 MiB file limit: " + b.length());
        CheckResult r = check(b.toString(), Map.of());
        assertEquals(List.of("SP0903"), codes(r));
        assertTrue(r.diagnostics().get(0).message().contains("has more than 200000 tokens"));
        // and in a JVM of its own with a 256 MB heap
        assertEquals(List.of("SP0903"), child("-Xmx256m", root, root.resolve("main.plan")).stream().map(l -> l.substring(0, 6)).toList());
    }

    /** Every unknown key is a diagnostic, but a file shows at most 100 and counts the rest. */
    @Test
    void diagnosticsAreCappedPerFile() throws Exception {
        StringBuilder b = new StringBuilder(HEADER + "cluster c { nodes 1 x HGX_H100 }\nplan p { model llama_3_1_8b; cluster c; workload natural_reasoning; parallel { tp 8 }; engine vllm { }\n  tuning {");
        int keys = 60_000;
        for (int i = 0; i < keys; i++) b.append(i % 2 == 0 ? "q;" : "k 1;");
        b.append(" }\n}\n");
        CheckResult r = check(b.toString(), Map.of());
        assertEquals(Diagnostics.PER_FILE + 1, r.diagnostics().size());
        Diagnostic last = r.diagnostics().get(r.diagnostics().size() - 1);
        assertEquals("SP0905", last.code().id());
        assertTrue(last.message().matches("\\d+ more diagnostics \\(\\d+ errors\\) in `main.plan` not shown"), last.message());
        assertTrue(Long.parseLong(last.message().split(" ")[0]) >= keys - Diagnostics.PER_FILE, last.message());
        assertTrue(last.isError());
        // in a JVM of its own with a 128 MB heap
        List<String> out = child("-Xmx128m", root, root.resolve("main.plan"));
        assertEquals(Diagnostics.PER_FILE + 1, out.size());
        assertTrue(out.get(out.size() - 1).startsWith("SP0905 "), out.get(out.size() - 1));
    }

    @Test
    void requestsAreBoundedByWhatTheSimulatorHolds() throws IOException {
        // the language's bound; within it, a set the heap cannot hold is refused before it is drawn (cli OutOfMemoryTest)
        CheckResult r = check(HEADER + "workload w { requests 200000000; prompt fixed(100) tokens; output fixed(100) tokens; max_length 32k tokens }\n", Map.of());
        assertTrue(first(r, "SP0207").message().contains("outside 1..100000000"));
        var w = new dev.shardplan.model.Workload("w", 100_000_000, 0, 0, null, null, 32_768, dev.shardplan.diag.Span.NONE);
        long need = dev.shardplan.predict.Predictor.simulationBytes(w.requests()) + dev.shardplan.predict.Predictor.requestSetBytes(w.requests());
        if (need > Runtime.getRuntime().maxMemory()) {
            var d = dev.shardplan.predict.Predictor.tooLarge(w, dev.shardplan.diag.Span.NONE, 1);
            assertTrue(d != null && d.code().id().equals("SP0904"), "the largest request set is refused before it is drawn: " + d);
        }
    }

    @Test
    void csvLengthsAreStreamedAndBounded() throws IOException {
        String plan = HEADER + "workload w { requests 100; prompt empirical(\"l.csv\") tokens; output fixed(10) tokens; max_length 32k tokens }\n";
        CheckResult r = check(plan, Map.of("l.csv", "len\n1\n2\n1e400\n"));
        assertTrue(first(r, "SP0210").message().contains("l.csv:4: `1e400` is not a whole number"));
        r = check(plan, Map.of("l.csv", "5\n99999999999\n"));
        assertTrue(first(r, "SP0210").message().contains("length 99999999999 is not a token count in 1..1000000000"));
    }

    /** A 64 MiB CSV (16.7 M lengths) checked with a 200 MB heap: readAllLines and boxed Longs needed ~3 GB. */
    @Test
    void aCsvAtTheSizeLimitFitsInASmallHeap() throws Exception {
        StringBuilder b = new StringBuilder(64 << 20);
        for (int i = 0; i < (1 << 24) - 1; i++) b.append(100 + i % 900).append('\n');
        assertTrue(b.length() <= 64 << 20);
        Files.writeString(root.resolve("l.csv"), b);
        Files.writeString(root.resolve("main.plan"), HEADER + "workload w { requests 100; prompt empirical(\"l.csv\") tokens; output fixed(10) tokens; max_length 32k tokens }\n");
        List<String> out = child("-Xmx200m", root, root.resolve("main.plan"));
        assertEquals(List.of(), out, "the CSV is read, and nothing is wrong with it");
    }

    /** Out of memory is a resource diagnostic naming the input, not an internal error. */
    @Test
    void runningOutOfMemoryIsAResourceDiagnostic() throws Exception {
        StringBuilder b = new StringBuilder(64 << 20);
        for (int i = 0; i < (1 << 24) - 1; i++) b.append(1 + i % 9).append('\n');
        Files.writeString(root.resolve("l.csv"), b);
        Files.writeString(root.resolve("main.plan"), HEADER + "workload w { requests 100; prompt empirical(\"l.csv\") tokens; output fixed(10) tokens; max_length 32k tokens }\n");
        List<String> out = child("-Xmx40m", root, root.resolve("main.plan"));
        assertEquals(1, out.size(), out::toString);
        assertTrue(out.get(0).startsWith("SP0904 checking `main.plan` needs more memory than the"), out.get(0));
    }

    @Test
    void aTimeLimitIsAResourceDiagnosticNamingThePlan() throws IOException {
        Files.writeString(root.resolve("main.plan"), HEADER + "cluster c { nodes 1 x HGX_H100 }\nplan p { model llama_3_1_8b; cluster c; workload natural_reasoning; parallel { tp 8 }; engine vllm { } }\n");
        CheckResult r = Deadline.within(Duration.ofNanos(1), () -> Compiler.check(root, List.of(root.resolve("main.plan"))));
        Diagnostic d = first(r, "SP0904");
        assertTrue(d.message().contains("`main.plan` was not finished: the time limit of 1 s ran out"), d.message());
        assertFalse(codes(r).contains("SP0901"));
    }

    @Test
    void aTimeLimitHoldsOnTheSearchsWorkerThreads() throws IOException {
        Files.writeString(root.resolve("s.plan"), HEADER + "cluster c { nodes 1 x HGX_H200 }\n"
                + "workload few { requests 200; arrival offline; prompt fixed(100) tokens; output fixed(1000) tokens; max_length 16k tokens }\n"
                + "search few8b { model deepseek_r1_distill_llama_8b; cluster c; workload few; engine vllm { }; objective throughput;"
                + " explore { tp 1, 2, 4, 8; pp 1, 2; max_num_seqs 64, 256 } }\n");
        CheckResult r = Compiler.check(root, List.of(root.resolve("s.plan")));
        assertFalse(r.hasErrors(), () -> r.diagnostics().toString());
        var space = dev.shardplan.api.Predictions.space(r.searches().get(0));
        // candidates are analysed and simulated on worker threads only: they must see the caller's limit
        var opts = new dev.shardplan.predict.Search.Options(2, true, null);
        Deadline.Exceeded x = org.junit.jupiter.api.Assertions.assertThrows(Deadline.Exceeded.class, () -> Deadline.within(Duration.ofNanos(1),
                () -> dev.shardplan.predict.Search.run(space, 1, dev.shardplan.api.Predictions.inputs(), opts)));
        assertEquals(1, x.seconds());
    }

    // ---- non-finite numbers

    @Test
    void nonFiniteNumbersInAConfigAreRejected() throws IOException {
        assertTrue(first(check(hfPlan("rope_theta", "1e400"), Map.of()), "SP0207").message()
                .contains("`rope_theta` in `config.json` is a number too large to represent"));
        assertTrue(first(check(hfPlan("rms_norm_eps", "-1e400"), Map.of()), "SP0207").message().contains("`rms_norm_eps`"));
    }

    // ---- reads outside the root

    /** A file outside the project holding a secret; links inside the project point at it. */
    Path secret() throws IOException {
        Path outside = Files.createTempDirectory("shardplan-outside");
        Path s = outside.resolve("secret.plan");
        Files.writeString(s, "THE-SECRET-KEY {\n}\n{\"num_hidden_layers\": \"THE-SECRET-KEY\"}\n");
        return s;
    }

    static void assertNoSecret(CheckResult r) {
        String shown = new HumanRenderer(r.sources(), false).render(r.diagnostics());
        assertFalse(shown.contains("THE-SECRET-KEY"), shown);
    }

    @Test
    void symbolicLinksOutOfTheRootAreNotRead() throws IOException {
        Path secret = secret();
        Files.createSymbolicLink(root.resolve("shared.plan"), secret);
        Files.createSymbolicLink(root.resolve("config.json"), secret);
        Files.createSymbolicLink(root.resolve("l.csv"), secret);
        Files.createDirectories(root.resolve("linked"));
        CheckResult r = check("import \"shared.plan\"\n", Map.of());
        assertTrue(first(r, "SP0105").message().contains("is a symbolic link to a file outside the project root"));
        assertNoSecret(r);
        r = check(HEADER + "model m from huggingface \"config.json\" { }\n", Map.of());
        assertTrue(first(r, "SP0105").message().contains("config path `config.json` is a symbolic link to a file outside the project root"));
        assertNoSecret(r);
        r = check(HEADER + "workload w { requests 10; prompt empirical(\"l.csv\") tokens; output fixed(10) tokens; max_length 32k tokens }\n", Map.of());
        assertTrue(first(r, "SP0105").message().contains("data file `l.csv` is a symbolic link to a file outside the project root"));
        assertNoSecret(r);
        // a folder walk skips a plan file that links out
        Files.createSymbolicLink(root.resolve("linked/evil.plan"), secret);
        CheckResult walked = Compiler.check(root, List.of(root.resolve("linked")));
        assertTrue(first(walked, "SP0105").message().contains("is a symbolic link to a file outside the project root; not checked"));
        assertNoSecret(walked);
        // links that stay inside the root are followed as before
        Files.writeString(root.resolve("real.plan"), "import \"std:nodes\"\ncluster k { nodes 1 x HGX_H100 }\n");
        Files.createSymbolicLink(root.resolve("alias.plan"), root.resolve("real.plan"));
        assertFalse(check("import \"alias.plan\"\n", Map.of()).hasErrors());
    }

    @Test
    void theQuantConfigBesideAConfigIsConfinedToo() throws IOException {
        Files.createDirectories(root.resolve("m"));
        Files.copy(Path.of("src/test/resources/hf-configs/meta-llama--Meta-Llama-3.1-8B.config.json"), root.resolve("m/config.json"));
        Files.createSymbolicLink(root.resolve("m/hf_quant_config.json"), secret());
        CheckResult r = check(HEADER + "model m from huggingface \"m/config.json\" { }\n", Map.of());
        assertTrue(first(r, "SP0105").message().contains("is a symbolic link out of the project"));
        assertNoSecret(r);
    }

    // ---- argument injection and altered values

    @Test
    void valuesThatWouldBecomeLauncherSyntaxAreRefused() throws IOException {
        String base = HEADER + "cluster c { nodes 2 x HGX_H100 }\nplan p { model llama_3_1_8b; cluster c; workload natural_reasoning; parallel { tp 16 }; "
                + "engine trtllm { }; emit trtllm; deploy { %s } }\n";
        assertTrue(first(check(String.format(base, "hosts \"node-0,evil:8\", \"node-1\""), Map.of()), "SP0215").message().contains("holds a comma"));
        assertTrue(first(check(String.format(base, "model_path \"--trust-remote-code\""), Map.of()), "SP0215").message().contains("starts with '-'"));
        assertTrue(first(check(String.format(base, "image \"x y; rm\""), Map.of()), "SP0215").message().contains("is not an image reference"));
        CheckResult hf = check(HEADER + "model m { layers 2; hidden 64; heads 2; kv_heads 2; ffn 64; vocab 100; hf_id \"--trust-remote-code\" }\n", Map.of());
        assertTrue(first(hf, "SP0215").message().contains("hf_id `--trust-remote-code` starts with '-'"));
        assertFalse(check(String.format(base, "hosts \"node-0.example\", \"10.0.0.2\"; model_path \"/models/llama 3\"; image \"nvcr.io/nvidia/tensorrt-llm/release:1.0.0\""), Map.of())
                .diagnostics().stream().anyMatch(d -> d.code().id().equals("SP0215")));
    }

    @Test
    void loneSurrogatesAndControlCharactersAreDiagnosticsNotSubstitutions() throws IOException {
        for (String s : List.of("a\\ud800b", "line\\nbreak", "tab\there", "\\u202eevil")) {
            CheckResult r = check(HEADER + "cluster c { nodes 1 x HGX_H100 }\nplan p { model llama_3_1_8b; cluster c; workload natural_reasoning; "
                    + "parallel { tp 8 }; engine vllm { }; deploy { served_name \"" + s + "\" } }\n", Map.of());
            assertEquals("SP0008", r.diagnostics().get(0).code().id(), s);
        }
    }

    // ---- check/compile mismatches

    @Test
    void longNamesAreRefusedByCheckAsByCompile() throws IOException {
        for (int len : List.of(240, 300)) {
            CheckResult r = check(HEADER + "cluster c { nodes 1 x HGX_H100 }\nplan " + "p".repeat(len)
                    + " { model llama_3_1_8b; cluster c; workload natural_reasoning; parallel { tp 8 }; engine vllm { } }\n", Map.of());
            assertTrue(first(r, "SP0207").message().contains("is " + len + " characters long, over the limit of 100"));
        }
    }

    @Test
    void compileWithTargetsChecksThoseTargetsOnly() throws IOException {
        // The plan's own emit list has kubernetes, whose object names stop at 50 characters: the vllm target does not care.
        String name = "p".repeat(60);
        String plan = HEADER + "cluster c { nodes 1 x HGX_H100 }\nplan " + name + " { model llama_3_1_8b; cluster c; workload natural_reasoning; "
                + "parallel { tp 8 }; engine vllm { }; emit kubernetes }\n";
        Files.writeString(root.resolve("main.plan"), plan);
        List<Path> in = List.of(root.resolve("main.plan"));
        assertTrue(codes(Compiler.check(root, List.of(), in)).contains("SP0805"));
        CompileResult own = Compiler.compile(root, in, root.resolve("out"), Set.of());
        assertTrue(own.hasErrors());
        CompileResult vllm = Compiler.compile(root, in, root.resolve("out"), Set.of(Target.VLLM));
        assertFalse(vllm.hasErrors(), () -> vllm.diagnostics().toString());
        assertFalse(Compiler.check(root, List.of(), in, Set.of(Target.VLLM)).hasErrors());
        assertTrue(Files.isDirectory(root.resolve("out/" + name + "/vllm")));
    }

    @Test
    void tuningRangesAreTheSameInCheckAndSimulate() throws IOException {
        CheckResult r = check(HEADER + "cluster c { nodes 1 x HGX_H100 }\nplan p { model llama_3_1_8b; cluster c; workload natural_reasoning; "
                + "parallel { tp 8 }; engine vllm { }; tuning { hbm_efficiency 5 } }\n", Map.of());
        assertTrue(first(r, "SP0207").message().contains("`hbm_efficiency` is 5"));
        // and a value check accepts, the step-time model accepts
        CheckResult ok = check(HEADER + "cluster c { nodes 1 x HGX_H100 }\nplan p { model llama_3_1_8b; cluster c; workload natural_reasoning; "
                + "parallel { tp 8 }; engine vllm { }; tuning { hbm_efficiency 1; step_overhead_us 0 } }\n", Map.of());
        dev.shardplan.predict.Predictor.efficiency(ok.plans().get(0));
    }

    // ---- helpers

    /** Runs CheckMain in a JVM of its own with {@code heap}; its output lines. */
    static List<String> child(String heap, Path root, Path file) throws Exception {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        ProcessBuilder pb = new ProcessBuilder(java, heap, "-cp", System.getProperty("java.class.path"), CheckMain.class.getName(),
                root.toString(), file.toString()).redirectErrorStream(true);
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(120, TimeUnit.SECONDS), "child timed out");
        assumeTrue(!out.contains("Could not find or load main class"), "the test class path cannot start a child JVM");
        assertEquals(0, p.exitValue(), out);
        List<String> lines = new ArrayList<>();
        for (String l : out.split("\n")) if (!l.isBlank()) lines.add(l);
        return lines;
    }
}
