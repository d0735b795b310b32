package dev.shardplan.lsp;

import dev.shardplan.analysis.PlanAnalysis;
import dev.shardplan.api.CheckResult;
import dev.shardplan.api.Compiler;
import dev.shardplan.api.IncrementalBuild;
import dev.shardplan.format.Formatter;
import org.eclipse.lsp4j.*;
import org.eclipse.lsp4j.jsonrpc.messages.Either;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Stream;

import static dev.shardplan.lsp.LspHarness.get;
import static org.junit.jupiter.api.Assertions.*;

/**
 * The server as an editor drives it: initialize, didOpen, didChange, hover, definition,
 * references, completion, formatting, codeAction, symbols, shutdown and exit, on the plans in
 * plans/ (copied into a scratch workspace) and broken variants of them; each answer is checked
 * against what the compiler itself says.
 */
class LspConformanceTest {
    @TempDir
    Path ws;
    @TempDir
    Path std;
    LspHarness lsp;
    static final String UNKNOWN = dev.shardplan.diag.Codes.UNKNOWN_NAME.id();
    static final String IDLE = dev.shardplan.analysis.AnalysisCodes.IDLE_GPUS.id();

    @BeforeEach
    void start() throws Exception {
        Path plans = Path.of("..", "plans");
        try (Stream<Path> s = Files.walk(plans)) {
            for (Path p : (Iterable<Path>) s::iterator) {
                Path to = ws.resolve(plans.relativize(p).toString());
                if (Files.isDirectory(p)) Files.createDirectories(to);
                else Files.copy(p, to);
            }
        }
        lsp = LspHarness.start(ws, std);
    }

    @AfterEach
    void stop() throws Exception {
        lsp.close();
    }

    private static String text(MarkupContent c) {
        return c == null ? "" : c.getValue();
    }

    private Hover hover(String uri, Position p) throws Exception {
        return get(lsp.server.getTextDocumentService().hover(new HoverParams(lsp.id(uri), p)));
    }

    private List<? extends Location> definition(String uri, Position p) throws Exception {
        return get(lsp.server.getTextDocumentService().definition(new DefinitionParams(lsp.id(uri), p))).getLeft();
    }

    private List<String> completion(String uri, Position p) throws Exception {
        List<String> out = new ArrayList<>();
        for (CompletionItem c : get(lsp.server.getTextDocumentService().completion(new CompletionParams(lsp.id(uri), p))).getLeft()) {
            out.add(c.getLabel());
        }
        return out;
    }

    private List<CodeAction> actions(String uri, Range r) throws Exception {
        CodeActionParams p = new CodeActionParams(lsp.id(uri), r, new CodeActionContext(List.of()));
        List<CodeAction> out = new ArrayList<>();
        for (Either<Command, CodeAction> e : get(lsp.server.getTextDocumentService().codeAction(p))) out.add(e.getRight());
        return out;
    }

    @Test
    void initializeAdvertisesEveryFeature() {
        ServerCapabilities c = lsp.initialized.getCapabilities();
        assertEquals("shardplan", lsp.initialized.getServerInfo().getName());
        assertTrue(c.getHoverProvider().getLeft());
        assertTrue(c.getDefinitionProvider().getLeft());
        assertTrue(c.getReferencesProvider().getLeft());
        assertNotNull(c.getCompletionProvider());
        assertTrue(c.getDocumentFormattingProvider().getLeft());
        assertEquals(List.of(CodeActionKind.QuickFix), c.getCodeActionProvider().getRight().getCodeActionKinds());
        assertTrue(c.getDocumentSymbolProvider().getLeft());
        assertTrue(c.getWorkspaceSymbolProvider().getLeft());
        assertEquals(TextDocumentSyncKind.Incremental, c.getTextDocumentSync().getRight().getChange());
    }

