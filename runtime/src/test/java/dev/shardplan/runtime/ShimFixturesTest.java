package dev.shardplan.runtime;

import dev.shardplan.api.CompileResult;
import dev.shardplan.api.Compiler;
import dev.shardplan.diag.Diagnostic;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The shim's Python tests run on compiled plans: tests/fixtures/PLAN/plan.json is what the compiler
 * makes of tests/plans/architectures.plan, so the tests see the compiler's contract, not a
 * hand-written one. With -Dshardplan.golden.update=true the fixtures are rewritten.
 */
class ShimFixturesTest {
    static final Path PLANS = Path.of("tests/plans"), FIXTURES = Path.of("tests/fixtures");
    static final boolean UPDATE = Boolean.getBoolean("shardplan.golden.update");

    @TempDir
    Path tmp;

    @Test
    void fixturesAreTheCompiledTestPlans() throws Exception {
        CompileResult r = Compiler.compile(PLANS.toAbsolutePath(), List.of(PLANS.resolve("architectures.plan").toAbsolutePath()), tmp, Set.of());
        assertEquals(List.of(), r.diagnostics().stream().filter(Diagnostic::isError).map(Diagnostic::toString).toList());
        Set<String> compiled = names(tmp), kept = names(FIXTURES);
        if (UPDATE) {
            for (String n : kept) if (!compiled.contains(n)) deleteTree(FIXTURES.resolve(n));
            for (String n : compiled) {
                Files.createDirectories(FIXTURES.resolve(n));
                Files.copy(tmp.resolve(n).resolve("plan.json"), FIXTURES.resolve(n).resolve("plan.json"),
                        java.nio.file.StandardCopyOption.REPLACE_EXISTING);
            }
            return;
        }
        String again = "regenerate with: mvn -B -o -pl runtime test -Dtest=ShimFixturesTest -Dshardplan.golden.update=true";
        assertEquals(compiled, kept, "tests/fixtures holds one folder per plan of tests/plans/architectures.plan; " + again);
        List<String> stale = new ArrayList<>();
        for (String n : compiled) {
            if (!Files.readString(tmp.resolve(n).resolve("plan.json")).equals(Files.readString(FIXTURES.resolve(n).resolve("plan.json")))) stale.add(n);
        }
        assertEquals(List.of(), stale, "fixtures out of date; " + again);
        assertTrue(compiled.size() >= 15);
    }

    private static Set<String> names(Path dir) throws Exception {
        Set<String> out = new TreeSet<>();
        if (!Files.isDirectory(dir)) return out;
        try (Stream<Path> s = Files.list(dir)) {
            s.filter(p -> Files.isRegularFile(p.resolve("plan.json"))).forEach(p -> out.add(p.getFileName().toString()));
        }
        return out;
    }

    private static void deleteTree(Path p) throws Exception {
        try (Stream<Path> s = Files.walk(p)) {
            for (Path x : s.sorted(java.util.Comparator.reverseOrder()).toList()) Files.delete(x);
        }
    }
}
