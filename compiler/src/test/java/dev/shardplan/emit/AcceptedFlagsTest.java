package dev.shardplan.emit;

import com.fasterxml.jackson.databind.JsonNode;
import dev.shardplan.model.DType;
import dev.shardplan.diag.Diagnostic;
import dev.shardplan.engine.Effective;
import dev.shardplan.engine.EngineSpec;
import dev.shardplan.engine.Engines;
import dev.shardplan.engine.Release;
import dev.shardplan.model.EngineKind;
import dev.shardplan.engine.EngineConfig;
import dev.shardplan.engine.Kind;
import dev.shardplan.engine.Origin;
import dev.shardplan.model.EngineBlock;
import dev.shardplan.model.Plan;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Every flag and config key any emitter writes, over the fixture plans, plans/ and engine-setting
 * variants of them, compiled for every supported release of their engine, must be one that
 * release's own parser accepts, and a value of a flag with a fixed set of choices must be one of
 * them. The sets in src/test/resources/launchers/releases were extracted from each release's
 * argument parser at its tag commit (each file's header names the commit and how it was
 * established); a generated file names the release it is for in its "Engine:" header line.
 * TensorRT-LLM's release parsers could not be read: a TensorRT-LLM file is checked against its
 * release's own list (trtllm-serve, trtllm-serve disaggregated, LLM-API keys, disaggregated config)
 * once that list is recorded, and until then against the main-branch snapshot; the test asserts
 * that the release files still say "coverage: none".
 */
class AcceptedFlagsTest {
    /** flag → accepted values (empty: any value or a switch), per list. */
    static Map<String, Map<String, Set<String>>> lists = new TreeMap<>();

    static Map<String, Set<String>> list(String name) {
        return lists.computeIfAbsent(name, n -> {
            Map<String, Set<String>> m = new TreeMap<>();
            try (InputStream in = AcceptedFlagsTest.class.getResourceAsStream("/launchers/" + n + ".txt")) {
                if (in == null) throw new AssertionError("no accepted list launchers/" + n + ".txt");
                String text = new String(in.readAllBytes(), StandardCharsets.UTF_8);
                assertTrue((text.contains("# version:") || text.contains("# release:")) && (text.contains("# source:") || text.contains("coverage: none")),
                        n + " names its version and source");
                for (String line : text.split("\n")) {
                    line = line.strip();
                    if (line.isEmpty() || line.startsWith("#")) continue;
                    String[] parts = line.split(" ", 2);
                    m.put(parts[0], parts.length > 1 ? new TreeSet<>(List.of(parts[1].split("\\|"))) : Set.of());
                }
            } catch (IOException e) {
                throw new AssertionError(e);
            }
            return m;
        });
    }

    @Test
    void everyFlagAndKeyIsAcceptedByItsLaunchersRelease() throws Exception {
        List<String> problems = new ArrayList<>();
        Map<String, Set<String>> seen = new TreeMap<>();
        Map<String, Integer> compiled = new TreeMap<>();
        for (List<EmitInput> base : plansToCheck()) {
            for (EngineSpec spec : Engines.all()) {
                for (Release r : spec.releases()) {
                    List<EmitInput> set = new ArrayList<>();
                    for (EmitInput in : base) {
                        if (in.engine().kind() != spec.kind()) continue;
                        EmitInput at = EmitTesting.input(EmitTesting.atVersion(in.plan(), r.version().toString()));
                        set.add(at);
                        set.add(variant(at, "_variant"));
                    }
                    for (EmitInput in : set) {
                        Emit.Rendered one = Emit.standard().render(List.of(in), Set.of());
                        // A layout the release cannot launch (e.g. V0 data parallelism) is refused with SP0809: nothing to check.
                        if (!one.ok()) {
                            assertTrue(one.diagnostics().stream().filter(Diagnostic::isError)
                                    .allMatch(d -> d.code() == EmitCodes.RELEASE_LACKS_FEATURE), () -> r + ": " + one.diagnostics());
                            continue;
                        }
                        compiled.merge(r.label(), 1, Integer::sum);
                        for (var e : one.plans().entrySet()) for (OutputFile f : e.getValue()) check(e.getKey() + "/" + f.path(), f, problems, seen);
                    }
                }
            }
        }
        assertEquals(List.of(), problems);
        for (EngineSpec spec : Engines.all())
            for (Release r : spec.releases())
                assertTrue(compiled.getOrDefault(r.label(), 0) > 0, "some plan compiles for " + r.label() + ": " + compiled);
        for (String p : List.of("ray-start", "mpirun", "srun", "sbatch", "bash", "sglang-router", "llm-d-routing-sidecar", "llm-d-epp"))
            assertTrue(seen.containsKey(p) && !seen.get(p).isEmpty(), "the plans exercise " + p + ": " + seen.keySet());
        for (Release r : Engines.spec(EngineKind.TRTLLM).releases())
            for (String p : TRTLLM_LISTS.keySet()) {
                String list = trtllmList(p, r.version().toString());
                assertTrue(seen.containsKey(list) && !seen.get(list).isEmpty(), "the plans exercise " + list + " for trtllm " + r.version() + ": " + seen.keySet());
            }
        for (Release r : Engines.spec(EngineKind.VLLM).releases())
            assertTrue(seen.containsKey("releases/vllm-" + r.version()), "the plans exercise vllm " + r.version());
        for (Release r : Engines.spec(EngineKind.SGLANG).releases())
            assertTrue(seen.containsKey("releases/sglang-" + r.version()), "the plans exercise sglang " + r.version());
    }

