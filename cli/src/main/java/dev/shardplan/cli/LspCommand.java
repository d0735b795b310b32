package dev.shardplan.cli;

import dev.shardplan.lsp.ShardplanLsp;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.FileDescriptor;
import java.io.FileInputStream;
import java.io.FileOutputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;

/** {@code shardplan lsp}: the language server, speaking LSP over stdin and stdout. */
@Command(name = "lsp", mixinStandardHelpOptions = true,
        header = "Run the language server for editors (LSP over stdin and stdout).",
        description = "Speaks the Language Server Protocol on stdin and stdout until the editor sends exit or closes the "
                + "input: diagnostics as you type, hover with each plan's memory, KV capacity and step time, go to "
                + "definition and references into the standard library, completion, formatting and quick fixes. Editors "
                + "start it themselves; docs/editor.md has the set-up for VS Code, Neovim and IntelliJ.",
        footer = {"", "Exit status: 0 after shutdown and exit, 1 when the editor exits without shutdown or closes the input."})
final class LspCommand implements Callable<Integer> {
    @Option(names = "--stdio", description = "accepted for editors that pass it; stdio is the only transport")
    boolean stdio;

    @Override
    public Integer call() throws Exception {
        // The raw descriptors: System.out may be wrapped, and nothing but protocol may reach stdout.
        InputStream in = new FileInputStream(FileDescriptor.in);
        OutputStream out = new FileOutputStream(FileDescriptor.out);
        System.setOut(System.err);
        try {
            ShardplanLsp.start(in, out, status -> {
                System.err.flush();
                System.exit(status);
            }).get();
        } catch (ExecutionException e) {
            // The input ended without exit.
        }
        return Main.ERRORS;
    }
}
