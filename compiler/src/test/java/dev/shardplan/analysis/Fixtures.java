package dev.shardplan.analysis;

import dev.shardplan.api.Frontend;
import dev.shardplan.api.FrontendResult;
import dev.shardplan.diag.Diagnostic;
import dev.shardplan.model.Plan;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Collectors;

/** Compiles .plan source text (with the standard library) into plans, for end-to-end analysis tests. */
public final class Fixtures {
    private Fixtures() {}

    public static final String STD = "import \"std:nodes\"\nimport \"std:models\"\nimport \"std:workloads\"\n";

    /** All plans of a source text; fails when the front end reports errors. */
    public static List<Plan> plans(String source) {
        try {
            Path dir = Files.createTempDirectory("shardplan-analysis");
            Path f = dir.resolve("test.plan");
            Files.writeString(f, source);
            FrontendResult r = Frontend.check(dir, List.of(f));
            List<Diagnostic> errors = r.diagnostics().stream().filter(Diagnostic::isError).collect(Collectors.toList());
            if (!errors.isEmpty()) throw new AssertionError("front end errors: " + errors);
            try (var s = Files.walk(dir)) {
                s.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
            return r.plans();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The one plan named {@code name} in a source text (std imports prepended). */
    public static Plan plan(String body, String name) {
        for (Plan p : plans(STD + body)) if (p.name().equals(name)) return p;
        throw new AssertionError("no plan " + name);
    }

    /** A plan `p` of a model on a cluster of `nodes` x `node`, with parallel and engine bodies. */
    public static Plan simple(String model, String node, int nodes, String parallel, String engine, String workload) {
        return plan("cluster c { nodes " + nodes + " x " + node + " }\n"
                + "plan p {\n  model " + model + "\n  cluster c\n  workload " + workload + "\n  parallel { " + parallel + " }\n"
                + "  engine " + engine + "\n}\n", "p");
    }
}