    /**
     * TensorRT-LLM's accepted lists, by the prefix of a release's file, and the main-branch snapshot
     * each falls back to while that release's file says "# coverage: none" (its parser not read).
     */
    static final Map<String, String> TRTLLM_LISTS = new TreeMap<>(Map.of(
            "trtllm-serve-", "releases/trtllm-serve-main-00209af1",
            "trtllm-llm-api-", "releases/trtllm-llm-api-main",
            "trtllm-serve-disaggregated-", "releases/trtllm-serve-disaggregated-main-00209af1",
            "trtllm-disagg-config-", "releases/trtllm-disagg-config-main"));

    /**
     * The list a TensorRT-LLM file for {@code version} is checked against: the release's own file
     * once it records the release's flags or keys, else the main-branch snapshot.
     */
    static String trtllmList(String prefix, String version) {
        String own = "releases/" + prefix + version;
        try (InputStream in = AcceptedFlagsTest.class.getResourceAsStream("/launchers/" + own + ".txt")) {
            if (in != null && !new String(in.readAllBytes(), StandardCharsets.UTF_8).contains("# coverage: none")) return own;
        } catch (IOException e) {
            throw new AssertionError(e);
        }
        return TRTLLM_LISTS.get(prefix);
    }

    @Test
    void tensorRtLlmReleaseFilesSayTheirParsersWereNotRead() throws IOException {
        for (Release r : Engines.spec(EngineKind.TRTLLM).releases()) {
            for (String n : TRTLLM_LISTS.keySet()) {
                try (InputStream in = AcceptedFlagsTest.class.getResourceAsStream("/launchers/releases/" + n + r.version() + ".txt")) {
                    assertTrue(in != null, n + r.version());
                    String text = new String(in.readAllBytes(), StandardCharsets.UTF_8);
                    assertTrue(text.contains("# coverage: none"), n + r.version() + " says no flag was extracted");
                }
            }
        }
    }

    /** The release a generated file is for: its "Engine: <kind> <version>" header line. */
    static final java.util.regex.Pattern ENGINE_LINE = java.util.regex.Pattern.compile("Engine: (vllm|sglang|trtllm) ([0-9][0-9A-Za-z.]*[0-9A-Za-z])");

