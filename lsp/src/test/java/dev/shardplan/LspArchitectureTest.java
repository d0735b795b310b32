package dev.shardplan;

import java.util.ArrayList;
import java.util.List;

/**
 * The compiler's architecture rules over the compiler and the language server together. The
 * server's package is the layer above api: it may use any compiler package (an editor works on
 * syntax as well as on analyses), nothing in the compiler may use it, and the cross-cutting rules
 * hold for it as for the compiler: ANTLR only through the parse stage ({@code parse.Lexemes}), and
 * no stage's entry point called except through api (the check's modules, {@code Frontend.load},
 * {@code Frontend.std}, {@code Frontend.stdDeclarations}).
 */
class LspArchitectureTest extends ArchitectureTest {
    @Override
    List<String> layers() {
        List<String> out = new ArrayList<>(LAYERS);
        out.add("lsp");
        return out;
    }

    /** The server's classes; the compiler's own are checked by ArchitectureTest in the compiler. */
    @Override
    String[] checked() {
        return new String[]{ROOT + ".lsp"};
    }
}