    @Test
    void everyPlanInPlansGetsTheDiagnosticsCheckGives() throws Exception {
        List<Path> files;
        try (Stream<Path> s = Files.walk(ws)) {
            files = s.filter(p -> p.toString().endsWith(".plan")).sorted().toList();
        }
        assertTrue(files.size() >= 10, files.toString());
        for (Path f : files) {
            String uri = lsp.open(f);
            List<Diagnostic> got = lsp.diagnostics(uri);
            CheckResult r = Compiler.check(ws, List.of(f));
            String id = IncrementalBuild.idOf(ws, f);
            List<String> want = new ArrayList<>();
            for (dev.shardplan.diag.Diagnostic d : r.diagnostics()) {
                if (d.span().file().equals(id)) want.add(d.code().id() + "@" + (d.span().line() - 1) + ":" + (d.span().column() - 1));
            }
            List<String> have = new ArrayList<>();
            for (Diagnostic d : got) {
                have.add(d.getCode().getLeft() + "@" + d.getRange().getStart().getLine() + ":" + d.getRange().getStart().getCharacter());
                assertEquals("shardplan", d.getSource());
                assertNotEquals(DiagnosticSeverity.Error, d.getSeverity(), f + ": the shipped plans check without errors: " + d.getMessage());
            }
            assertEquals(want, have, f.toString());
        }
    }

    @Test
    void brokenVariantsGetCodeSpanNotesAndHelp() throws Exception {
        Path f = ws.resolve("qwen32b.plan");
        String good = Files.readString(f);
        String uri = lsp.open(f);
        assertTrue(lsp.diagnostics(uri).stream().noneMatch(d -> d.getSeverity() == DiagnosticSeverity.Error));

        String misspelt = good.replaceFirst("deepseek_r1_distill_qwen_32b", "deepseek_r1_distil_qwen_32b");
        lsp.change(uri, misspelt);
        List<Diagnostic> ds = lsp.diagnostics(uri);
        Diagnostic unknown = ds.stream().filter(d -> d.getCode().getLeft().equals(UNKNOWN)).findFirst().orElseThrow(() -> new AssertionError(ds.toString()));
        assertEquals(lsp.at(uri, "deepseek_r1_distil_qwen_32b"), unknown.getRange().getStart());
        assertEquals(new Position(unknown.getRange().getStart().getLine(), unknown.getRange().getStart().getCharacter() + "deepseek_r1_distil_qwen_32b".length()),
                unknown.getRange().getEnd());
        assertEquals(DiagnosticSeverity.Error, unknown.getSeverity());
        assertTrue(unknown.getMessage().contains("help: did you mean `deepseek_r1_distill_qwen_32b`?"), unknown.getMessage());

        // A syntax error: one diagnostic at the place the parser stopped.
        lsp.change(uri, good.replace("parallel { dp 8 }", "parallel { dp 8 "));
        List<Diagnostic> syntax = lsp.diagnostics(uri);
        assertFalse(syntax.isEmpty());
        assertTrue(syntax.stream().allMatch(d -> d.getCode().getLeft().startsWith("SP00")), syntax.toString());

        // A plan that cannot fit: the memory error carries its notes.
        lsp.change(uri, good.replace("parallel { dp 8 }", "parallel { dp 8 }\n  engine vllm { gpu_memory_utilization 0.10 }").replace(
                "  engine vllm { gpu_memory_utilization 0.90 }\n  emit vllm, sglang, trtllm, kubernetes, slurm\n  deploy { namespace \"inference\"; partition \"gpu\" }\n}\n\nplan qwen32b_tp8",
                "  emit vllm\n}\n\nplan qwen32b_tp8"));
        List<Diagnostic> mem = lsp.diagnostics(uri);
        assertTrue(mem.stream().anyMatch(d -> d.getSeverity() == DiagnosticSeverity.Error && d.getMessage().contains("\nnote: ")), mem.toString());

        // Back to the good text: the errors are gone.
        lsp.change(uri, good);
        assertTrue(lsp.diagnostics(uri).stream().noneMatch(d -> d.getSeverity() == DiagnosticSeverity.Error));
    }

