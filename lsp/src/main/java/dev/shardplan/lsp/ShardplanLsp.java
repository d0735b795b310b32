package dev.shardplan.lsp;

import org.eclipse.lsp4j.jsonrpc.Launcher;
import org.eclipse.lsp4j.launch.LSPLauncher;
import org.eclipse.lsp4j.services.LanguageClient;

import java.io.InputStream;
import java.io.OutputStream;
import java.util.concurrent.Future;
import java.util.function.IntConsumer;

/** Starts the language server on a pair of streams: stdio for editors, pipes for tests. */
public final class ShardplanLsp {
    private ShardplanLsp() {}

    /** Connects a new server to a client on {@code in}/{@code out}; the future ends when the input closes. */
    public static Future<Void> start(InputStream in, OutputStream out, IntConsumer exit) {
        PlanLanguageServer server = new PlanLanguageServer(exit);
        Launcher<LanguageClient> launcher = LSPLauncher.createServerLauncher(server, in, out);
        server.connect(launcher.getRemoteProxy());
        return launcher.startListening();
    }
}
