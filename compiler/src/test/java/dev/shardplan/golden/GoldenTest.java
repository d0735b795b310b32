package dev.shardplan.golden;

import dev.shardplan.api.CheckResult;
import dev.shardplan.api.CompileResult;
import dev.shardplan.api.Compiler;
import dev.shardplan.api.FrontendResult;
import dev.shardplan.api.Frontend;
import dev.shardplan.api.Predictions;
import dev.shardplan.diag.Code;
import dev.shardplan.diag.Codes;
import dev.shardplan.diag.Diagnostic;
import dev.shardplan.diag.Diagnostics;
import dev.shardplan.diag.Findings;
import dev.shardplan.diag.HumanRenderer;
import dev.shardplan.diag.Sources;
import dev.shardplan.diag.Suppressed;
import dev.shardplan.diag.Suppression;
import dev.shardplan.emit.Emit;
import dev.shardplan.emit.EmitInput;
import dev.shardplan.emit.Emitter;
import dev.shardplan.emit.OutputFile;
import dev.shardplan.emit.Templates;
import dev.shardplan.model.Plan;
import dev.shardplan.model.Target;
import dev.shardplan.predict.Prediction;
import dev.shardplan.predict.Predictor;
import dev.shardplan.resolve.Loader;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Consumer;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Golden tests in the Pkl/Smithy style: each folder under {@code src/test/resources/golden/} is a
 * small project (root = the folder) with {@code input.plan} and whatever it needs; the human
 * rendering of its diagnostics, without colour, is compared with {@code expected.txt}.
 * {@code -Dshardplan.golden.update=true} rewrites (or creates) the expected files; without it a
 * missing expected file fails. An optional {@code inputs.txt} lists the input paths instead of
 * {@code input.plan}. Some inputs are too big or too odd to commit and are generated here.
 *
 * <p>An optional {@code stage.txt} says how far the case runs (see {@link Stage}): the front end
 * (the default), {@code check} (front end, analyses and the launcher rules of the plan's
 * targets, as {@code shardplan check}), {@code compile} (as {@code shardplan compile}, into a
 * scratch folder), {@code simulate} (the prediction's findings, as {@code shardplan simulate},
 * which stops at the check's errors) or {@code predict} (the api's prediction of every plan that
 * resolved, after the check's diagnostics, errors included: what a caller of
 * {@code Predictions.simulate} gets for a plan that does not fit). Findings an {@code allow}
 * suppressed follow the diagnostics, one line each.
 */
class GoldenTest {
    static final Path GOLDEN = Path.of("src/test/resources/golden");
    static final boolean UPDATE = Boolean.getBoolean("shardplan.golden.update");
    static final String CLEAN = "no diagnostics\n";

    /** Inputs written at test time into the copy of the case folder. */
    static final Map<String, Consumer<Path>> GENERATED = Map.of(
            "SP0007-nesting-10000-deep", root -> write(root.resolve("input.plan"), deepNesting(10_000)),
            "SP0903-file-too-large", root -> write(root.resolve("input.plan"), largeFile(Loader.MAX_FILE_BYTES + 1)));

    @TempDir
    Path temp;

    @TestFactory
    Stream<DynamicTest> golden() throws IOException {
        return cases().stream().map(c -> DynamicTest.dynamicTest(c.getFileName().toString(), () -> check(c)));
    }

    static List<Path> cases() throws IOException {
        try (Stream<Path> s = Files.list(GOLDEN)) {
            return s.filter(Files::isDirectory).sorted().toList();
        }
    }

    private void check(Path caseDir) throws IOException {
        String name = caseDir.getFileName().toString();
        String actual = run(caseDir, temp.resolve(name));
        Path expectedFile = caseDir.resolve("expected.txt");
        if (UPDATE) {
            Files.writeString(expectedFile, actual, StandardCharsets.UTF_8);
            return;
        }
        if (!Files.exists(expectedFile)) {
            fail("golden case " + name + " has no expected.txt; run with -Dshardplan.golden.update=true to create it. Actual:\n" + actual);
        }
        assertEquals(Files.readString(expectedFile, StandardCharsets.UTF_8), actual, "golden case " + name);
    }

    /** Copies the case into a fresh root, generates any big inputs, runs its stage and renders the result. */
    static String run(Path caseDir, Path root) throws IOException {
        copy(caseDir, root);
        Consumer<Path> gen = GENERATED.get(caseDir.getFileName().toString());
        if (gen != null) gen.accept(root);
        List<Path> inputs = new ArrayList<>();
        Path list = root.resolve("inputs.txt");
        if (Files.exists(list)) {
            for (String l : Files.readAllLines(list)) if (!l.isBlank()) inputs.add(root.resolve(l.strip()));
        } else {
            inputs.add(root.resolve("input.plan"));
        }
        Path stage = root.resolve("stage.txt");
        Stage st = Stage.read(Files.exists(stage) ? Files.readString(stage, StandardCharsets.UTF_8) : "");
        return relativize(st.run(root, inputs), root);
    }

