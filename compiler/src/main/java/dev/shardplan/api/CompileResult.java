package dev.shardplan.api;

import dev.shardplan.diag.Diagnostic;
import dev.shardplan.diag.Suppressed;

import java.nio.file.Path;
import java.util.List;

/**
 * The outcome of compiling: the check's result (plans, sources, dependencies), the files written
 * (sorted; empty when there were errors), every diagnostic of checking and emitting, sorted,
 * and the findings that suppressions hid.
 */
public record CompileResult(CheckResult check, List<Path> written, List<Diagnostic> diagnostics, List<Suppressed> suppressed) {
    public CompileResult {
        written = List.copyOf(written);
        diagnostics = List.copyOf(diagnostics);
        suppressed = List.copyOf(suppressed);
    }

    public boolean hasErrors() {
        return diagnostics.stream().anyMatch(Diagnostic::isError);
    }
}
