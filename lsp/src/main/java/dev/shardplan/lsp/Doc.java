package dev.shardplan.lsp;

import java.nio.file.Path;

/** An open document: its URI as the client wrote it, the file it stands for, its version and text. */
record Doc(String uri, Path path, int version, String text) {
    Doc withText(int v, String t) {
        return new Doc(uri, path, v, t);
    }
}