    @Test
    void incrementalChangesAreAppliedAsTheClientSendsThem() throws Exception {
        Path f = ws.resolve("qwen32b.plan");
        String good = Files.readString(f);
        String uri = lsp.open(f);
        lsp.diagnostics(uri);
        Position a = lsp.at(uri, "dp 8");
        String bad = good.replaceFirst("dp 8", "dp 16");
        lsp.edit(uri, new Range(new Position(a.getLine(), a.getCharacter() + 3), new Position(a.getLine(), a.getCharacter() + 4)), "16", bad);
        List<Diagnostic> ds = lsp.diagnostics(uri);
        assertTrue(ds.stream().anyMatch(d -> d.getCode().getLeft().equals(dev.shardplan.analysis.AnalysisCodes.WORLD_EXCEEDS_CLUSTER.id())), ds.toString());
    }

    @Test
    void anErrorInAnImportedFileShowsOnTheImport() throws Exception {
        Path clusters = ws.resolve("clusters.plan");
        Files.writeString(clusters, Files.readString(clusters).replace("nodes 1 x HGX_H200", "nodes 1 x HGX_H2000"));
        String uri = lsp.open(ws.resolve("qwen32b.plan"));
        List<Diagnostic> ds = lsp.diagnostics(uri);
        Diagnostic d = ds.stream().filter(x -> x.getMessage().startsWith("imported file has")).findFirst().orElseThrow(() -> new AssertionError(ds.toString()));
        assertEquals(lsp.at(uri, "import \"clusters.plan\"").getLine(), d.getRange().getStart().getLine());
        assertEquals(LspHarness.uri(clusters), d.getRelatedInformation().get(0).getLocation().getUri());
    }

    @Test
    void editingAnImportedFileRechecksTheFilesThatImportIt() throws Exception {
        String plan = lsp.open(ws.resolve("qwen32b.plan"));
        lsp.diagnostics(plan);
        Path clusters = ws.resolve("clusters.plan");
        String cl = lsp.open(clusters);
        lsp.diagnostics(cl);
        lsp.change(cl, Files.readString(clusters).replace("cluster h200_x8", "cluster h200_x8_renamed"));
        // The importer was not edited: its next diagnostics come from the importee's change.
        long deadline = System.nanoTime() + 30_000_000_000L;
        boolean seen = false;
        while (!seen && System.nanoTime() < deadline) {
            List<Diagnostic> ds = lsp.diagnostics(plan);
            seen = ds.stream().anyMatch(d -> d.getCode().getLeft().equals(UNKNOWN));
        }
        assertTrue(seen, "qwen32b.plan was not re-checked after clusters.plan changed");
    }

    @Test
    void hoverOnAPlanShowsItsMemoryKvCapacityAndStepTime() throws Exception {
        Path f = ws.resolve("qwen32b_right_sized_tp.plan");
        String uri = lsp.open(f);
        lsp.diagnostics(uri);
        String text = Files.readString(f);
        String name = text.substring(text.indexOf("plan ") + 5, text.indexOf(" {", text.indexOf("plan ")));
        Hover h = hover(uri, lsp.at(uri, "plan " + name, 0, 6));
        String md = text(h.getContents().getRight());
        PlanAnalysis a = Compiler.check(ws, List.of(f)).analyses().get(name);
        assertTrue(md.contains("**plan " + name + "**"), md);
        assertTrue(md.contains("Memory per rank"), md);
        assertTrue(md.contains(String.format(Locale.ROOT, "%.2f", a.memory(0).weights() / (1024.0 * 1024 * 1024))), md);
        assertTrue(md.contains(String.format(Locale.ROOT, "%,d tokens", a.kv().tokens())), md);
        for (var c : a.kv().at()) assertTrue(md.contains("| " + c.label() + " | "), c.label() + " in " + md);
        var dec = a.interconnect().decodeStep();
        assertTrue(md.contains(String.format(Locale.ROOT, "compute %.3f ms, collectives %.3f ms (%.1f%% of the step)",
                dec.computeSeconds() * 1e3, dec.commSeconds() * 1e3, dec.commShare() * 100)), md);
        assertTrue(dec.commSeconds() > 0, "a tp plan has collectives");
        assertFalse(md.contains("The plan has errors"), md);

        // A plan with errors still shows what could be computed, and says so.
        lsp.change(uri, text.replace("dp 4", "dp 8"));
        lsp.diagnostics(uri);
        String broken = text(hover(uri, lsp.at(uri, "plan " + name, 0, 6)).getContents().getRight());
        assertTrue(broken.contains("The plan has errors"), broken);
    }

