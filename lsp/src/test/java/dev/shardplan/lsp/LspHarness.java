package dev.shardplan.lsp;

import org.eclipse.lsp4j.*;
import org.eclipse.lsp4j.jsonrpc.Launcher;
import org.eclipse.lsp4j.launch.LSPLauncher;
import org.eclipse.lsp4j.services.LanguageClient;
import org.eclipse.lsp4j.services.LanguageServer;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Future;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * A client that drives the server in-process as an editor would, over LSP4J's JSON-RPC on piped
 * streams, so every request and answer goes through the real protocol encoding.
 */
final class LspHarness implements AutoCloseable {
    static final long TIMEOUT_S = 60;

    final LanguageServer server;
    final Path root;
    final Path stdDir;
    final AtomicInteger exitStatus = new AtomicInteger(-1);
    final List<MessageParams> logs = new CopyOnWriteArrayList<>();
    private final Map<String, BlockingQueue<PublishDiagnosticsParams>> published = new ConcurrentHashMap<>();
    private final Future<Void> serverListening, clientListening;
    private final java.io.OutputStream toServer, toClient;
    private final Map<String, Integer> versions = new ConcurrentHashMap<>();
    final Map<String, String> texts = new ConcurrentHashMap<>();
    InitializeResult initialized;

    private LspHarness(Path root, Path stdDir, long debounceMs) throws Exception {
        this.root = root;
        this.stdDir = stdDir;
        // NIO pipes: java.io's piped streams fail ("write end dead") once a thread that wrote has ended,
        // and LSP4J writes from whichever thread answers.
        java.nio.channels.Pipe a = java.nio.channels.Pipe.open(), b = java.nio.channels.Pipe.open();
        java.io.InputStream serverIn = java.nio.channels.Channels.newInputStream(a.source());
        java.io.InputStream clientIn = java.nio.channels.Channels.newInputStream(b.source());
        toServer = java.nio.channels.Channels.newOutputStream(a.sink());
        toClient = java.nio.channels.Channels.newOutputStream(b.sink());
        serverListening = ShardplanLsp.start(serverIn, toClient, exitStatus::set);
        Launcher<LanguageServer> l = LSPLauncher.createClientLauncher(new Client(), clientIn, toServer, ShardplanLsp.rpcThreads(), null);
        server = l.getRemoteProxy();
        clientListening = l.startListening();
        InitializeParams p = new InitializeParams();
        p.setWorkspaceFolders(List.of(new WorkspaceFolder(root.toUri().toString(), "ws")));
        com.google.gson.JsonObject o = new com.google.gson.JsonObject();
        o.addProperty("debounceMs", debounceMs);
        o.addProperty("stdCacheDir", stdDir.toString());
        p.setInitializationOptions(o);
        initialized = get(server.initialize(p));
        server.initialized(new InitializedParams());
    }

    static LspHarness start(Path root, Path stdDir) throws Exception {
        return new LspHarness(root, stdDir, 0);
    }

    /** A server that waits {@code debounceMs} after a change before checking, as in an editor. */
    static LspHarness start(Path root, Path stdDir, long debounceMs) throws Exception {
        return new LspHarness(root, stdDir, debounceMs);
    }


    static <T> T get(CompletableFuture<T> f) throws Exception {
        return f.get(TIMEOUT_S, TimeUnit.SECONDS);
    }

    static String uri(Path p) {
        return p.toAbsolutePath().normalize().toUri().toString();
    }

    String open(Path file) throws IOException {
        return open(file, Files.readString(file));
    }

    String open(Path file, String text) {
        return openUri(uri(file), text);
    }

    String openUri(String u, String text) {
        versions.put(u, 1);
        texts.put(u, text);
        server.getTextDocumentService().didOpen(new DidOpenTextDocumentParams(new TextDocumentItem(u, "shardplan", 1, text)));
        return u;
    }

    /** Replaces the whole text (a full-document change). */
    int change(String uri, String text) {
        int v = versions.merge(uri, 1, Integer::sum);
        texts.put(uri, text);
        server.getTextDocumentService().didChange(new DidChangeTextDocumentParams(new VersionedTextDocumentIdentifier(uri, v),
                List.of(new TextDocumentContentChangeEvent(text))));
        return v;
    }

    /** An incremental change: replaces {@code range} by {@code text}. */
    int edit(String uri, Range range, String text, String whole) {
        int v = versions.merge(uri, 1, Integer::sum);
        texts.put(uri, whole);
        server.getTextDocumentService().didChange(new DidChangeTextDocumentParams(new VersionedTextDocumentIdentifier(uri, v),
                List.of(new TextDocumentContentChangeEvent(range, text))));
        return v;
    }

    int version(String uri) {
        return versions.getOrDefault(uri, 0);
    }

