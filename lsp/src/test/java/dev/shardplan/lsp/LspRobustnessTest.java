package dev.shardplan.lsp;

import dev.shardplan.diag.Codes;
import org.eclipse.lsp4j.*;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static dev.shardplan.lsp.LspHarness.get;
import static org.junit.jupiter.api.Assertions.*;

/**
 * Bad input never takes the server down: a binary file, a huge file, a file outside the workspace,
 * deep nesting and positions past the end each get an answer (a diagnostic or nothing), and the
 * server still answers the next request correctly.
 */
class LspRobustnessTest {
    @TempDir
    Path ws;
    @TempDir
    Path outside;
    @TempDir
    Path std;
    LspHarness lsp;

    static final String GOOD = """
            import "std:models"
            import "std:nodes"
            import "std:workloads"
            cluster c { nodes 1 x HGX_H100 }
            plan p {
              model llama_3_1_8b
              cluster c
              workload natural_reasoning
              parallel { dp 8 }
              engine vllm { }
            }
            """;

    @BeforeEach
    void start() throws Exception {
        lsp = LspHarness.start(ws, std);
    }

    @AfterEach
    void stop() throws Exception {
        lsp.close();
    }

    /** Every request kind on a document, at a position inside it and one far past its end. */
    private void everyRequest(String uri) throws Exception {
        var docs = lsp.server.getTextDocumentService();
        for (Position p : List.of(new Position(0, 0), new Position(2, 3), new Position(1_000_000, 1_000_000))) {
            get(docs.hover(new HoverParams(lsp.id(uri), p)));
            assertNotNull(get(docs.definition(new DefinitionParams(lsp.id(uri), p))));
            assertNotNull(get(docs.references(new ReferenceParams(lsp.id(uri), p, new ReferenceContext(true)))));
            assertNotNull(get(docs.completion(new CompletionParams(lsp.id(uri), p))));
            assertNotNull(get(docs.codeAction(new CodeActionParams(lsp.id(uri), new Range(p, p), new CodeActionContext(List.of())))));
        }
        assertNotNull(get(docs.formatting(new DocumentFormattingParams(lsp.id(uri), new FormattingOptions(2, true)))));
        assertNotNull(get(docs.documentSymbol(new DocumentSymbolParams(lsp.id(uri)))));
    }

    /** The server still works: a good file opened now gets its (clean) diagnostics and a hover. */
    private void stillServes() throws Exception {
        Path f = ws.resolve("good.plan");
        String uri = lsp.open(f, GOOD);
        assertTrue(lsp.diagnostics(uri).stream().noneMatch(d -> d.getSeverity() == DiagnosticSeverity.Error));
        Hover h = get(lsp.server.getTextDocumentService().hover(new HoverParams(lsp.id(uri), lsp.at(uri, "plan p", 0, 5))));
        assertTrue(h.getContents().getRight().getValue().contains("Memory per rank"));
    }

    @Test
    void aBinaryFileGetsAnEncodingError() throws Exception {
        byte[] bytes = new byte[4096];
        new java.util.Random(7).nextBytes(bytes);
        bytes[10] = 0;
        Path f = ws.resolve("blob.plan");
        Files.write(f, bytes);
        // What an editor holds for bytes that are not UTF-8: replacement characters and the NUL.
        String uri = lsp.open(f, new String(bytes, StandardCharsets.UTF_8));
        List<Diagnostic> ds = lsp.diagnostics(uri);
        assertEquals(List.of(Codes.BAD_ENCODING.id()), ds.stream().map(d -> d.getCode().getLeft()).toList());
        everyRequest(uri);
        stillServes();
    }

    @Test
    void aHugeFileIsRefusedWithADiagnostic() throws Exception {
        StringBuilder sb = new StringBuilder(GOOD);
        String line = "// " + "x".repeat(120) + "\n";
        while (sb.length() <= dev.shardplan.resolve.Loader.MAX_FILE_BYTES) sb.append(line);
        String uri = lsp.open(ws.resolve("huge.plan"), sb.toString());
        List<Diagnostic> ds = lsp.diagnostics(uri);
        assertEquals(List.of(Codes.FILE_TOO_LARGE.id()), ds.stream().map(d -> d.getCode().getLeft()).toList());
        everyRequest(uri);
        stillServes();
    }

    @Test
    void aFileOutsideTheWorkspaceIsCheckedOnItsOwn() throws Exception {
        Path f = outside.resolve("elsewhere.plan");
        Files.writeString(f, GOOD);
        String uri = lsp.open(f);
        assertTrue(lsp.diagnostics(uri).stream().noneMatch(d -> d.getSeverity() == DiagnosticSeverity.Error));
        everyRequest(uri);
        // Its imports stay confined to its own folder.
        String escaping = GOOD.replace("import \"std:nodes\"", "import \"std:nodes\"\nimport \"../../etc/passwd\"");
        lsp.change(uri, escaping);
        List<Diagnostic> ds = lsp.diagnostics(uri);
        assertTrue(ds.stream().anyMatch(d -> d.getCode().getLeft().equals(Codes.IMPORT_OUTSIDE.id())), ds.toString());
        stillServes();
    }

    @Test
    void deepNestingUnclosedBlocksAndGarbageAnswerWithDiagnostics() throws Exception {
        String uri = lsp.open(ws.resolve("deep.plan"), "plan p " + "{".repeat(100_000));
        assertFalse(lsp.diagnostics(uri).isEmpty());
        everyRequest(uri);
        lsp.change(uri, "plan p { parallel { tp 2 ");
        assertFalse(lsp.diagnostics(uri).isEmpty());
        everyRequest(uri);
        lsp.change(uri, "\uFEFF\r\nplan 🦙 {\r\n\t\"unterminated\r\n}");
        assertFalse(lsp.diagnostics(uri).isEmpty());
        everyRequest(uri);
        lsp.change(uri, "");
        assertNotNull(lsp.diagnostics(uri));
        everyRequest(uri);
        stillServes();
    }

    @Test
    void requestsForUnknownDocumentsAnswerNothing() throws Exception {
        String uri = LspHarness.uri(ws.resolve("never-opened.plan"));
        var docs = lsp.server.getTextDocumentService();
        assertNull(get(docs.hover(new HoverParams(lsp.id(uri), new Position(0, 0)))));
        assertTrue(get(docs.definition(new DefinitionParams(lsp.id(uri), new Position(0, 0)))).getLeft().isEmpty());
        assertTrue(get(docs.formatting(new DocumentFormattingParams(lsp.id(uri), new FormattingOptions(2, true)))).isEmpty());
        // A change or close for a document never opened is ignored.
        docs.didChange(new DidChangeTextDocumentParams(new VersionedTextDocumentIdentifier(uri, 3), List.of(new TextDocumentContentChangeEvent("x"))));
        docs.didClose(new DidCloseTextDocumentParams(lsp.id("not a uri at all")));
        // A buffer that is no file (a new, unsaved editor tab) is checked on its own.
        String untitled = lsp.openUri("untitled:Untitled-1", GOOD);
        assertTrue(lsp.diagnostics(untitled).stream().noneMatch(d -> d.getSeverity() == DiagnosticSeverity.Error));
        stillServes();
    }
}
