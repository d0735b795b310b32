package dev.shardplan.lsp;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import dev.shardplan.api.CheckResult;
import dev.shardplan.api.Compiler;
import dev.shardplan.diag.Version;
import dev.shardplan.diag.Diagnostic;
import dev.shardplan.format.Formatter;
import dev.shardplan.parse.ParseResult;
import dev.shardplan.parse.PlanFileParser;
import org.eclipse.lsp4j.*;
import org.eclipse.lsp4j.jsonrpc.messages.Either;
import org.eclipse.lsp4j.services.LanguageClient;
import org.eclipse.lsp4j.services.LanguageClientAware;
import org.eclipse.lsp4j.services.LanguageServer;
import org.eclipse.lsp4j.services.TextDocumentService;
import org.eclipse.lsp4j.services.WorkspaceService;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.IntConsumer;
import java.util.function.Supplier;

/**
 * The shardplan language server. Every request and every check runs on one worker thread, in the
 * order they arrive, so a request always sees the snapshot of the latest text; diagnostics are
 * published a debounce interval after the last change. A failure inside a handler is reported to
 * the client's log and answered with nothing: bad input never takes the server down.
 */
public final class PlanLanguageServer implements LanguageServer, LanguageClientAware {
    /** Default delay between the last keystroke and the check that publishes diagnostics. */
    public static final long DEFAULT_DEBOUNCE_MS = 50;