    /** The diagnostics published for {@code uri} at its current version. */
    List<Diagnostic> diagnostics(String uri) throws InterruptedException {
        int v = version(uri);
        BlockingQueue<PublishDiagnosticsParams> q = published.computeIfAbsent(uri, k -> new LinkedBlockingQueue<>());
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(TIMEOUT_S);
        while (System.nanoTime() < deadline) {
            PublishDiagnosticsParams p = q.poll(100, TimeUnit.MILLISECONDS);
            if (p != null && p.getVersion() != null && p.getVersion() >= v) return p.getDiagnostics();
        }
        fail("no diagnostics for " + uri + " version " + v + "; logs: " + logs);
        return null;
    }

    private final Map<String, List<Diagnostic>> last = new ConcurrentHashMap<>();

    /** The versions of {@code uri} published until its current one, in order (each publication once). */
    List<Integer> versionsUntilCurrent(String uri) throws InterruptedException {
        int v = version(uri);
        BlockingQueue<PublishDiagnosticsParams> q = published.computeIfAbsent(uri, k -> new LinkedBlockingQueue<>());
        List<Integer> out = new ArrayList<>();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(TIMEOUT_S);
        while (System.nanoTime() < deadline) {
            PublishDiagnosticsParams p = q.poll(100, TimeUnit.MILLISECONDS);
            if (p == null) continue;
            out.add(p.getVersion());
            last.put(uri, p.getDiagnostics());
            if (p.getVersion() != null && p.getVersion() >= v) return out;
        }
        fail("no diagnostics for " + uri + " version " + v + "; published " + out + "; logs: " + logs);
        return null;
    }

    /** The diagnostics of the last publication {@link #versionsUntilCurrent} read. */
    List<Diagnostic> lastPublished(String uri) {
        return last.get(uri);
    }

    /** The position of the {@code n}-th (0-based) occurrence of {@code needle} in the open text, plus {@code delta} characters. */
    Position at(String uri, String needle, int n, int delta) {
        String t = texts.get(uri);
        assertNotNull(t, uri);
        int i = -1;
        for (int k = 0; k <= n; k++) {
            i = t.indexOf(needle, i + 1);
            if (i < 0) fail("`" + needle + "` occurs fewer than " + (n + 1) + " times");
        }
        i += delta;
        int line = 0, ls = 0;
        for (int j = 0; j < i; j++) if (t.charAt(j) == '\n') { line++; ls = j + 1; }
        return new Position(line, i - ls);
    }

    Position at(String uri, String needle) {
        return at(uri, needle, 0, 0);
    }

    TextDocumentIdentifier id(String uri) {
        return new TextDocumentIdentifier(uri);
    }

    @Override
    public void close() throws Exception {
        try {
            if (exitStatus.get() < 0) {
                get(server.shutdown());
                server.exit();
            }
        } finally {
            // End of input ends each side's listener; nothing is interrupted mid-write.
            toServer.close();
            try {
                serverListening.get(5, TimeUnit.SECONDS);
            } catch (Exception e) {
                serverListening.cancel(true);
            }
            toClient.close();
            try {
                clientListening.get(5, TimeUnit.SECONDS);
            } catch (Exception e) {
                clientListening.cancel(true);
            }
        }
    }

    private final class Client implements LanguageClient {
        @Override
        public void telemetryEvent(Object object) {
        }

        @Override
        public void publishDiagnostics(PublishDiagnosticsParams p) {
            published.computeIfAbsent(p.getUri(), k -> new LinkedBlockingQueue<>()).add(p);
        }

        @Override
        public void showMessage(MessageParams p) {
            logs.add(p);
        }

        @Override
        public CompletableFuture<MessageActionItem> showMessageRequest(ShowMessageRequestParams p) {
            return CompletableFuture.completedFuture(null);
        }

        @Override
        public void logMessage(MessageParams p) {
            logs.add(p);
        }
    }

    /** The text with LSP edits applied (UTF-16 positions, as the protocol's default). */
    static String apply(String text, List<? extends TextEdit> edits) {
        List<TextEdit> es = new ArrayList<>(edits);
        es.sort((a, b) -> {
            int c = Integer.compare(b.getRange().getStart().getLine(), a.getRange().getStart().getLine());
            return c != 0 ? c : Integer.compare(b.getRange().getStart().getCharacter(), a.getRange().getStart().getCharacter());
        });
        StringBuilder sb = new StringBuilder(text);
        for (TextEdit e : es) sb.replace(index(text, e.getRange().getStart()), index(text, e.getRange().getEnd()), e.getNewText());
        return sb.toString();
    }

    static int index(String text, Position p) {
        int i = 0;
        for (int l = 0; l < p.getLine(); l++) {
            int nl = text.indexOf('\n', i);
            if (nl < 0) return text.length();
            i = nl + 1;
        }
        return Math.min(text.length(), i + p.getCharacter());
    }
}
