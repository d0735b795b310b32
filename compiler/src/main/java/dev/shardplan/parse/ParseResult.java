package dev.shardplan.parse;

import dev.shardplan.ast.Nodes.SourceFile;
import dev.shardplan.diag.Diagnostic;

import java.util.List;

/** A parsed file (null when the file could not be parsed at all) and the syntax diagnostics. */
public record ParseResult(SourceFile file, List<Diagnostic> diagnostics) {
    public boolean ok() {
        return file != null && diagnostics.stream().noneMatch(Diagnostic::isError);
    }
}