    @Test
    void hoverOnStdAndImportedNamesShowsTheirDeclarationAndFigures() throws Exception {
        String uri = lsp.open(ws.resolve("qwen32b.plan"));
        lsp.diagnostics(uri);
        String model = text(hover(uri, lsp.at(uri, "deepseek_r1_distill_qwen_32b", 0, 3)).getContents().getRight());
        assertTrue(model.contains("**model deepseek_r1_distill_qwen_32b**, declared in `std:models`"), model);
        assertTrue(model.contains("B parameters"), model);
        assertTrue(model.contains("```shardplan\nmodel deepseek_r1_distill_qwen_32b"), model);
        String cluster = text(hover(uri, lsp.at(uri, "cluster h200_x8", 0, 9)).getContents().getRight());
        assertTrue(cluster.contains("declared in `clusters.plan`"), cluster);
        assertTrue(cluster.contains("8 x H200_SXM"), cluster);
    }

    @Test
    void hoverOnAFieldShowsItsDocUnitAndRange() throws Exception {
        String uri = lsp.open(ws.resolve("qwen32b.plan"));
        lsp.diagnostics(uri);
        String dp = text(hover(uri, lsp.at(uri, "dp 8")).getContents().getRight());
        assertTrue(dp.contains("Data-parallel replicas"), dp);
        assertTrue(dp.contains("range: 1..65536"), dp);
        assertTrue(dp.contains("optional, default 1"), dp);
        String gmu = text(hover(uri, lsp.at(uri, "gpu_memory_utilization", 0, 2)).getContents().getRight());
        assertTrue(gmu.contains("**gpu_memory_utilization** (vllm "), gmu);
        assertTrue(gmu.contains("range (0, 1]"), gmu);
        assertTrue(gmu.contains("in this plan: 0.9 (plan"), gmu);
    }

    @Test
    void definitionFollowsImportsAndOpensTheStdLibraryReadOnly() throws Exception {
        String uri = lsp.open(ws.resolve("qwen32b.plan"));
        lsp.diagnostics(uri);
        List<? extends Location> cl = definition(uri, lsp.at(uri, "h200_x8", 0, 2));
        assertEquals(1, cl.size());
        assertEquals(LspHarness.uri(ws.resolve("clusters.plan")), cl.get(0).getUri());
        String clusters = Files.readString(ws.resolve("clusters.plan"));
        assertEquals("h200_x8", slice(clusters, cl.get(0).getRange()));

        List<? extends Location> m = definition(uri, lsp.at(uri, "deepseek_r1_distill_qwen_32b", 0, 1));
        assertEquals(1, m.size());
        Path stdFile = Path.of(java.net.URI.create(m.get(0).getUri()));
        assertTrue(stdFile.startsWith(std), stdFile.toString());
        assertFalse(Files.getPosixFilePermissions(stdFile).contains(java.nio.file.attribute.PosixFilePermission.OWNER_WRITE),
                "std files are written read-only");
        assertEquals("deepseek_r1_distill_qwen_32b", slice(Files.readString(stdFile), m.get(0).getRange()));
        assertEquals(dev.shardplan.resolve.Loader.stdSource("models"), Files.readString(stdFile));

        List<? extends Location> imp = definition(uri, lsp.at(uri, "\"clusters.plan\"", 0, 2));
        assertEquals(LspHarness.uri(ws.resolve("clusters.plan")), imp.get(0).getUri());

        // Opened in the editor, a std file answers hover and definition but gets no diagnostics and no edits.
        String stdUri = lsp.open(stdFile);
        assertTrue(lsp.diagnostics(stdUri).isEmpty());
        assertTrue(get(lsp.server.getTextDocumentService().formatting(new DocumentFormattingParams(lsp.id(stdUri), new FormattingOptions(2, true)))).isEmpty());
        List<? extends Location> gpu = definition(stdUri, lsp.at(stdUri, "model deepseek_r1_distill_qwen_32b", 0, 7));
        assertEquals(stdUri, gpu.get(0).getUri());
    }

