package dev.shardplan.format;

import dev.shardplan.ast.Nodes.SourceFile;
import dev.shardplan.parse.ParseResult;
import dev.shardplan.parse.PlanFileParser;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.Arbitrary;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

import java.io.IOException;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The formatter is a fixed point and preserves meaning: for every plan file in the repository and
 * for generated plans, format(format(x)) == format(x), and format(x) parses to an AST equal to
 * x's (AST records compare without spans).
 */
class FormatterPropertiesTest {
    /** Every .plan file of the project that parses: examples, the standard library, golden inputs. */
    static List<Path> repoPlans() throws IOException {
        List<Path> out = new ArrayList<>();
        for (Path dir : List.of(Path.of("../plans"), Path.of("src/main/resources/dev/shardplan/std"), Path.of("src/test/resources/golden"))) {
            if (!Files.isDirectory(dir)) continue;
            try (Stream<Path> s = Files.walk(dir)) {
                s.filter(f -> f.toString().endsWith(".plan")).sorted().forEach(out::add);
            }
        }
        return out;
    }

    static String readUtf8(Path p) throws IOException {
        try {
            return StandardCharsets.UTF_8.newDecoder().decode(java.nio.ByteBuffer.wrap(Files.readAllBytes(p))).toString();
        } catch (CharacterCodingException e) {
            return null;
        }
    }

    @TestFactory
    Stream<DynamicTest> repositoryPlansAreFixedPoints() throws IOException {
        List<DynamicTest> tests = new ArrayList<>();
        for (Path p : repoPlans()) {
            String text = readUtf8(p);
            if (text == null || !PlanFileParser.parse("x.plan", text).ok()) continue;
            tests.add(DynamicTest.dynamicTest(p.toString(), () -> assertFixedPointAndSameAst(text)));
        }
        return tests.stream();
    }

    @Test
    void theRepositoryHasPlansThatParse() throws IOException {
        long parsing = 0;
        for (Path p : repoPlans()) {
            String t = readUtf8(p);
            if (t != null && PlanFileParser.parse("x.plan", t).ok()) parsing++;
        }
        assertTrue(parsing >= 30, "plans that parse: " + parsing);
    }

    @Property(tries = 200)
    void generatedPlansAreFixedPoints(@ForAll("plans") String text) {
        ParseResult pr = PlanFileParser.parse("gen.plan", text);
        assertTrue(pr.ok(), () -> "the generator writes valid plans:\n" + text + "\n" + pr.diagnostics());
        assertFixedPointAndSameAst(text);
    }

    @Provide
    Arbitrary<String> plans() {
        return PlanGen.plans();
    }

    @Test
    void commentsAndOddLayoutSurvive() {
        String text = """
                // head comment
                model   m{layers 2;hidden 4 // trailing
                /* block
                   comment */ heads 2
                    moe {experts 8;top_k 2}


                  quantization {
                weights fp8 }
                }
                plan p { slo { ttft p99 < 5 s; tpot p50 <= 60 ms } ; emit vllm,
                   sglang }
                """;
        assertFixedPointAndSameAst(text);
        String f = Formatter.format(text);
        assertTrue(f.contains("// trailing"), f);
        assertTrue(f.contains("/* block    comment */") || f.contains("/* block"), f);
    }

    @Test
    void lineCommentsInsideCallsAndListsDoNotSwallowCode() {
        assertFixedPointAndSameAst("""
                workload w {
                  prompt lognormal(median 100, // the study's median
                                   p95 400) tokens
                  emit [vllm, # first
                        sglang]
                  nodes 1, // one
                    2
                }
                """);
    }

    static void assertFixedPointAndSameAst(String text) {
        String once = Formatter.format(text);
        String twice = Formatter.format(once);
        assertEquals(once, twice, () -> "format is not a fixed point for:\n" + text);
        ParseResult a = PlanFileParser.parse("x.plan", text);
        ParseResult b = PlanFileParser.parse("x.plan", once);
        assertTrue(b.ok(), () -> "formatted text does not parse:\n" + once + "\n" + b.diagnostics());
        SourceFile fa = a.file(), fb = b.file();
        assertEquals(fa, fb, () -> "formatting changed the AST:\n--- before\n" + text + "\n--- after\n" + once);
    }
}