    static void check(String where, OutputFile f, List<String> problems, Map<String, Set<String>> seen) throws IOException {
        java.util.regex.Matcher m = ENGINE_LINE.matcher(f.content());
        Map<String, String> lists = new TreeMap<>();
        if (m.find()) {
            lists.put("vllm-serve", "releases/vllm-" + (m.group(1).equals("vllm") ? m.group(2) : ""));
            lists.put("sglang-launch-server", "releases/sglang-" + (m.group(1).equals("sglang") ? m.group(2) : ""));
        }
        String trt = m.find(0) && m.group(1).equals("trtllm") ? m.group(2) : "";
        lists.put("trtllm-serve", trtllmList("trtllm-serve-", trt));
        lists.put("trtllm-serve-disaggregated", trtllmList("trtllm-serve-disaggregated-", trt));
        String llmApi = trtllmList("trtllm-llm-api-", trt);
        String path = f.path();
        if (path.endsWith(".sh") || path.endsWith(".sbatch")) shell(f.content(), where, problems, seen, lists);
        else if (path.equals("vllm/config.yaml")) {
            for (var k : keys(HostileStringTest.yaml(f.content()).get(0), "").entrySet())
                check(lists.get("vllm-serve"), "--" + k.getKey(), k.getValue(), where, problems, seen);
        } else if (path.startsWith("trtllm/") && path.endsWith(".yaml")) {
            for (var k : keys(HostileStringTest.yaml(f.content()).get(0), "").entrySet())
                check(llmApi, k.getKey(), k.getValue(), where, problems, seen);
        } else if (path.startsWith("kubernetes/")) kubernetes(f.content(), where, problems, seen, lists);
        // The manifests' keys are checked against the LWS CRD and Kubernetes schemas (ManifestSchemaTest).
        // TensorRT-LLM options written inline by a pod or a Slurm task (a quoted heredoc).
        for (String yaml : heredocs(f.content()))
            for (var k : keys(HostileStringTest.yaml(yaml).get(0), "").entrySet())
                check(llmApi, k.getKey(), k.getValue(), where, problems, seen);
        // The disaggregated server's configuration, written at start (an unquoted heredoc: it names the servers by address).
        for (String yaml : heredocs(f.content(), TrtllmPools.CONFIG_DELIMITER, false))
            for (var k : keys(HostileStringTest.yaml(yaml).get(0), "").entrySet())
                check(trtllmList("trtllm-disagg-config-", trt), k.getKey(), k.getValue(), where, problems, seen);
    }

    /** The fixture plans and the project's plans/, each set compiled on its own (their names overlap). */
    static List<List<EmitInput>> plansToCheck() {
        List<List<EmitInput>> out = new ArrayList<>();
        out.add(EmitTesting.load(EmitTesting.FIXTURES, "plans"));
        if (Files.isDirectory(Path.of("..", "plans"))) out.add(EmitTesting.load(Path.of(".."), "plans"));
        return out;
    }

    @Test
    void theCheckerCatchesUnknownFlagsAndValues() {
        List<String> problems = new ArrayList<>();
        String script = "exec vllm serve 'm' \\\n    --tensor-parallel-size 2 \\\n    --tp-size 2 \\\n    --kv-cache-dtype fp4\n"
                + "python3 -m sglang.launch_server --model-path '--not-a-flag' --tensor_parallel_size 2\n";
        shell(script, "x", problems, new TreeMap<>(), Map.of("vllm-serve", "releases/vllm-0.11.0", "sglang-launch-server", "releases/sglang-0.5.10"));
        assertEquals(List.of("x: releases/vllm-0.11.0 does not accept --tp-size",
                "x: releases/vllm-0.11.0 --kv-cache-dtype does not accept the value fp4",
                "x: releases/sglang-0.5.10 does not accept --tensor_parallel_size"), problems);
    }

