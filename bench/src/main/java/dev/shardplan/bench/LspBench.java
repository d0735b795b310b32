package dev.shardplan.bench;

import dev.shardplan.lsp.ShardplanLsp;
import org.eclipse.lsp4j.*;
import org.eclipse.lsp4j.jsonrpc.Launcher;
import org.eclipse.lsp4j.launch.LSPLauncher;
import org.eclipse.lsp4j.services.LanguageClient;
import org.eclipse.lsp4j.services.LanguageServer;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

import java.io.OutputStream;
import java.nio.channels.Channels;
import java.nio.channels.Pipe;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Future;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * The language server (issue 18): from a client's {@code didChange} to the diagnostics of that
 * version, over LSP4J's JSON-RPC on in-process pipes: the debounce, the check of the open text
 * (the front end over the whole file, the analyses of the plans the change made new) and the
 * protocol both ways. Each operation gives the first plan's {@code gpu_memory_utilization} a value
 * it has not had in the last 1000 operations (0.90000 to 0.90999: one length, so no other plan's text
 * moves), so that plan is analysed afresh every time, as when typing, and the others are reused.
 * {@code large} is qwen32b.plan's two plans repeated as 40 (407 lines).
 */
@State(Scope.Benchmark)
public class LspBench {
    @Param({"llama8b.plan", "qwen32b.plan", "deepseek_r1.plan", "large"})
    public String file;

    /** 50 is the server's default; 0 times the check and the protocol alone. */
    @Param({"50", "0"})
    public long debounceMs;

    Path dir;
    LanguageServer server;
    OutputStream toServer, toClient;
    Future<Void> serverDone, clientDone;
    final BlockingQueue<PublishDiagnosticsParams> published = new LinkedBlockingQueue<>();
    String uri;
    String text;
    int version = 1;

    private static final String SETTING = "gpu_memory_utilization ";

    @Setup(Level.Trial)
    public void setUp() throws Exception {
        dir = Inputs.unpack();
        Path plans = dir.resolve("plans");
        Path f;
        if (file.equals("large")) {
            String q = Files.readString(plans.resolve("qwen32b.plan"));
            StringBuilder big = new StringBuilder(q);
            String body = q.substring(q.indexOf("\nplan ") + 1);
            for (int i = 1; i < 20; i++) {
                big.append('\n').append(body.replace("plan qwen32b_dp8", "plan qwen32b_dp8_" + i).replace("plan qwen32b_tp8", "plan qwen32b_tp8_" + i));
            }
            f = plans.resolve("large.plan");
            Files.writeString(f, big.toString());
        } else {
            f = plans.resolve(file);
        }
        Inputs.clean(plans, List.of(f));
        String text = Files.readString(f);
        if (!text.contains(SETTING + "0.90")) throw new IllegalStateException(file + " sets no gpu_memory_utilization 0.90 to change");
        this.text = text;

        Pipe a = Pipe.open(), b = Pipe.open();
        toServer = Channels.newOutputStream(a.sink());
        toClient = Channels.newOutputStream(b.sink());
        serverDone = ShardplanLsp.start(Channels.newInputStream(a.source()), toClient, status -> {});
        Launcher<LanguageServer> l = LSPLauncher.createClientLauncher(new Client(), Channels.newInputStream(b.source()), toServer,
                ShardplanLsp.rpcThreads(), null);
        server = l.getRemoteProxy();
        clientDone = l.startListening();
        InitializeParams p = new InitializeParams();
        p.setWorkspaceFolders(List.of(new WorkspaceFolder(plans.toUri().toString(), "plans")));
        com.google.gson.JsonObject o = new com.google.gson.JsonObject();
        o.addProperty("debounceMs", debounceMs);
        o.addProperty("stdCacheDir", dir.resolve("std").toString());
        p.setInitializationOptions(o);
        server.initialize(p).get(60, TimeUnit.SECONDS);
        server.initialized(new InitializedParams());
        uri = f.toUri().toString();
        server.getTextDocumentService().didOpen(new DidOpenTextDocumentParams(new TextDocumentItem(uri, "shardplan", version, text)));
        await(version);
    }

    @TearDown(Level.Trial)
    public void tearDown() throws Exception {
        server.shutdown().get(60, TimeUnit.SECONDS);
        server.exit();
        toServer.close();
        serverDone.get(10, TimeUnit.SECONDS);
        toClient.close();
        clientDone.get(10, TimeUnit.SECONDS);
        Inputs.delete(dir);
    }

    @Benchmark
    public Object didChangeToDiagnostics() throws Exception {
        version++;
        server.getTextDocumentService().didChange(new DidChangeTextDocumentParams(new VersionedTextDocumentIdentifier(uri, version),
                List.of(new TextDocumentContentChangeEvent(text.replaceFirst(SETTING + "0.90", SETTING + String.format("0.90%03d", version % 1000))))));
        return await(version);
    }

    private List<Diagnostic> await(int v) throws InterruptedException {
        while (true) {
            PublishDiagnosticsParams p = published.poll(60, TimeUnit.SECONDS);
            if (p == null) throw new IllegalStateException("no diagnostics for version " + v + " of " + file);
            if (p.getVersion() != null && p.getVersion() >= v) {
                for (Diagnostic d : p.getDiagnostics()) {
                    if (d.getSeverity() == DiagnosticSeverity.Error) throw new IllegalStateException(file + ": " + d.getMessage());
                }
                return p.getDiagnostics();
            }
        }
    }

    private final class Client implements LanguageClient {
        @Override
        public void telemetryEvent(Object object) {
        }

        @Override
        public void publishDiagnostics(PublishDiagnosticsParams p) {
            published.add(p);
        }

        @Override
        public void showMessage(MessageParams p) {
        }

        @Override
        public CompletableFuture<MessageActionItem> showMessageRequest(ShowMessageRequestParams p) {
            return CompletableFuture.completedFuture(null);
        }

        @Override
        public void logMessage(MessageParams p) {
        }
    }
}
