package dev.shardplan.api;

import dev.shardplan.diag.Diagnostic;

import java.nio.file.Path;
import java.util.List;

/**
 * The outcome of compiling: the check's result (plans, sources, dependencies), the files written
 * (sorted; empty when there were errors) and every diagnostic of checking and emitting, sorted.
 */
public record CompileResult(CheckResult check, List<Path> written, List<Diagnostic> diagnostics) {
    public CompileResult {
        written = List.copyOf(written);
        diagnostics = List.copyOf(diagnostics);
    }

    public boolean hasErrors() {
        return diagnostics.stream().anyMatch(Diagnostic::isError);
    }
}