    /**
     * The plan with every engine switch flipped, its defaults written out, an fp8 KV cache and
     * every recipe that applies to it turned on, to reach the other flags.
     */
    static EmitInput variant(EmitInput in, String suffix) {
        Plan p = in.plan();
        EngineConfig cfg = in.engine();
        EngineBlock v = p.engine();
        boolean ep = p.model().isMoe() && p.parallel().ep() > 1;
        for (Effective e : cfg.values()) {
            var role = e.setting().role();
            if (role != null && role.recipe()) {
                Object on = switch (role) {
                    case ALL2ALL -> e.setting().choices().stream().filter(c -> !c.equals(e.value()) && !c.equals("none")).findFirst().orElse(null);
                    case EPLB -> Boolean.TRUE;
                    case REDUNDANT_EXPERTS -> e.setting().name().equals("eplb_slots") ? (long) (p.model().isMoe() ? p.model().moe().experts() + 16 : 16) : 16L;
                    case SPEC_TOKENS -> p.model().mtpLayers() > 0 ? 1L : null;
                    case KV_OFFLOAD -> 64L << 30;
                    default -> null;
                };
                if (on != null && (ep || role == dev.shardplan.engine.Role.SPEC_TOKENS || role == dev.shardplan.engine.Role.KV_OFFLOAD)) v = v.with(e.name(), on);
                continue;
            }
            if (e.setting().kind() == Kind.BOOL) v = v.with(e.name(), !e.bool());
            else if (!e.fromPlan() && e.origin() != Origin.STARTUP && e.setting().kind() != Kind.CHOICE) v = v.with(e.name(), e.value());
        }
        var fp8 = cfg.spec().kvWord(cfg.release(), DType.FP8, p.model());
        if (fp8.isPresent()) v = v.with("kv_cache_dtype", fp8.get());
        return EmitTesting.input(p.withEngine(v).withName(p.name() + suffix));
    }

    private static void check(String list, String flag, String value, String where, List<String> problems,
                              Map<String, Set<String>> seen) {
        Map<String, Set<String>> accepted = list(list);
        seen.computeIfAbsent(list, k -> new TreeSet<>()).add(flag);
        if (!accepted.containsKey(flag)) {
            problems.add(where + ": " + list + " does not accept " + flag);
            return;
        }
        Set<String> values = accepted.get(flag);
        if (!values.isEmpty() && value != null && !values.contains(value))
            problems.add(where + ": " + list + " " + flag + " does not accept the value " + value);
    }

    // ---- shell scripts ----

    record Word(String text, boolean quoted) {}

    static void shell(String script, String where, List<String> problems, Map<String, Set<String>> seen) {
        shell(script, where, problems, seen, Map.of());
    }

    static void shell(String script, String where, List<String> problems, Map<String, Set<String>> seen, Map<String, String> lists) {
        for (String line : script.split("\n")) {
            if (line.startsWith("#SBATCH ")) {
                String d = line.substring(8).strip();
                check("sbatch", d.contains("=") ? d.substring(0, d.indexOf('=')) : d, null, where, problems, seen);
            }
        }
        for (List<Word> cmd : commands(stripHeredocs(script))) argv(cmd, where, problems, seen, lists);
    }

    /** A script without the bodies of quoted heredocs (the inline TensorRT-LLM options are data, not commands). */
    static String stripHeredocs(String s) {
        StringBuilder out = new StringBuilder();
        boolean in = false;
        for (String line : s.split("\n", -1)) {
            String t = line.strip();
            if (in) {
                if (t.equals(TrtllmLaunch.OPTIONS_DELIMITER)) in = false;
                continue;
            }
            if (t.endsWith("<<'" + TrtllmLaunch.OPTIONS_DELIMITER + "'")) {
                in = true;
                continue;
            }
            out.append(line).append('\n');
        }
        return out.toString();
    }

    /** The bodies of the quoted options heredocs of a file (Kubernetes escapes $ as $$; the bodies have none). */
    static List<String> heredocs(String s) {
        return heredocs(s, TrtllmLaunch.OPTIONS_DELIMITER, true);
    }

    static List<String> heredocs(String s, String delimiter, boolean quoted) {
        List<String> out = new ArrayList<>();
        StringBuilder cur = null;
        for (String line : s.replace("\\n", "\n").split("\n", -1)) {
            String t = line.strip();
            if (cur != null) {
                if (t.equals(delimiter) || t.startsWith(delimiter)) {
                    out.add(cur.toString());
                    cur = null;
                } else cur.append(line).append('\n');
            } else if (t.endsWith(quoted ? "<<'" + delimiter + "'" : "<<" + delimiter)) cur = new StringBuilder();
        }
        return out;
    }

    static void argv(List<Word> cmd, String where, List<String> problems, Map<String, Set<String>> seen) {
        argv(cmd, where, problems, seen, Map.of());
    }