    /** Absolute paths of the temporary root read as paths relative to it. */
    static String relativize(String text, Path root) {
        String r = root.toAbsolutePath().normalize().toString();
        String p = root.toAbsolutePath().normalize().getParent().toString();
        return text.replace(r + "/", "").replace(r, ".").replace(p + "/", "../");
    }

    /**
     * How far a case runs, from {@code stage.txt}: the first word is the stage; further lines
     * are options: {@code allow CODE reason...} (a project-wide suppression, as the Maven
     * plugin's list gives), {@code out PATH} (compile's output folder, relative to the case),
     * {@code targets a,b} (compile's --target), {@code fault template|throw} (compile with an
     * emitter that has a shardplan bug: a template naming a value its view lacks, or an
     * exception; no plan can cause those, so the harness stands in for the bug).
     */
    record Stage(String name, List<Suppression> allows, String out, Set<Target> targets, String fault) {
        static final Set<String> NAMES = Set.of("frontend", "check", "compile", "simulate", "predict");

        static Stage read(String text) {
            List<String> lines = text.lines().map(String::strip).filter(l -> !l.isEmpty()).toList();
            String name = lines.isEmpty() ? "frontend" : lines.get(0);
            if (!NAMES.contains(name)) throw new IllegalArgumentException("stage.txt: unknown stage `" + name + "`; one of " + NAMES);
            List<Suppression> allows = new ArrayList<>();
            String out = null, fault = null;
            Set<Target> targets = EnumSet.noneOf(Target.class);
            for (String l : lines.subList(Math.min(1, lines.size()), lines.size())) {
                String[] kv = l.split("\\s+", 3);
                switch (kv[0]) {
                    case "allow" -> allows.add(Suppression.project(kv[1], kv.length > 2 ? kv[2] : ""));
                    case "out" -> out = kv[1];
                    case "targets" -> {
                        for (String t : kv[1].split(",")) targets.add(Objects.requireNonNull(Target.parse(t), t));
                    }
                    case "fault" -> fault = kv[1];
                    default -> throw new IllegalArgumentException("stage.txt: unknown option `" + l + "`");
                }
            }
            return new Stage(name, allows, out, targets, fault);
        }

        String run(Path root, List<Path> inputs) {
            switch (name) {
                case "frontend" -> {
                    FrontendResult res = Frontend.check(root, inputs);
                    return render(res.sources(), res.diagnostics(), List.of());
                }
                case "check" -> {
                    CheckResult res = Compiler.check(root, List.of(), inputs, allows);
                    return render(res.sources(), res.diagnostics(), res.suppressed());
                }
                case "compile" -> {
                    Path dir = root.resolve(out == null ? "out" : out);
                    if (fault != null) return faulty(root, inputs, dir);
                    CompileResult res = Compiler.compile(root, List.of(), inputs, dir, targets, false, allows);
                    return render(res.check().sources(), res.diagnostics(), res.suppressed());
                }
                default -> {
                    CheckResult res = Compiler.check(root, List.of(), inputs, allows);
                    if (res.hasErrors() && name.equals("simulate")) return render(res.sources(), res.diagnostics(), res.suppressed());
                    // simulate prints the prediction's findings only; predict (the api) shows the check's too
                    Findings all = name.equals("simulate") ? Findings.NONE : new Findings(res.diagnostics(), res.suppressed());
                    for (Plan p : res.plans()) {
                        Prediction pr = Predictions.simulate(p, Predictor.DEFAULT_SEED);
                        all = all.plus(Predictions.findings(p, pr, allows));
                    }
                    return render(res.sources(), all.reported(), all.suppressed());
                }
            }
        }

