package dev.shardplan.api;

import dev.shardplan.diag.Diagnostic;
import dev.shardplan.diag.Diagnostics;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** The compiler's entry points, used by the CLI and the Maven plugin. */
public final class Compiler {
    private Compiler() {}

    /** Front end and analyses over files or folders; nothing is written. */
    public static CheckResult check(Path root, List<Path> inputs) {
        FrontendResult fr = Frontend.check(root, inputs);
        List<Diagnostic> all = new ArrayList<>(fr.diagnostics());
        return new CheckResult(fr.plans(), fr.searches(), Diagnostics.sort(all), fr.sources(), fr.files(),
                fr.dependencies());
    }
}