    static void argv(List<Word> cmd, String where, List<String> problems, Map<String, Set<String>> seen, Map<String, String> lists) {
        int i = 0;
        while (i < cmd.size() && !cmd.get(i).quoted()
                && (cmd.get(i).text().equals("exec") || cmd.get(i).text().equals("env") || cmd.get(i).text().matches("[A-Z_]+=.*")))
            i++;
        String program = null;
        for (; i < cmd.size(); i++) {
            Word w = cmd.get(i);
            String t = w.text();
            String next = i + 1 < cmd.size() ? cmd.get(i + 1).text() : null;
            if (!w.quoted()) {
                String start = programAt(cmd, i);
                if (start != null) {
                    program = start.equals("trtllm-llmapi-launch") ? null : start;
                    if (start.equals("vllm-serve") || start.equals("ray-start") || start.equals("trtllm-serve-disaggregated")) i++;
                    if (start.equals("sglang-launch-server") || start.equals("shardplan-shim") || start.equals("sglang-router")) i += 2;
                    if (start.equals("shardplan-shim-module")) {
                        program = "shardplan-shim";
                        i++;
                    }
                    continue;
                }
            }
            if (program == null || w.quoted() || !t.startsWith("-") || t.matches("-[0-9.]+")) continue;
            String flag = t.contains("=") ? t.substring(0, t.indexOf('=')) : t;
            String value = t.contains("=") ? t.substring(t.indexOf('=') + 1) : next;
            check(lists.getOrDefault(program, program), flag, value, where, problems, seen);
        }
    }

    /** The program a command word starts, as the name of its accepted list, or null. */
    private static String programAt(List<Word> cmd, int i) {
        String t = cmd.get(i).text();
        String next = i + 1 < cmd.size() ? cmd.get(i + 1).text() : "";
        String third = i + 2 < cmd.size() ? cmd.get(i + 2).text() : "";
        if (t.equals("vllm") && next.equals("serve")) return "vllm-serve";
        if (t.equals("ray") && next.equals("start")) return "ray-start";
        if (t.equals("python3") && next.equals("-m") && third.equals("sglang.launch_server")) return "sglang-launch-server";
        if (t.equals("python3") && next.equals("-m") && third.equals("shardplan_shim")) return "shardplan-shim";
        if (t.equals("python3") && next.equals("-m") && third.equals(dev.shardplan.engine.SglangRouter.MODULE)) return "sglang-router";
        if (t.equals("-m") && next.equals("shardplan_shim")) return "shardplan-shim-module";
        if (t.equals("trtllm-serve") && next.equals(dev.shardplan.engine.TrtllmDisagg.COMMAND)) return "trtllm-serve-disaggregated";
        if (Set.of("trtllm-serve", "mpirun", "srun", "bash", "trtllm-llmapi-launch", "torchrun").contains(t)) return t;
        return null;
    }

