package dev.shardplan.runtime;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.shardplan.api.CompileResult;
import dev.shardplan.api.Compiler;
import dev.shardplan.diag.Diagnostic;
import dev.shardplan.emit.ShimArchive;
import dev.shardplan.model.Target;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The contract between the compiler and the shim: every plan in plans/ and every test plan the
 * compiler's and the shim's tests compile, compiled with `emit shim`, runs `verify` at tiny scale on
 * CPU/gloo with the plan's whole world, from the archive the compile wrote (tests/verify_plans.py:
 * one Python process, each plan's ranks forked from it).
 */
class CompiledPlansVerifyTest {
    record Source(String name, Path root, Path input) {}

    static List<Source> sources() throws Exception {
        Path project = Path.of("..").toAbsolutePath().normalize(), resources = project.resolve("compiler/src/test/resources");
        List<Source> s = new ArrayList<>(List.of(
                new Source("plans", project, project.resolve("plans")),
                new Source("emit-plans", resources.resolve("emit"), resources.resolve("emit/plans")),
                new Source("emit-layout", resources.resolve("emit"), resources.resolve("emit/layout")),
                new Source("shim-tests", project.resolve("runtime/tests/plans"), project.resolve("runtime/tests/plans"))));
        try (var dirs = Files.list(resources.resolve("golden"))) {
            for (Path d : dirs.filter(d -> d.getFileName().toString().startsWith("clean-")).sorted().toList()) {
                s.add(new Source("golden-" + d.getFileName(), d, d.resolve("input.plan")));
            }
        }
        return s;
    }

    @TempDir
    Path tmp;

    @Test
    void everyCompiledPlanVerifiesFromTheArchive() throws Exception {
        Python.requireTorch();
        List<String> args = new ArrayList<>(List.of("tests/verify_plans.py", tmp.resolve("plans").resolve(ShimArchive.fileName()).toString()));
        for (Source s : sources()) {
            CompileResult r = Compiler.compile(s.root(), List.of(s.input()), tmp.resolve(s.name()), Set.of(Target.SHIM));
            assertEquals(List.of(), r.diagnostics().stream().filter(Diagnostic::isError).map(Diagnostic::toString).toList(), s.name());
            Path archive = tmp.resolve(s.name()).resolve(ShimArchive.fileName());
            assertArrayEquals(ShimArchive.get().bytes(), Files.readAllBytes(archive), "one archive, the same bytes for every compile");
            args.add(tmp.resolve(s.name()).toString());
        }
        Path summary = tmp.resolve("summary.json");
        args.addAll(List.of("--json", summary.toString()));
        int code = Python.run(args, 9);
        assertEquals(0, code, code == -1 ? "verify of the compiled plans timed out" : "a compiled plan failed verify; see the output above");
        JsonNode s = new ObjectMapper().readTree(summary.toFile());
        assertTrue(s.path("plans").asInt() >= 50, "every plan was found: " + s.path("plans"));
        assertEquals(0, s.path("failed").asInt());
    }
}
