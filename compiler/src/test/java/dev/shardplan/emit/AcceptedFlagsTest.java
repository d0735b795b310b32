package dev.shardplan.emit;

import com.fasterxml.jackson.databind.JsonNode;
import dev.shardplan.model.DType;
import dev.shardplan.model.Engine;
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
 * variants of them, must be one the launcher accepts at the pinned version (the lists in
 * src/test/resources/launchers name the version and the source file they were taken from), and a
 * value of a flag with a fixed set of choices must be one of them.
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
                assertTrue(text.contains("# version:") && text.contains("# source:"), n + " names its version and source");
                for (String line : text.split("\n")) {
                    line = line.strip();
                    if (line.isEmpty() || line.startsWith("#")) continue;
                    String[] parts = line.split(" ", 2);
                    m.put(parts[0], parts.length > 1 ? Set.of(parts[1].split("\\|")) : Set.of());
                }
            } catch (IOException e) {
                throw new AssertionError(e);
            }
            return m;
        });
    }

    @Test
    void everyFlagAndKeyIsAcceptedByItsLauncher() throws Exception {
        List<List<EmitInput>> sets = new ArrayList<>();
        for (List<EmitInput> base : plansToCheck()) {
            List<EmitInput> set = new ArrayList<>();
            for (EmitInput in : base) {
                set.add(in);
                set.add(variant(in, "_variant"));
            }
            sets.add(set);
        }
        List<String> problems = new ArrayList<>();
        Map<String, Set<String>> seen = new TreeMap<>();
        for (List<EmitInput> set : sets) {
            Emit.Rendered r = Emit.standard().render(set, Set.of());
            assertTrue(r.ok(), () -> r.diagnostics().toString());
            for (var e : r.plans().entrySet()) {
                for (OutputFile f : e.getValue()) {
                    String where = e.getKey() + "/" + f.path();
                    if (f.path().endsWith(".sh") || f.path().endsWith(".sbatch")) shell(f.content(), where, problems, seen);
                    else if (f.path().equals("vllm/config.yaml")) {
                        for (var k : keys(HostileStringTest.yaml(f.content()).get(0), "").entrySet())
                            check("vllm-serve", "--" + k.getKey(), k.getValue(), where, problems, seen);
                    } else if (f.path().startsWith("trtllm/") && f.path().endsWith(".yaml")) {
                        for (var k : keys(HostileStringTest.yaml(f.content()).get(0), "").entrySet())
                            check("trtllm-llm-api", k.getKey(), k.getValue(), where, problems, seen);
                    } else if (f.path().startsWith("kubernetes/")) kubernetes(f.content(), where, problems, seen);
                }
            }
        }
        assertEquals(List.of(), problems);
        for (String p : List.of("vllm-serve", "sglang-launch-server", "trtllm-serve", "trtllm-llm-api", "ray-start", "mpirun",
                "srun", "sbatch", "bash", "kubernetes-lws"))
            assertTrue(seen.containsKey(p) && !seen.get(p).isEmpty(), "the plans exercise " + p + ": " + seen.keySet());
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
        shell(script, "x", problems, new TreeMap<>());
        assertEquals(List.of("x: vllm-serve does not accept --tp-size",
                "x: vllm-serve --kv-cache-dtype does not accept the value fp4",
                "x: sglang-launch-server does not accept --tensor_parallel_size"), problems);
    }

    /** The plan with every engine switch flipped and an fp8 KV cache, to reach the other flags. */
    static EmitInput variant(EmitInput in, String suffix) {
        Plan p = in.plan();
        Engine e = p.engine();
        Engine v = new Engine(e.kind(), e.memoryFraction(), e.maxNumSeqs(), e.maxNumBatchedTokens(), e.blockSize(), DType.FP8,
                !e.cudaGraphs(), !e.chunkedPrefill(), !e.prefixCaching(), e.maxModelLen(), e.version());
        Plan q = new Plan(p.name() + suffix, p.sourceFile(), p.model(), p.cluster(), p.workload(), p.parallel(), v, p.slos(),
                p.emit(), p.deploy(), p.tuning(), p.spans(), p.span());
        return EmitInput.of(q);
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
        for (String line : script.split("\n")) {
            if (line.startsWith("#SBATCH ")) {
                String d = line.substring(8).strip();
                check("sbatch", d.contains("=") ? d.substring(0, d.indexOf('=')) : d, null, where, problems, seen);
            }
        }
        for (List<Word> cmd : commands(script)) argv(cmd, where, problems, seen);
    }

    static void argv(List<Word> cmd, String where, List<String> problems, Map<String, Set<String>> seen) {
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
                    if (start.equals("vllm-serve") || start.equals("ray-start")) i++;
                    if (start.equals("sglang-launch-server")) i += 2;
                    continue;
                }
            }
            if (program == null || w.quoted() || !t.startsWith("-") || t.matches("-[0-9.]+")) continue;
            String flag = t.contains("=") ? t.substring(0, t.indexOf('=')) : t;
            String value = t.contains("=") ? t.substring(t.indexOf('=') + 1) : next;
            check(program, flag, value, where, problems, seen);
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
        if (Set.of("trtllm-serve", "mpirun", "srun", "bash", "trtllm-llmapi-launch").contains(t)) return t;
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

    static void kubernetes(String text, String where, List<String> problems, Map<String, Set<String>> seen) throws IOException {
        Map<String, Set<String>> accepted = list("kubernetes-lws");
        for (JsonNode doc : HostileStringTest.yaml(text)) {
            String kind = doc.path("kind").asText();
            List<String> paths = new ArrayList<>();
            paths(doc, "", paths);
            for (String p : paths) {
                String key = kind + ":" + p;
                seen.computeIfAbsent("kubernetes-lws", k -> new TreeSet<>()).add(key);
                boolean ok = accepted.containsKey(key);
                for (String a : accepted.keySet())
                    if (a.endsWith(".*") && key.startsWith(a.substring(0, a.length() - 1))) ok = true;
                if (!ok) problems.add(where + ": kubernetes-lws has no key " + key);
            }
            if (kind.equals("LeaderWorkerSet")) {
                JsonNode tmpl = doc.path("spec").path("leaderWorkerTemplate");
                for (String t : List.of("leaderTemplate", "workerTemplate")) {
                    for (JsonNode c : tmpl.path(t).path("spec").path("containers")) {
                        List<String> argv = new ArrayList<>();
                        c.path("command").forEach(x -> argv.add(x.asText().replace("$$", "$")));
                        c.path("args").forEach(x -> argv.add(x.asText().replace("$$", "$")));
                        if (argv.size() >= 3 && argv.get(0).equals("/bin/bash") && argv.get(1).equals("-c")) {
                            check("bash", "-c", null, where, problems, seen);
                            shell(argv.get(2), where, problems, seen);
                        } else {
                            List<Word> words = new ArrayList<>();
                            for (String a : argv) words.add(new Word(a, false));
                            argv(words, where, problems, seen);
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
