package dev.shardplan.lsp;

import org.eclipse.lsp4j.jsonrpc.Launcher;
import org.eclipse.lsp4j.launch.LSPLauncher;
import org.eclipse.lsp4j.services.LanguageClient;

import java.io.InputStream;
import java.io.OutputStream;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.IntConsumer;

/** Starts the language server on a pair of streams: stdio for editors, pipes for tests. */
public final class ShardplanLsp {
    private ShardplanLsp() {}

    private static final AtomicInteger THREADS = new AtomicInteger();

    /**
     * Threads for the protocol's reading and request handling. Daemon threads: the server's life is
     * the future {@link #start} returns, and LSP4J's default pool would keep a JVM that embeds the
     * server (a test, a benchmark) alive for a minute after the connection ends.
     */
    public static ExecutorService rpcThreads() {
        return Executors.newCachedThreadPool(r -> {
            Thread t = new Thread(r, "shardplan-lsp-rpc-" + THREADS.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
    }

    /** Connects a new server to a client on {@code in}/{@code out}; the future ends when the input closes. */
    public static Future<Void> start(InputStream in, OutputStream out, IntConsumer exit) {
        PlanLanguageServer server = new PlanLanguageServer(exit);
        Launcher<LanguageClient> launcher = new LSPLauncher.Builder<LanguageClient>()
                .setLocalService(server).setRemoteInterface(LanguageClient.class)
                .setInput(in).setOutput(out).setExecutorService(rpcThreads()).create();
        server.connect(launcher.getRemoteProxy());
        return launcher.startListening();
    }
}