    private final ScheduledExecutorService worker = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "shardplan-lsp-worker");
        t.setDaemon(true);
        return t;
    });
    private final Map<String, ScheduledFuture<?>> pending = new ConcurrentHashMap<>();
    /** The last snapshot of each document whose text parsed: completion's fallback while typing. */
    private final Map<String, Snapshot> lastGood = new ConcurrentHashMap<>();
    private final IntConsumer exit;
    private Session session;
    private volatile LanguageClient client;
    private volatile long debounceMs = DEFAULT_DEBOUNCE_MS;
    private volatile boolean shutdown;
    private final Documents documents = new Documents();
    private final Workspace workspace = new Workspace();

    /** A server that calls {@code exit} with the exit status when the client sends {@code exit}. */
    public PlanLanguageServer(IntConsumer exit) {
        this.exit = exit;
    }

    @Override
    public void connect(LanguageClient c) {
        this.client = c;
    }

    @Override
    public CompletableFuture<InitializeResult> initialize(InitializeParams params) {
        List<Path> roots = new ArrayList<>();
        if (params.getWorkspaceFolders() != null) {
            for (WorkspaceFolder f : params.getWorkspaceFolders()) roots.add(Session.pathOf(f.getUri()));
        } else if (params.getRootUri() != null) {
            roots.add(Session.pathOf(params.getRootUri()));
        }
        Path stdBase = StdFiles.defaultBase();
        if (params.getInitializationOptions() instanceof JsonObject o) {
            if (o.has("debounceMs")) debounceMs = Math.max(0, o.get("debounceMs").getAsLong());
            JsonElement sd = o.get("stdCacheDir");
            if (sd != null && sd.isJsonPrimitive()) stdBase = Path.of(sd.getAsString());
        }
        session = new Session(new StdFiles(stdBase));
        session.roots(roots);

        ServerCapabilities caps = new ServerCapabilities();
        TextDocumentSyncOptions sync = new TextDocumentSyncOptions();
        sync.setOpenClose(true);
        sync.setChange(TextDocumentSyncKind.Incremental);
        sync.setSave(new SaveOptions(false));
        caps.setTextDocumentSync(sync);
        caps.setHoverProvider(true);
        caps.setDefinitionProvider(true);
        caps.setReferencesProvider(true);
        caps.setCompletionProvider(new CompletionOptions(false, List.of(" ", "\"", "{")));
        caps.setDocumentFormattingProvider(true);
        caps.setCodeActionProvider(new CodeActionOptions(List.of(CodeActionKind.QuickFix)));
        caps.setDocumentSymbolProvider(true);
        caps.setWorkspaceSymbolProvider(true);
        return CompletableFuture.completedFuture(new InitializeResult(caps, new ServerInfo("shardplan", Version.VERSION)));
    }

    @Override
    public CompletableFuture<Object> shutdown() {
        shutdown = true;
        // Answer after the work already queued, then stop taking more.
        return CompletableFuture.supplyAsync(() -> {
            pending.values().forEach(f -> f.cancel(false));
            return (Object) null;
        }, worker).whenComplete((r, e) -> worker.shutdown());
    }

    @Override
    public void exit() {
        // No interrupt: the worker may be writing the answer to shutdown, and an interrupted write
        // closes the channel under it.
        pending.values().forEach(f -> f.cancel(false));
        worker.shutdown();
        exit.accept(shutdown ? 0 : 1);
    }

    @Override
    public TextDocumentService getTextDocumentService() {
        return documents;
    }

    @Override
    public WorkspaceService getWorkspaceService() {
        return workspace;
    }

    // ---------------------------------------------------------------- plumbing

    private <T> CompletableFuture<T> onWorker(String what, T fallback, Supplier<T> work) {
        CompletableFuture<T> f = new CompletableFuture<>();
        try {
            worker.execute(() -> {
                try {
                    f.complete(work.get());
                } catch (RuntimeException | StackOverflowError | OutOfMemoryError e) {
                    log(MessageType.Error, what + " failed: " + e);
                    f.complete(fallback);
                }
            });
        } catch (RuntimeException e) {
            // The worker has stopped (after shutdown).
            f.complete(fallback);
        }
        return f;
    }

    private void log(MessageType type, String message) {
        LanguageClient c = client;
        if (c != null) c.logMessage(new MessageParams(type, message));
    }

    private void schedule(String uri, long delayMs) {
        if (shutdown) return;
        ScheduledFuture<?> old = pending.remove(uri);
        if (old != null) old.cancel(false);
        try {
            pending.put(uri, worker.schedule(() -> publish(uri), delayMs, TimeUnit.MILLISECONDS));
        } catch (RuntimeException e) {
            // worker stopped
        }
    }

    private void publish(String uri) {
        pending.remove(uri);
        try {
            Snapshot s = session.snapshot(uri);
            if (s == null) return;
            if (s.module() != null) lastGood.put(uri, s);
            LanguageClient c = client;
            if (c != null) {
                c.publishDiagnostics(new PublishDiagnosticsParams(uri, Diagnostics2Lsp.of(s), s.doc().version()));
            }
        } catch (RuntimeException | StackOverflowError | OutOfMemoryError e) {
            log(MessageType.Error, "checking " + uri + " failed: " + e);
        }
    }

    private Snapshot snapshot(TextDocumentIdentifier id) {
        return session.snapshot(id.getUri());
    }

    // ---------------------------------------------------------------- documents

    private final class Documents implements TextDocumentService {
        @Override
        public void didOpen(DidOpenTextDocumentParams p) {
            TextDocumentItem d = p.getTextDocument();
            session.docs.put(d.getUri(), new Doc(d.getUri(), Session.pathOf(d.getUri()), d.getVersion(), d.getText() == null ? "" : d.getText()));
            session.changed();
            schedule(d.getUri(), 0);
            for (String dep : session.dependents(d.getUri())) schedule(dep, debounceMs);
        }

        @Override
        public void didChange(DidChangeTextDocumentParams p) {
            String uri = p.getTextDocument().getUri();
            Doc d = session.docs.get(uri);
            if (d == null) return;
            String text = d.text();
            for (TextDocumentContentChangeEvent c : p.getContentChanges()) text = applyChange(text, c);
            session.docs.put(uri, d.withText(p.getTextDocument().getVersion(), text));
            session.changed();
            schedule(uri, debounceMs);
            for (String dep : session.dependents(uri)) schedule(dep, debounceMs);
        }

        @Override
        public void didClose(DidCloseTextDocumentParams p) {
            String uri = p.getTextDocument().getUri();
            List<String> deps = session.dependents(uri);
            session.docs.remove(uri);
            session.forget(uri);
            lastGood.remove(uri);
            session.changed();
            ScheduledFuture<?> old = pending.remove(uri);
            if (old != null) old.cancel(false);
            LanguageClient c = client;
            if (c != null) c.publishDiagnostics(new PublishDiagnosticsParams(uri, List.of()));
            for (String dep : deps) schedule(dep, debounceMs);
        }

        @Override
        public void didSave(DidSaveTextDocumentParams p) {
            // The open text is what is checked; saving changes what unopened importers read from disk.
            session.changed();
        }

        @Override
        public CompletableFuture<Hover> hover(HoverParams p) {
            return onWorker("hover", null, () -> {
                Snapshot s = snapshot(p.getTextDocument());
                return s == null ? null : Hovers.at(s, s.text().offset(p.getPosition()));
            });
        }

        @Override
        public CompletableFuture<Either<List<? extends Location>, List<? extends LocationLink>>> definition(DefinitionParams p) {
            return onWorker("definition", Either.forLeft(List.of()), () -> {
                Snapshot s = snapshot(p.getTextDocument());
                List<Location> l = s == null ? List.of() : Navigation.definition(s, s.text().offset(p.getPosition()));
                return Either.forLeft(l);
            });
        }

        @Override
        public CompletableFuture<List<? extends Location>> references(ReferenceParams p) {
            return onWorker("references", List.of(), () -> {
                Snapshot s = snapshot(p.getTextDocument());
                boolean decl = p.getContext() == null || p.getContext().isIncludeDeclaration();
                return s == null ? List.of() : Navigation.references(session, s, s.text().offset(p.getPosition()), decl);
            });
        }

        @Override
        public CompletableFuture<Either<List<CompletionItem>, CompletionList>> completion(CompletionParams p) {
            return onWorker("completion", Either.forLeft(List.of()), () -> {
                Snapshot s = snapshot(p.getTextDocument());
                if (s == null) return Either.forLeft(List.of());
                // While the text does not parse (mid-typing), blocks and names are those of the last text that did.
                Snapshot scope = s.module() != null ? s : lastGood.get(s.doc().uri());
                if (s.module() != null) lastGood.put(s.doc().uri(), s);
                return Either.forLeft(Completions.at(s, scope, p.getPosition()));
            });
        }

        @Override
        public CompletableFuture<List<? extends TextEdit>> formatting(DocumentFormattingParams p) {
            return onWorker("formatting", List.of(), () -> {
                Snapshot s = snapshot(p.getTextDocument());
                if (s == null || s.readOnly()) return List.of();
                String text = s.doc().text();
                ParseResult pr = PlanFileParser.parse(s.id(), text);
                // The formatter is only defined on text that parses; broken text is left alone.
                if (pr.file() == null) return List.of();
                String formatted = Formatter.format(text);
                if (formatted.equals(text)) return List.of();
                return List.of(new TextEdit(new Range(new Position(0, 0), s.text().end()), formatted));
            });
        }

        @Override
        public CompletableFuture<List<Either<Command, CodeAction>>> codeAction(CodeActionParams p) {
            return onWorker("codeAction", List.of(), () -> {
                Snapshot s = snapshot(p.getTextDocument());
                if (s == null || s.readOnly() || s.module() == null) return List.of();
                return quickFixes(s, p.getRange());
            });
        }

        @Override
        public CompletableFuture<List<Either<SymbolInformation, DocumentSymbol>>> documentSymbol(DocumentSymbolParams p) {
            return onWorker("documentSymbol", List.of(), () -> {
                Snapshot s = snapshot(p.getTextDocument());
                return s == null ? List.of() : Navigation.documentSymbols(s);
            });
        }
    }

    /**
     * The quick fixes of the diagnostics that touch {@code range}: each diagnostic's proposed change,
     * offered only after checking the changed text again shows the diagnostic gone and no new error.
     */
    private List<Either<Command, CodeAction>> quickFixes(Snapshot s, Range range) {
        List<Either<Command, CodeAction>> out = new ArrayList<>();
        TextIndex t = s.text();
        int a = t.offset(range.getStart()), b = t.offset(range.getEnd());
        for (Diagnostic d : s.check().diagnostics()) {
            if (d.fix() == null || d.span().isNone() || !d.span().file().equals(s.id())) continue;
            if (d.span().end() < a || d.span().start() > b) continue;
            List<FixEdits.Edit> edits = FixEdits.of(d.fix(), s.module().ast(), s.doc().text());
            if (edits == null || edits.isEmpty()) continue;
            String fixed = FixEdits.apply(s.doc().text(), edits);
            if (!verified(s, d, fixed)) continue;
            List<TextEdit> tes = new ArrayList<>();
            for (FixEdits.Edit e : edits) {
                tes.add(new TextEdit(new Range(t.position(e.start()), t.position(e.end())), e.text()));
            }
            CodeAction ca = new CodeAction(d.fix().title() + " (" + d.code().id() + ")");
            ca.setKind(CodeActionKind.QuickFix);
            ca.setDiagnostics(List.of(Diagnostics2Lsp.one(s, d)));
            ca.setIsPreferred(true);
            Map<String, List<TextEdit>> changes = new HashMap<>();
            changes.put(s.doc().uri(), tes);
            ca.setEdit(new WorkspaceEdit(changes));
            out.add(Either.forRight(ca));
        }
        return out;
    }

    /** The fixed text no longer has the diagnostic's code on its line, and has no error the original lacked. */
    private boolean verified(Snapshot s, Diagnostic d, String fixed) {
        Map<Path, String> overlay = session.overlay();
        overlay.put(s.doc().path(), fixed);
        CheckResult r = Compiler.check(s.root(), List.of(), List.of(s.doc().path()), overlay, session.analyses);
        long before = s.check().diagnostics().stream().filter(Diagnostic::isError).count();
        long after = r.diagnostics().stream().filter(Diagnostic::isError).count();
        for (Diagnostic x : r.diagnostics()) {
            if (x.code().equals(d.code()) && x.span().file().equals(d.span().file()) && x.span().line() == d.span().line()
                    && x.message().equals(d.message())) return false;
        }
        return after < before || (after == before && !d.isError());
    }

    private static String applyChange(String text, TextDocumentContentChangeEvent c) {
        if (c.getRange() == null) return c.getText();
        int a = utf16(text, c.getRange().getStart()), b = utf16(text, c.getRange().getEnd());
        if (b < a) { int x = a; a = b; b = x; }
        return text.substring(0, a) + c.getText() + text.substring(b);
    }

    /** The UTF-16 index of an LSP position in {@code text}, clamped to its line. */
    private static int utf16(String text, Position p) {
        int i = 0;
        for (int line = 0; line < p.getLine(); line++) {
            int nl = text.indexOf('\n', i);
            if (nl < 0) return text.length();
            i = nl + 1;
        }
        int end = text.indexOf('\n', i);
        if (end < 0) end = text.length();
        return Math.min(i + Math.max(0, p.getCharacter()), end);
    }

    // ---------------------------------------------------------------- workspace

    private final class Workspace implements WorkspaceService {
        @Override
        public CompletableFuture<Either<List<? extends SymbolInformation>, List<? extends WorkspaceSymbol>>> symbol(WorkspaceSymbolParams p) {
            return onWorker("workspace/symbol", Either.forRight(List.of()), () -> {
                Snapshot any = null;
                for (String uri : session.docs.keySet()) {
                    any = session.snapshot(uri);
                    if (any != null) break;
                }
                return Either.forRight(Navigation.workspaceSymbols(session, any, p.getQuery()));
            });
        }

        @Override
        public void didChangeConfiguration(DidChangeConfigurationParams p) {
        }

        @Override
        public void didChangeWatchedFiles(DidChangeWatchedFilesParams p) {
            // A file changed on disk may be imported by an open document.
            session.changed();
            for (String uri : session.docs.keySet()) schedule(uri, debounceMs);
        }
    }
}