    static String slice(String text, Range r) {
        return text.substring(LspHarness.index(text, r.getStart()), LspHarness.index(text, r.getEnd()));
    }

    @Test
    void referencesAreFoundAcrossTheWorkspace() throws Exception {
        Path clusters = ws.resolve("clusters.plan");
        String uri = lsp.open(clusters);
        lsp.diagnostics(uri);
        List<? extends Location> refs = get(lsp.server.getTextDocumentService().references(
                new ReferenceParams(lsp.id(uri), lsp.at(uri, "h200_x8", 0, 1), new ReferenceContext(true))));
        Set<String> expected = new TreeSet<>();
        expected.add(LspHarness.uri(clusters) + "@decl");
        int uses = 0;
        try (Stream<Path> s = Files.list(ws)) {
            for (Path p : (Iterable<Path>) s::iterator) {
                if (!p.toString().endsWith(".plan")) continue;
                String t = Files.readString(p);
                if (!t.contains("import \"clusters.plan\"")) continue;
                int n = t.split("cluster h200_x8\n", -1).length - 1;
                uses += n;
                if (n > 0) expected.add(LspHarness.uri(p));
            }
        }
        assertTrue(uses >= 4, "plans/ uses h200_x8 at least four times");
        assertEquals(uses + 1, refs.size(), refs.toString());
        Set<String> files = new TreeSet<>();
        for (Location l : refs) files.add(l.getUri());
        expected.remove(LspHarness.uri(clusters) + "@decl");
        expected.add(LspHarness.uri(clusters));
        assertEquals(expected, files);
        for (Location l : refs) assertEquals("h200_x8", slice(Files.readString(Path.of(java.net.URI.create(l.getUri()))), l.getRange()));
    }

