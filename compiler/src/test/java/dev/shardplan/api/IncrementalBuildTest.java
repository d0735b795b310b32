package dev.shardplan.api;

import dev.shardplan.diag.Severity;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

class IncrementalBuildTest {
    private static final String CLUSTER = """
            import "std:nodes"
            cluster hgx_h200 {
              nodes 1 x HGX_H200
            }
            """;

    private static String plan(String name, String tp) {
        return """
                import "std:models"
                import "std:workloads"
                import "../common/cluster.plan"

                plan %s {
                  model deepseek_r1_distill_qwen_32b
                  cluster hgx_h200
                  workload natural_reasoning
                  parallel { dp 4; tp %s }
                  engine vllm { gpu_memory_utilization 0.90; max_num_seqs 256; block_size 16 }
                }
                """.formatted(name, tp);
    }

    @TempDir
    Path root;

    /** Records which inputs each compiler call was given, and writes OUT/<plan>/plan.txt like an emitter. */
    private final List<List<String>> calls = new ArrayList<>();

    private IncrementalBuild.Outcome build(List<Path> inputs, Path out) throws IOException {
        return IncrementalBuild.run(new IncrementalBuild.Request(root, inputs, root.resolve("target/cache.json"), "test-1", out),
                (r, in) -> {
                    calls.add(in.stream().map(p -> IncrementalBuild.idOf(r, p)).toList());
                    CheckResult res = Compiler.check(r, in);
                    if (out != null && !res.hasErrors()) {
                        for (var p : res.plans()) {
                            Files.createDirectories(out.resolve(p.name()));
                            Files.writeString(out.resolve(p.name()).resolve("plan.txt"), p.name());
                        }
                    }
                    return IncrementalBuild.StepResult.of(res);
                });
    }

    private Path write(String rel, String text) throws IOException {
        Path p = root.resolve(rel);
        Files.createDirectories(p.getParent());
        Files.writeString(p, text);
        return p;
    }

    @Test
    void unchangedInputsAreNotCompiledAgain() throws IOException {
        write("common/cluster.plan", CLUSTER);
        Path a = write("plans/a.plan", plan("alpha", "2"));
        Path b = write("plans/b.plan", plan("beta", "2"));

        IncrementalBuild.Outcome first = build(List.of(a, b), null);
        assertEquals(List.of("plans/a.plan", "plans/b.plan"), first.compiled());
        assertEquals(0, first.count(Severity.ERROR), () -> first.messages().toString());

        IncrementalBuild.Outcome second = build(List.of(a, b), null);
        assertEquals(List.of(), second.compiled());
        assertEquals(List.of("plans/a.plan", "plans/b.plan"), second.upToDate());
        assertEquals(1, calls.size(), "the second build must not call the compiler");
    }

    @Test
    void changedImportRecompilesItsUsersOnly() throws IOException {
        write("common/cluster.plan", CLUSTER);
        Path a = write("plans/a.plan", plan("alpha", "2"));
        Path solo = write("plans/solo.plan", "import \"std:nodes\"\ncluster solo { nodes 1 x HGX_H200 }\n");
        build(List.of(a, solo), null);

        write("common/cluster.plan", CLUSTER + "// comment changes the bytes\n");
        IncrementalBuild.Outcome o = build(List.of(a, solo), null);
        assertEquals(List.of("plans/a.plan"), o.compiled());
        assertEquals(List.of("plans/solo.plan"), o.upToDate());
        assertEquals(List.of("plans/a.plan"), calls.get(1));
    }

    @Test
    void errorsAreReportedEveryTimeUntilFixed() throws IOException {
        write("common/cluster.plan", CLUSTER);
        Path bad = write("plans/bad.plan", plan("bad", "two"));
        IncrementalBuild.Outcome first = build(List.of(bad), null);
        assertTrue(first.count(Severity.ERROR) > 0);
        assertTrue(first.messages().get(0).line().startsWith("plans/bad.plan:9:"), first.messages().get(0).line());

        IncrementalBuild.Outcome again = build(List.of(bad), null);
        assertEquals(List.of("plans/bad.plan"), again.compiled());
        assertEquals(first.messages(), again.messages());

        write("plans/bad.plan", plan("bad", "2"));
        assertEquals(0, build(List.of(bad), null).count(Severity.ERROR));
        assertEquals(List.of("plans/bad.plan"), build(List.of(bad), null).upToDate());
    }