        /** The emit stage with one emitter that has a bug, over the plans that check cleanly. */
        private String faulty(Path root, List<Path> inputs, Path dir) {
            CheckResult res = Compiler.check(root, List.of(), inputs, allows);
            Emitter broken = new Emitter() {
                @Override
                public Target target() {
                    return Target.VLLM;
                }

                @Override
                public List<Diagnostic> check(EmitInput in) {
                    return List.of();
                }

                @Override
                public List<OutputFile> emit(EmitInput in) {
                    if (fault.equals("throw")) throw new IllegalStateException("vllm emitter: no layout for " + in.plan().name());
                    String text = Templates.shared().renderInline("vllm/serve.sh.mustache", "vllm serve {{model_path}}\n",
                            Map.of("model", in.plan().model().name()));
                    return List.of(OutputFile.text("vllm/serve.sh", text));
                }
            };
            List<EmitInput> ins = new ArrayList<>();
            for (Plan p : res.plans()) ins.add(EmitInput.of(p, res.analyses().get(p.name())));
            Emit.Result er = new Emit(List.of(broken)).run(ins, dir, Set.of(Target.VLLM));
            List<Diagnostic> all = new ArrayList<>(res.diagnostics());
            all.addAll(er.diagnostics());
            return render(res.sources(), Diagnostics.sort(all), res.suppressed());
        }

        private static String render(Sources sources, List<Diagnostic> ds, List<Suppressed> suppressed) {
            if (ds.isEmpty() && suppressed.isEmpty()) return CLEAN;
            StringBuilder sb = new StringBuilder(new HumanRenderer(sources, false).render(ds));
            for (Suppressed x : suppressed) sb.append(HumanRenderer.oneLine(x)).append('\n');
            return sb.toString();
        }
    }

    private static void copy(Path from, Path to) throws IOException {
        try (Stream<Path> s = Files.walk(from)) {
            for (Path f : s.toList()) {
                Path t = to.resolve(from.relativize(f).toString());
                if (Files.isDirectory(f)) Files.createDirectories(t);
                else if (!f.getFileName().toString().equals("expected.txt")) Files.copy(f, t);
            }
        }
    }

    static String deepNesting(int depth) {
        StringBuilder sb = new StringBuilder("plan deep {\n  x ");
        for (int i = 0; i < depth; i++) sb.append("{ a ");
        for (int i = 0; i < depth; i++) sb.append("}");
        return sb.append("\n}\n").toString();
    }

    static String largeFile(long bytes) {
        String line = "// padding: a plan file this large is refused before it is read\n";
        StringBuilder sb = new StringBuilder((int) bytes + line.length());
        while (sb.length() < bytes) sb.append(line);
        return sb.toString();
    }

    private static void write(Path p, String text) {
        try {
            Files.writeString(p, text, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * Codes no input can produce, and why; every other code has a golden case. (Bugs in shardplan,
     * SP0803 and SP0901, have cases that inject one.)
     */
    static final Map<String, String> NO_CASE = Map.of(
            "SP0660", "unreachable from a plan: under dp attention shardplan gives SGLang tp = dp x tp, which dp always divides",
            "SP0904", "its message names the running JVM's heap, which differs by machine (cli OutOfMemoryTest runs it in a small heap)");

    /** Every registered code has a golden case that shows it, front end, analyses, emit and predictions alike. */
    @Test
    void everyCodeHasAGoldenCase() throws IOException {
        TreeSet<String> covered = new TreeSet<>();
        for (Path c : cases()) {
            Path e = c.resolve("expected.txt");
            if (!Files.exists(e)) continue;
            for (String line : Files.readAllLines(e)) {
                int i = line.indexOf("[SP");
                if (i >= 0 && line.indexOf(']', i) == i + 7) covered.add(line.substring(i + 1, i + 7));
            }
        }
        TreeSet<String> missing = new TreeSet<>();
        for (Code code : Codes.all()) {
            if (!covered.contains(code.id()) && !NO_CASE.containsKey(code.id())) missing.add(code.id());
        }
        assertTrue(missing.isEmpty(), "codes without a golden case: " + missing);
        for (String id : NO_CASE.keySet()) assertTrue(!covered.contains(id), id + " has a golden case now; remove it from NO_CASE");
    }

    /** A case is named after the code it shows (or says what it shows: clean-..., allow-...), so that a page can name it. */
    @Test
    void caseNamesSayWhatTheyShow() throws IOException {
        for (Path c : cases()) {
            String n = c.getFileName().toString();
            assertTrue(n.matches("(SP\\d{4}|clean|allow)-[a-z0-9-]+"), "golden case name " + n);
            if (n.startsWith("SP")) {
                String expected = Files.readString(c.resolve("expected.txt"), StandardCharsets.UTF_8);
                assertTrue(expected.contains("[" + n.substring(0, 6) + "]"), n + " does not show " + n.substring(0, 6));
            }
        }
    }

    /** The generated inputs really are what their case names say. */
    @Test
    void generatedInputsHaveTheirShape() {
        assertTrue(deepNesting(10_000).chars().filter(ch -> ch == '{').count() == 10_001);
        assertTrue(largeFile(Loader.MAX_FILE_BYTES + 1).length() > Loader.MAX_FILE_BYTES);
    }
}