    @Test
    void completionOffersWhatTheCursorCanTake() throws Exception {
        Path f = ws.resolve("scratch.plan");
        String text = """
                import "std:models"
                import "std:workloads"
                import "clusters.plan"

                plan p {
                  model llama_3_1_8b
                  cluster h200_x8
                  workload natural_reasoning
                  parallel {
                    tp 1
                   \s
                  }
                  engine vllm {
                   \s
                  }
                  emit vllm
                }
                """;
        String uri = lsp.open(f, text);
        lsp.diagnostics(uri);
        Position inParallel = new Position(lsp.at(uri, "tp 1").getLine() + 1, 4);
        List<String> par = completion(uri, inParallel);
        assertTrue(par.containsAll(List.of("dp", "pp", "ep", "dp_attention", "layer_split", "placement")), par.toString());
        assertFalse(par.contains("tp"), "a field already given is not offered again: " + par);
        Position inEngine = new Position(lsp.at(uri, "engine vllm {").getLine() + 1, 4);
        List<String> eng = completion(uri, inEngine);
        assertTrue(eng.containsAll(List.of("gpu_memory_utilization", "max_num_seqs", "block_size", "kv_cache_dtype", "version")), eng.toString());
        assertFalse(eng.contains("mem_fraction_static"), "SGLang's names are not vLLM's: " + eng);
        List<String> plan = completion(uri, new Position(lsp.at(uri, "emit vllm").getLine(), 2));
        assertTrue(plan.containsAll(List.of("slo", "deploy", "tuning")), plan.toString());
        List<String> top = completion(uri, new Position(3, 0));
        assertTrue(top.containsAll(List.of("plan", "model", "cluster", "import")), top.toString());

        // Values: the std names after `model `, engines after `engine `, targets after `emit `, units after a number, std modules in an import.
        String typed = text.replace("  model llama_3_1_8b\n", "  model \n").replace("  emit vllm\n", "  emit \n")
                .replace("    tp 1\n", "    tp 1\n  \n").replace("import \"std:workloads\"", "import \"std:");
        lsp.change(uri, typed);
        lsp.diagnostics(uri);
        List<String> models = completion(uri, lsp.at(uri, "model \n", 0, 6));
        assertTrue(models.containsAll(List.of("llama_3_1_8b", "deepseek_r1")), models.toString());
        List<String> targets = completion(uri, lsp.at(uri, "emit \n", 0, 5));
        assertTrue(targets.containsAll(List.of("vllm", "sglang", "kubernetes", "slurm", "shim", "report")), targets.toString());
        List<String> stdMods = completion(uri, lsp.at(uri, "import \"std:", 1, 12));
        assertTrue(stdMods.containsAll(List.of("std:gpus", "std:models", "std:workloads")), stdMods.toString());

        lsp.change(uri, "gpu g {\n  memory 80 \n}\n");
        lsp.diagnostics(uri);
        List<String> units = completion(uri, new Position(1, 12));
        assertTrue(units.containsAll(List.of("GiB", "GB", "TB/s", "GB/s")), units.toString());
        lsp.change(uri, "plan p {\n  engine \n}\n");
        lsp.diagnostics(uri);
        assertEquals(List.of("vllm", "sglang", "trtllm"), completion(uri, new Position(1, 9)));
    }

    @Test
    void formattingIsWhatFmtWrites() throws Exception {
        Path f = ws.resolve("qwen32b.plan");
        String good = Files.readString(f);
        String messy = good.replace("  model deepseek_r1_distill_qwen_32b", "model    deepseek_r1_distill_qwen_32b").replace("{ dp 8 }", "{dp 8}");
        String uri = lsp.open(f, messy);
        List<? extends TextEdit> edits = get(lsp.server.getTextDocumentService().formatting(new DocumentFormattingParams(lsp.id(uri), new FormattingOptions(2, true))));
        assertEquals(1, edits.size());
        assertEquals(Formatter.format(messy), LspHarness.apply(messy, edits));
        assertEquals(good, LspHarness.apply(messy, edits));

        lsp.change(uri, good);
        assertTrue(get(lsp.server.getTextDocumentService().formatting(new DocumentFormattingParams(lsp.id(uri), new FormattingOptions(2, true)))).isEmpty(),
                "a formatted file needs no edit");
        lsp.change(uri, good.replace("{ dp 8 }", "{ dp 8"));
        assertTrue(get(lsp.server.getTextDocumentService().formatting(new DocumentFormattingParams(lsp.id(uri), new FormattingOptions(2, true)))).isEmpty(),
                "text that does not parse is left alone");
    }

