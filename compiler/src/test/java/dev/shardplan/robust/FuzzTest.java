package dev.shardplan.robust;

import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.lifecycle.AfterContainer;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * The fuzzing suite: grammar- and schema-aware generated projects, mutations of the real plans
 * (plans/, the standard library, the golden and emit fixtures) and of real Hugging Face
 * configs, each checked against {@link Fuzz}'s invariants. Cases per property come from
 * {@code jqwik.tries.default} (src/test/resources/junit-platform.properties: 3,400, so that CI
 * runs over 10,000 cases here); the long run recorded in docs/robustness.md runs the same
 * properties outside the test runner ({@link FuzzLongRun}), judging hangs by CPU time.
 */
class FuzzTest {
    static final Map<String, String> HF = new TreeMap<>();
    /** Each corpus project: its files (relative path → text), and the one to mutate. */
    static final List<Map<String, String>> CORPUS = new ArrayList<>();
    static final List<String> TARGET = new ArrayList<>();

    static {
        try {
            try (Stream<Path> s = Files.list(Path.of("src/test/resources/hf-configs"))) {
                for (Path p : s.filter(f -> f.toString().endsWith(".config.json")).sorted().toList()) {
                    HF.put(p.getFileName().toString().replace(".config.json", ""), Files.readString(p, StandardCharsets.UTF_8));
                }
            }
            for (Path dir : List.of(Path.of("../plans"), Path.of("../plans/study"), Path.of("src/main/resources/dev/shardplan/std"),
                    Path.of("src/test/resources/emit/plans"))) {
                Map<String, String> project = new LinkedHashMap<>();
                try (Stream<Path> s = Files.list(dir)) {
                    for (Path p : s.filter(f -> f.toString().endsWith(".plan")).sorted().toList()) {
                        project.put(p.getFileName().toString(), Files.readString(p, StandardCharsets.UTF_8));
                    }
                }
                for (String f : project.keySet()) {
                    CORPUS.add(project);
                    TARGET.add(f);
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @AfterContainer
    static void report() {
        System.out.println("fuzz: " + Fuzz.stats());
    }

    @Property
    void generatedProjectsKeepTheInvariants(@ForAll long seed) {
        Fuzz.survives(new PlanFuzzer(seed).project(HF), "main.plan");
    }

    @Provide
    Arbitrary<Integer> corpusIndex() {
        return Arbitraries.integers().between(0, CORPUS.size() - 1);
    }

    @Property
    void mutatedRealPlansKeepTheInvariants(@ForAll("corpusIndex") int i, @ForAll long seed) {
        Map<String, String> files = new LinkedHashMap<>(CORPUS.get(i));
        String target = TARGET.get(i);
        Random r = new Random(new java.util.SplittableRandom(seed).nextLong());
        String text = files.get(target);
        int n = 1 + r.nextInt(4);
        for (int k = 0; k < n; k++) text = mutate(text, r);
        files.put(target, text);
        Fuzz.survives(files, target);
    }

    @Provide
    Arbitrary<String> configName() {
        return Arbitraries.of(new ArrayList<>(HF.keySet()));
    }

    @Property
    void mutatedHuggingFaceConfigsKeepTheInvariants(@ForAll("configName") String name, @ForAll long seed) {
        Random r = new Random(new java.util.SplittableRandom(seed).nextLong());
        Map<String, String> files = new LinkedHashMap<>();
        files.put("config.json", HfMutator.mutate(HF.get(name), r, 1 + r.nextInt(3)));
        String engine = List.of("vllm { }", "sglang { }", "trtllm { }").get(r.nextInt(3));
        String par = List.of("tp 8", "tp 4; dp 2", "tp 2; pp 4", "dp 8; ep 8", "tp 1").get(r.nextInt(5));
        files.put("main.plan", "import \"std:nodes\"\nimport \"std:workloads\"\n"
                + "model m from huggingface \"config.json\" { max_position 32k tokens }\n"
                + "cluster c { nodes 1 x HGX_H200 }\n"
                + "plan p { model m; cluster c; workload natural_reasoning; parallel { " + par + " }; engine " + engine
                + "; emit vllm, sglang, trtllm, kubernetes, shim }\n");
        Fuzz.survives(files, "main.plan");
    }

    // ---- typed mutations of plan text

    static final Pattern TOKEN = Pattern.compile("\"(?:\\\\.|[^\"\\\\\\n])*\"|\\d[\\d_]*(?:\\.\\d+)?(?:[eE][+-]?\\d+)?[kKM]?|[A-Za-z_][A-Za-z0-9_]*");
    static final List<String> KEYS = List.of("layers", "heads", "kv_heads", "hidden", "ffn", "vocab", "experts", "top_k", "tp", "dp", "pp",
            "ep", "nodes", "gpus", "requests", "max_length", "max_num_seqs", "block_size", "placement", "layer_split", "hosts", "model_path",
            "image", "hf_id", "tuning", "deploy", "emit", "parallel", "engine", "version", "memory", "nics", "domain_nodes", "concurrency");

    static String mutate(String text, Random r) {
        List<int[]> tokens = new ArrayList<>();
        Matcher m = TOKEN.matcher(text);
        while (m.find()) tokens.add(new int[] {m.start(), m.end()});
        String[] lines = text.split("\n", -1);
        switch (r.nextInt(7)) {
            case 0, 1 -> { // a number (or any token) becomes an extreme value
                if (tokens.isEmpty()) return text;
                int[] t = tokens.get(r.nextInt(tokens.size()));
                return text.substring(0, t[0]) + PlanFuzzer.EXTREME.get(r.nextInt(PlanFuzzer.EXTREME.size())) + text.substring(t[1]);
            }
            case 2 -> { // a string becomes a hostile one
                List<int[]> strs = tokens.stream().filter(t -> text.charAt(t[0]) == '"').toList();
                if (strs.isEmpty()) return text;
                int[] t = strs.get(r.nextInt(strs.size()));
                return text.substring(0, t[0]) + "\"" + PlanFuzzer.HOSTILE.get(r.nextInt(PlanFuzzer.HOSTILE.size())) + "\"" + text.substring(t[1]);
            }
            case 3 -> { // a line removed
                int i = r.nextInt(lines.length);
                List<String> l = new ArrayList<>(List.of(lines));
                l.remove(i);
                return String.join("\n", l);
            }
            case 4 -> { // a line doubled
                int i = r.nextInt(lines.length);
                List<String> l = new ArrayList<>(List.of(lines));
                l.add(i, lines[i]);
                return String.join("\n", l);
            }
            case 5 -> { // two lines swapped
                int i = r.nextInt(lines.length), j = r.nextInt(lines.length);
                String t = lines[i];
                lines[i] = lines[j];
                lines[j] = t;
                return String.join("\n", lines);
            }
            default -> { // a known field with an extreme value, after some '{'
                int brace = text.indexOf('{', r.nextInt(Math.max(1, text.length())));
                if (brace < 0) return text;
                String entry = " " + KEYS.get(r.nextInt(KEYS.size())) + " " + PlanFuzzer.EXTREME.get(r.nextInt(PlanFuzzer.EXTREME.size())) + ";";
                return text.substring(0, brace + 1) + entry + text.substring(brace + 1);
            }
        }
    }
}