    /** Splits a script into commands of words, following shell quoting, comments and line continuations. */
    static List<List<Word>> commands(String s) {
        List<List<Word>> out = new ArrayList<>();
        List<Word> cmd = new ArrayList<>();
        StringBuilder w = null;
        boolean quoted = false;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '\\' && i + 1 < s.length()) {
                if (s.charAt(i + 1) == '\n') {
                    i++;
                    continue;
                }
                if (w == null) w = new StringBuilder();
                w.append(s.charAt(++i));
            } else if (c == '\'') {
                if (w == null) {
                    w = new StringBuilder();
                    quoted = true;
                }
                int end = s.indexOf('\'', i + 1);
                w.append(s, i + 1, end);
                i = end;
            } else if (c == '"') {
                if (w == null) {
                    w = new StringBuilder();
                    quoted = true;
                }
                int j = i + 1;
                while (s.charAt(j) != '"') {
                    if (s.charAt(j) == '\\') j++;
                    w.append(s.charAt(j++));
                }
                i = j;
            } else if (c == '#' && w == null) {
                while (i + 1 < s.length() && s.charAt(i + 1) != '\n') i++;
            } else if (c == ' ' || c == '\t' || c == '\n' || c == ';' || c == '|' || c == '&' || c == '(' || c == ')') {
                if (w != null) cmd.add(new Word(w.toString(), quoted));
                w = null;
                quoted = false;
                if (c != ' ' && c != '\t' && !cmd.isEmpty()) {
                    out.add(cmd);
                    cmd = new ArrayList<>();
                }
            } else {
                if (w == null) w = new StringBuilder();
                w.append(c);
            }
        }
        if (w != null) cmd.add(new Word(w.toString(), quoted));
        if (!cmd.isEmpty()) out.add(cmd);
        return out;
    }

    // ---- YAML ----

    /** Key paths of a tree ("a.b"), with the scalar value (or null) of each. */
    static Map<String, String> keys(JsonNode n, String prefix) {
        Map<String, String> out = new LinkedHashMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = n.fields(); it.hasNext(); ) {
            var e = it.next();
            String k = prefix.isEmpty() ? e.getKey() : prefix + "." + e.getKey();
            out.put(k, e.getValue().isValueNode() ? e.getValue().asText() : null);
            if (e.getValue().isObject()) out.putAll(keys(e.getValue(), k));
        }
        return out;
    }

    /** The containers' program of each llm-d image (its args alone: the image's entry point is the program). */
    static final Map<String, String> LLMD_IMAGES = Map.of(dev.shardplan.engine.LlmdScheduler.SIDECAR_IMAGE, "llm-d-routing-sidecar",
            dev.shardplan.engine.LlmdScheduler.EPP_IMAGE, "llm-d-epp");

    static void kubernetes(String text, String where, List<String> problems, Map<String, Set<String>> seen, Map<String, String> lists) throws IOException {
        for (JsonNode doc : HostileStringTest.yaml(text)) {
            String kind = doc.path("kind").asText();
            List<JsonNode> pods = new ArrayList<>();
            if (kind.equals("LeaderWorkerSet"))
                for (String t : List.of("leaderTemplate", "workerTemplate")) pods.add(doc.path("spec").path("leaderWorkerTemplate").path(t).path("spec"));
            if (kind.equals("Deployment")) pods.add(doc.path("spec").path("template").path("spec"));
            for (JsonNode pod : pods) {
                List<JsonNode> cs = new ArrayList<>();
                pod.path("initContainers").forEach(cs::add);
                pod.path("containers").forEach(cs::add);
                for (JsonNode c : cs) {
                    String llmd = LLMD_IMAGES.get(c.path("image").asText());
                    if (llmd != null) {
                        List<String> args = new ArrayList<>();
                        c.path("args").forEach(x -> args.add(x.asText()));
                        for (int i = 0; i < args.size(); i++) {
                            String t = args.get(i);
                            if (!t.startsWith("-")) continue;
                            boolean eq = t.contains("=");
                            check(llmd, eq ? t.substring(0, t.indexOf('=')) : t, eq ? t.substring(t.indexOf('=') + 1)
                                    : i + 1 < args.size() && !args.get(i + 1).startsWith("-") ? args.get(i + 1) : null, where, problems, seen);
                        }
                        continue;
                    }
                    {
                        if (!c.path("name").asText().matches("vllm|sglang|trtllm")) continue;
                        List<String> argv = new ArrayList<>();
                        c.path("command").forEach(x -> argv.add(x.asText().replace("$$", "$")));
                        c.path("args").forEach(x -> argv.add(x.asText().replace("$$", "$")));
                        if (argv.size() >= 3 && argv.get(0).equals("/bin/bash") && argv.get(1).equals("-c")) {
                            check("bash", "-c", null, where, problems, seen);
                            shell(argv.get(2), where, problems, seen, lists);
                        } else {
                            List<Word> words = new ArrayList<>();
                            for (String a : argv) words.add(new Word(a, false));
                            argv(words, where, problems, seen, lists);
                        }
                    }
                }
            }
        }
    }

    private static void paths(JsonNode n, String prefix, List<String> out) {
        if (n.isObject()) {
            for (Iterator<Map.Entry<String, JsonNode>> it = n.fields(); it.hasNext(); ) {
                var e = it.next();
                paths(e.getValue(), prefix.isEmpty() ? e.getKey() : prefix + "." + e.getKey(), out);
            }
        } else if (n.isArray()) {
            for (JsonNode c : n) paths(c, prefix + "[]", out);
            if (n.isEmpty()) out.add(prefix);
        } else {
            out.add(prefix);
        }
    }
}