    @Test
    void deletedAndRenamedPlansLoseTheirOutputs() throws IOException {
        Path out = root.resolve("target/out");
        write("common/cluster.plan", CLUSTER);
        Path a = write("plans/a.plan", plan("alpha", "2"));
        Path b = write("plans/b.plan", plan("beta", "2"));
        build(List.of(a, b), out);
        assertTrue(Files.isRegularFile(out.resolve("alpha/plan.txt")));
        assertTrue(Files.isRegularFile(out.resolve("beta/plan.txt")));

        Files.delete(b);
        write("plans/a.plan", plan("alpha2", "2"));
        IncrementalBuild.Outcome o = build(List.of(a), out);
        assertEquals(List.of("plans/b.plan"), o.removed());
        assertEquals(List.of("alpha", "beta"), o.deletedOutputs());
        assertFalse(Files.exists(out.resolve("alpha")));
        assertFalse(Files.exists(out.resolve("beta")));
        assertTrue(Files.isRegularFile(out.resolve("alpha2/plan.txt")));
    }

    @Test
    void aPlanMovedToAnotherFileKeepsItsOutput() throws IOException {
        Path out = root.resolve("target/out");
        write("common/cluster.plan", CLUSTER);
        Path a = write("plans/a.plan", plan("moved", "2"));
        build(List.of(a), out);
        Files.delete(a);
        Path b = write("plans/b.plan", plan("moved", "2"));
        IncrementalBuild.Outcome o = build(List.of(b), out);
        assertEquals(List.of("plans/a.plan"), o.removed());
        assertEquals(List.of(), o.deletedOutputs());
        assertTrue(Files.isRegularFile(out.resolve("moved/plan.txt")));
    }

    @Test
    void missingOutputsOrOtherParametersForceARebuild() throws IOException {
        Path out = root.resolve("target/out");
        write("common/cluster.plan", CLUSTER);
        Path a = write("plans/a.plan", plan("alpha", "2"));
        build(List.of(a), out);
        Files.delete(out.resolve("alpha/plan.txt"));
        Files.delete(out.resolve("alpha"));
        assertEquals(List.of("plans/a.plan"), build(List.of(a), out).compiled());

        IncrementalBuild.Outcome other = IncrementalBuild.run(
                new IncrementalBuild.Request(root, List.of(a), root.resolve("target/cache.json"), "test-2", null),
                (r, in) -> IncrementalBuild.StepResult.of(Compiler.check(r, in)));
        assertEquals(List.of("plans/a.plan"), other.compiled());
    }

    @Test
    void aDamagedCacheMeansAFullBuild() throws IOException {
        write("common/cluster.plan", CLUSTER);
        Path a = write("plans/a.plan", plan("alpha", "2"));
        build(List.of(a), null);
        Files.writeString(root.resolve("target/cache.json"), "{ not json");
        assertEquals(List.of("plans/a.plan"), build(List.of(a), null).compiled());
        assertEquals(List.of("plans/a.plan"), build(List.of(a), null).upToDate());
    }

    @Test
    void warningsOfUnchangedInputsAreShownAgain() throws IOException {
        write("common/cluster.plan", CLUSTER);
        Path a = write("plans/a.plan", plan("alpha", "2"));
        var warn = new dev.shardplan.diag.Code("SP9999", "test-warning", Severity.WARNING, "a warning made up by this test");
        IncrementalBuild.Step step = (r, in) -> {
            calls.add(List.of());
            CheckResult res = Compiler.check(r, in);
            var w = dev.shardplan.diag.Diagnostic.of(warn, res.plans().get(0).span(), "made-up warning")
                    .note("a fact").help("a fix").build();
            return new IncrementalBuild.StepResult(List.of(w), res.sources(), res.dependencies(), res.plans());
        };
        var req = new IncrementalBuild.Request(root, List.of(a), root.resolve("target/cache.json"), "test-1", null);
        IncrementalBuild.Outcome first = IncrementalBuild.run(req, step);
        IncrementalBuild.Outcome second = IncrementalBuild.run(req, step);
        assertEquals(1, calls.size());
        assertEquals(List.of("plans/a.plan"), second.upToDate());
        assertEquals(first.messages(), second.messages());
        Message m = second.messages().get(0);
        assertEquals(Severity.WARNING, m.severity());
        assertEquals("plans/a.plan:5:6: warning[SP9999]: made-up warning", m.line());
        assertEquals(List.of("note: a fact", "help: a fix"), m.details());
    }

