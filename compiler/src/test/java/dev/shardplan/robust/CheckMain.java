package dev.shardplan.robust;

import dev.shardplan.api.CheckResult;
import dev.shardplan.api.Compiler;
import dev.shardplan.diag.Diagnostic;

import java.nio.file.Path;
import java.util.List;

/**
 * Checks one file in a JVM of its own ({@code java -Xmx... CheckMain ROOT FILE}), printing one
 * diagnostic per line as {@code CODE message}: FindingsTest runs it with a small heap to show
 * what an input costs in memory, which a test cannot see from inside its own JVM.
 */
public final class CheckMain {
    private CheckMain() {}

    public static void main(String[] args) {
        CheckResult r = Compiler.check(Path.of(args[0]), List.of(Path.of(args[1])));
        for (Diagnostic d : r.diagnostics()) System.out.println(d.code().id() + " " + d.message());
        System.out.flush();
    }
}
