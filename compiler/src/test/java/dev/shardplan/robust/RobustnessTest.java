package dev.shardplan.robust;

import dev.shardplan.api.CheckResult;
import dev.shardplan.api.Compiler;
import dev.shardplan.diag.Diagnostic;
import dev.shardplan.diag.HumanRenderer;
import dev.shardplan.diag.JsonRenderer;
import dev.shardplan.format.Formatter;
import dev.shardplan.parse.ParseResult;
import dev.shardplan.parse.PlanFileParser;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.lifecycle.AfterContainer;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * No input makes the compiler throw or hang: truncated, token-swapped and byte-mutated plans,
 * random text and bytes, huge files, deep nesting and huge numbers all come back as diagnostics.
 * The time limit on each check only detects hangs (it is minutes above the real cost).
 */
class RobustnessTest {
    static final Duration HANG = Duration.ofSeconds(60);
    static final String PUNCTUATION = "{}()[]\",;/*#x<-.%\n";
    static final List<String> corpus = new ArrayList<>();
    static final Path root;

    static {
        try {
            loadCorpus();
            root = Files.createTempDirectory("shardplan-robust");
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    static void loadCorpus() throws IOException {
        for (Path dir : List.of(Path.of("../plans"), Path.of("src/main/resources/dev/shardplan/std"), Path.of("src/test/resources/golden"))) {
            if (!Files.isDirectory(dir)) continue;
            try (Stream<Path> s = Files.walk(dir)) {
                for (Path p : s.filter(f -> f.toString().endsWith(".plan")).sorted().toList()) {
                    corpus.add(new String(Files.readAllBytes(p), StandardCharsets.UTF_8));
                }
            }
        }
    }

    @AfterContainer
    static void tearDown() throws IOException {
        try (Stream<Path> s = Files.walk(root)) {
            for (Path p : s.sorted(Comparator.reverseOrder()).toList()) Files.deleteIfExists(p);
        }
    }

    /** Parses, formats when it parses, and checks the text from a file; asserts the invariants. */
    static void survives(String text) {
        assertTimeoutPreemptively(HANG, () -> {
            ParseResult pr = PlanFileParser.parse("m.plan", text);
            if (pr.file() == null) assertTrue(pr.diagnostics().stream().anyMatch(Diagnostic::isError), "a file that does not parse gets an error");
            if (pr.ok()) Formatter.format(text);
            survivesBytes(text.getBytes(StandardCharsets.UTF_8));
        });
    }

    /** Writes the bytes into the project, runs the whole front end and renders every diagnostic. */
    static CheckResult survivesBytes(byte[] bytes) throws IOException {
        Path f = root.resolve("m.plan");
        Files.write(f, bytes);
        CheckResult r = Compiler.check(root, List.of(f));
        for (Diagnostic d : r.diagnostics()) assertFalse(d.code().id().equals("SP0901"), "no internal errors: " + d);
        new HumanRenderer(r.sources(), false).render(r.diagnostics());
        new HumanRenderer(r.sources(), true).render(r.diagnostics());
        JsonRenderer.render(r.diagnostics());
        return r;
    }

    @Provide
    Arbitrary<String> plan() {
        return Arbitraries.of(corpus);
    }

    @Property(tries = 200)
    void truncatedPlans(@ForAll("plan") String text, @ForAll @IntRange(min = 0, max = 100_000) int cut) {
        survives(text.substring(0, cut % (text.length() + 1)));
    }

    @Property(tries = 200)
    void plansWithTwoTokensSwapped(@ForAll("plan") String text, @ForAll long seed) {
        String[] parts = text.split("(?<=\\s)|(?=\\s)|(?<=[{}()\\[\\],;])|(?=[{}()\\[\\],;])");
        Random r = new Random(seed);
        int a = r.nextInt(parts.length), b = r.nextInt(parts.length);
        String t = parts[a];
        parts[a] = parts[b];
        parts[b] = t;
        survives(String.join("", parts));
    }

    @Property(tries = 200)
    void plansWithBytesMutated(@ForAll("plan") String text, @ForAll long seed) throws Exception {
        byte[] b = text.getBytes(StandardCharsets.UTF_8);
        Random r = new Random(seed);
        int n = 1 + r.nextInt(5);
        for (int i = 0; i < n && b.length > 0; i++) {
            int at = r.nextInt(b.length);
            switch (r.nextInt(3)) {
                case 0 -> b[at] = (byte) r.nextInt(256);
                case 1 -> b[at] = (byte) PUNCTUATION.charAt(r.nextInt(PUNCTUATION.length()));
                default -> b[at] = (byte) ('0' + r.nextInt(10));
            }
        }
        assertTimeoutPreemptively(HANG, () -> survivesBytes(b));
        String decoded = new String(b, StandardCharsets.UTF_8);
        if (!decoded.contains("\uFFFD")) survives(decoded);
    }

    @Property(tries = 200)
    void randomText(@ForAll("noise") String text) {
        survives(text);
    }

    @Provide
    Arbitrary<String> noise() {
        Arbitrary<String> anyChars = Arbitraries.strings().ofMaxLength(300);
        Arbitrary<String> planChars = Arbitraries.strings().withChars("{}()[]\",;/*#x<=>-.%_ \n\tabcmodelplan0123456789kMGBs").ofMaxLength(300);
        return Arbitraries.oneOf(anyChars, planChars);
    }

    @Property(tries = 200)
    void randomBytes(@ForAll byte[] bytes) throws Exception {
        assertTimeoutPreemptively(HANG, () -> survivesBytes(bytes));
    }

    @Test
    void invalidUtf8IsADiagnostic() throws IOException {
        CheckResult r = survivesBytes(new byte[]{'m', 'o', 'd', 'e', 'l', ' ', (byte) 0xC3, (byte) 0x28, '\n'});
        assertEquals("SP0006", r.diagnostics().get(0).code().id());
        r = survivesBytes(new byte[]{'a', 0, 'b'});
        assertEquals("SP0006", r.diagnostics().get(0).code().id());
    }

    @Test
    void tenMegabyteFiles() throws IOException {
        String line = "model m { layers 2; hidden 4096 }\n";
        String big = line.repeat(10_000_000 / line.length() + 1);
        CheckResult r = assertTimeoutPreemptively(HANG, () -> survivesBytes(big.getBytes(StandardCharsets.UTF_8)));
        assertEquals(List.of("SP0903"), r.diagnostics().stream().map(d -> d.code().id()).toList());
        // the parser itself, called directly (as `fmt` and API users do), refuses 10 MB too, and
        // at its limit reports the first problem without holding a parse of the whole text
        assertTimeoutPreemptively(HANG, () -> {
            assertEquals("SP0903", PlanFileParser.parse("big.plan", big).diagnostics().get(0).code().id());
            int max = PlanFileParser.MAX_CHARS;
            assertEquals("SP0007", PlanFileParser.parse("big.plan", "{".repeat(max)).diagnostics().get(0).code().id());
            // two million tokens: refused before parsing, whose tree alone would need gigabytes
            assertEquals("SP0903", PlanFileParser.parse("big.plan", "a\n".repeat(max / 2)).diagnostics().get(0).code().id());
            assertEquals("SP0001", PlanFileParser.parse("big.plan", "a\n".repeat(PlanFileParser.MAX_TOKENS / 2)).diagnostics().get(0).code().id());
            assertFalse(PlanFileParser.parse("big.plan", "x".repeat(max)).ok());
        });
    }

    @Test
    void nestingTenThousandDeep() {
        for (String[] br : new String[][]{{"{", "}"}, {"(", ")"}, {"[", "]"}}) {
            String open = ("a " + br[0] + " ").repeat(10_000);
            for (String text : List.of("plan p { x " + open + br[1].repeat(10_000) + " }", "plan p { x " + open)) {
                assertTimeoutPreemptively(HANG, () -> {
                    ParseResult pr = PlanFileParser.parse("deep.plan", text);
                    assertEquals("SP0007", pr.diagnostics().get(0).code().id());
                    survives(text);
                });
            }
        }
    }

    @Test
    void numbersPastTwoToTheSixtyThree() throws IOException {
        for (String n : List.of("9223372036854775808", "99999999999999999999", "-99999999999999999999", "1e40", "1e999",
                "123456789012345678901234567890123456789012345678901234567890123", "18446744073709551616k", "0.0000000000000000000001")) {
            String text = """
                    import "std:nodes"
                    import "std:workloads"
                    model m { layers %1$s; hidden %1$s; heads %1$s; kv_heads %1$s; ffn %1$s; vocab %1$s; rope_theta %1$s; max_position %1$s tokens }
                    cluster c { nodes %1$s x HGX_H100 }
                    workload w { requests %1$s; prompt fixed(%1$s) tokens; output lognormal(median %1$s, p95 %1$s) tokens; max_length %1$s tokens }
                    plan p { model m; cluster c; workload w; parallel { tp %1$s; dp %1$s }; engine vllm { gpu_memory_utilization %1$s; max_num_seqs %1$s } }
                    """.formatted(n);
            CheckResult r = survivesBytes(text.getBytes(StandardCharsets.UTF_8));
            assertTrue(r.hasErrors(), n);
            assertTrue(r.plans().isEmpty(), n);
        }
    }
}