    @Test
    void codeActionsApplyTheVerifiedHelp() throws Exception {
        Path f = ws.resolve("qwen32b.plan");
        String good = Files.readString(f);
        String misspelt = good.replaceFirst("deepseek_r1_distill_qwen_32b", "deepseek_r1_distil_qwen_32b");
        String uri = lsp.open(f, misspelt);
        Diagnostic d = lsp.diagnostics(uri).stream().filter(x -> x.getCode().getLeft().equals(UNKNOWN)).findFirst().orElseThrow();
        List<CodeAction> as = actions(uri, d.getRange());
        assertEquals(1, as.size(), as.toString());
        CodeAction a = as.get(0);
        assertEquals(CodeActionKind.QuickFix, a.getKind());
        assertEquals("use `deepseek_r1_distill_qwen_32b` (" + UNKNOWN + ")", a.getTitle());
        String fixed = LspHarness.apply(misspelt, a.getEdit().getChanges().get(uri));
        assertEquals(good, fixed);

        // A re-checked plan variant: 4 of 8 GPUs idle; the fix sets dp 8 and the warning goes away.
        String idle = good.replace("parallel { dp 8 }", "parallel { dp 4 }");
        lsp.change(uri, idle);
        Diagnostic w = lsp.diagnostics(uri).stream().filter(x -> x.getCode().getLeft().equals(IDLE)).findFirst().orElseThrow();
        List<CodeAction> fixes = actions(uri, w.getRange());
        CodeAction dp = fixes.stream().filter(x -> x.getTitle().startsWith("dp 4 -> 8")).findFirst().orElseThrow(() -> new AssertionError(fixes.toString()));
        String applied = LspHarness.apply(idle, dp.getEdit().getChanges().get(uri));
        assertEquals(good, applied);
        lsp.change(uri, applied);
        assertTrue(lsp.diagnostics(uri).stream().noneMatch(x -> x.getCode().getLeft().equals(IDLE)));

        // An added field: the variant sets a degree the block does not write yet.
        String noDp = good.replace("parallel { dp 8 }", "parallel { pp 1 }");
        lsp.change(uri, noDp);
        Diagnostic w2 = lsp.diagnostics(uri).stream().filter(x -> x.getCode().getLeft().equals(IDLE)).findFirst().orElseThrow();
        CodeAction add = actions(uri, w2.getRange()).stream().filter(x -> x.getTitle().startsWith("dp 1 -> 8")).findFirst().orElseThrow();
        String added = LspHarness.apply(noDp, add.getEdit().getChanges().get(uri));
        assertTrue(added.contains("parallel { pp 1; dp 8 }"), added);
        assertTrue(Compiler.check(ws, List.of(), List.of(f), java.util.Map.of(f, added)).diagnostics().stream()
                .noneMatch(x -> x.code().id().equals(IDLE) && x.span().line() == w2.getRange().getStart().getLine() + 1));
    }

    @Test
    void documentAndWorkspaceSymbols() throws Exception {
        String uri = lsp.open(ws.resolve("qwen32b.plan"));
        lsp.diagnostics(uri);
        List<Either<SymbolInformation, DocumentSymbol>> syms = get(lsp.server.getTextDocumentService().documentSymbol(new DocumentSymbolParams(lsp.id(uri))));
        List<String> names = syms.stream().map(e -> e.getRight().getName()).toList();
        assertEquals(List.of("qwen32b_dp8", "qwen32b_tp8"), names);
        DocumentSymbol first = syms.get(0).getRight();
        assertEquals(SymbolKind.Module, first.getKind());
        assertTrue(first.getChildren().stream().anyMatch(c -> c.getName().equals("parallel") && c.getChildren().get(0).getName().equals("dp")));

        var ws1 = get(lsp.server.getWorkspaceService().symbol(new WorkspaceSymbolParams("h200_x"))).getRight();
        Set<String> found = new TreeSet<>();
        for (WorkspaceSymbol s : ws1) found.add(s.getName());
        assertTrue(found.containsAll(List.of("h200_x8", "h200_x16")), found.toString());
        var std1 = get(lsp.server.getWorkspaceService().symbol(new WorkspaceSymbolParams("H200_SXM"))).getRight();
        assertTrue(std1.stream().anyMatch(s -> s.getName().equals("H200_SXM") && s.getLocation().getLeft().getUri().startsWith(std.toUri().toString())), std1.toString());
    }

    @Test
    void shutdownThenExitEndsCleanly() throws Exception {
        String uri = lsp.open(ws.resolve("qwen32b.plan"));
        lsp.diagnostics(uri);
        assertNull(get(lsp.server.shutdown()));
        lsp.server.exit();
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (lsp.exitStatus.get() < 0 && System.nanoTime() < deadline) Thread.sleep(10);
        assertEquals(0, lsp.exitStatus.get());
    }
}
