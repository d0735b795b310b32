package dev.shardplan.golden;

import dev.shardplan.api.FrontendResult;
import dev.shardplan.api.Frontend;
import dev.shardplan.diag.Code;
import dev.shardplan.diag.Codes;
import dev.shardplan.diag.HumanRenderer;
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
import java.util.List;
import java.util.Map;
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
 */
class GoldenTest {
    static final Path GOLDEN = Path.of("src/test/resources/golden");
    static final boolean UPDATE = Boolean.getBoolean("shardplan.golden.update");
    static final String CLEAN = "no diagnostics\n";

    /** Inputs written at test time into the copy of the case folder. */
    static final Map<String, Consumer<Path>> GENERATED = Map.of(
            "SP0007-nesting-10000-deep", root -> write(root.resolve("input.plan"), deepNesting(10_000)),
            "SP0903-file-too-large", root -> write(root.resolve("input.plan"), largeFile(Loader.MAX_FILE_BYTES + 1)),
            "SP0105-symlink-out-of-project", GoldenTest::linkOutOfTheProject);

    /** shared.plan, a link to a file beside the project holding a "secret" no diagnostic may show. */
    static void linkOutOfTheProject(Path root) {
        try {
            Path outside = Files.createDirectories(root.getParent().resolve("outside-" + root.getFileName()));
            Path secret = outside.resolve("secret.plan");
            write(secret, "-----BEGIN PRIVATE KEY-----\n");
            Files.createSymbolicLink(root.resolve("shared.plan"), secret);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

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
        assertTrue(!actual.contains("PRIVATE KEY"), "no diagnostic quotes a file outside the project");
    }

    /** Copies the case into a fresh root, generates any big inputs, checks it and renders the result. */
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
        FrontendResult res = Frontend.check(root, inputs);
        String text = res.diagnostics().isEmpty() ? CLEAN : new HumanRenderer(res.sources(), false).render(res.diagnostics());
        return relativize(text, root);
    }

    /** Absolute paths of the temporary root read as paths relative to it. */
    static String relativize(String text, Path root) {
        String r = root.toAbsolutePath().normalize().toString();
        String p = root.toAbsolutePath().normalize().getParent().toString();
        return text.replace(r + "/", "").replace(r, ".").replace(p + "/", "../");
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

    /** Every front-end code (SP00xx to SP03xx, and the input-file codes) has a golden case. */
    @Test
    void everyFrontEndCodeHasAGoldenCase() throws IOException {
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
            String id = code.id();
            boolean frontEnd = id.compareTo("SP0400") < 0 || id.equals("SP0902") || id.equals("SP0903");
            if (frontEnd && !covered.contains(id)) missing.add(id);
        }
        assertTrue(missing.isEmpty(), "codes without a golden case: " + missing);
    }

    /** The generated inputs really are what their case names say. */
    @Test
    void generatedInputsHaveTheirShape() {
        assertTrue(deepNesting(10_000).chars().filter(ch -> ch == '{').count() == 10_001);
        assertTrue(largeFile(Loader.MAX_FILE_BYTES + 1).length() > Loader.MAX_FILE_BYTES);
    }
}