    @Test
    void compilingOnePlanLeavesTheOthersOutputUntouched() throws IOException {
        Path out = root.resolve("target/out");
        write("common/cluster.plan", CLUSTER);
        Path a = write("plans/a.plan", plan("alpha", "2"));
        Path b = write("plans/b.plan", plan("beta", "2"));
        IncrementalBuild.Step compile = (r, in) ->
                IncrementalBuild.StepResult.of(Compiler.compile(r, in, out, java.util.Set.of()));
        var req = new IncrementalBuild.Request(root, List.of(a, b), root.resolve("target/cache.json"), "test-1", out);
        IncrementalBuild.Outcome first = IncrementalBuild.run(req, compile);
        assertEquals(0, first.count(Severity.ERROR), () -> first.messages().toString());
        assertTrue(Files.isRegularFile(out.resolve("alpha/plan.json")));
        assertTrue(Files.isRegularFile(out.resolve("beta/plan.json")));
        // The writer replaces a plan's folder as a whole, so a marker survives only if beta is not rewritten.
        Files.writeString(out.resolve("beta/marker"), "");
        Files.writeString(out.resolve("alpha/marker"), "");

        write("plans/a.plan", plan("alpha", "4").replace("dp 4", "dp 2"));
        IncrementalBuild.Outcome second = IncrementalBuild.run(req, compile);
        assertEquals(List.of("plans/a.plan"), second.compiled());
        assertTrue(Files.exists(out.resolve("beta/marker")));
        assertFalse(Files.exists(out.resolve("alpha/marker")));
        var planJson = dev.shardplan.diag.Jsons.MAPPER.readTree(out.resolve("alpha/plan.json").toFile());
        assertEquals(4, planJson.path("parallel").path("tp").asInt(), planJson::toString);
    }

    @Test
    void planOutputsThatNoInputDeclaresAreRemovedEvenWithoutACache() throws IOException {
        Path out = root.resolve("target/out");
        write("common/cluster.plan", CLUSTER);
        Path a = write("plans/a.plan", plan("alpha", "2"));
        IncrementalBuild.Step compile = (r, in) ->
                IncrementalBuild.StepResult.of(Compiler.compile(r, in, out, java.util.Set.of()));
        // Left by an earlier build whose cache is gone: a plan output, and a folder that is not one.
        write("target/out/gone/plan.json", "{}");
        write("target/out/notes/readme.txt", "kept: not a plan's output");
        var req = new IncrementalBuild.Request(root, List.of(a), root.resolve("target/cache.json"), "test-1", out);
        IncrementalBuild.Outcome o = IncrementalBuild.run(req, compile);
        assertEquals(java.util.Set.of("alpha"), o.plans());
        assertEquals(List.of("gone"), o.deletedOutputs());
        assertFalse(Files.exists(out.resolve("gone")));
        assertTrue(Files.exists(out.resolve("notes/readme.txt")));
        assertTrue(Files.isRegularFile(out.resolve("alpha/plan.json")));
        // Up to date the next time: the live plan is still reported.
        assertEquals(java.util.Set.of("alpha"), IncrementalBuild.run(req, compile).plans());
    }

    @Test
    void digestDependsOnNamesAndBytes() throws IOException {
        write("x.plan", "ab");
        write("y.plan", "ab");
        String x = BuildCache.digest("f", root, List.of("x.plan"));
        assertEquals(64, x.length());
        assertNotEquals(x, BuildCache.digest("f", root, List.of("y.plan")));
        assertNotEquals(x, BuildCache.digest("g", root, List.of("x.plan")));
        assertNull(BuildCache.digest("f", root, List.of("missing.plan")));
    }
}
