package dev.shardplan.api;

import dev.shardplan.diag.Codes;
import dev.shardplan.diag.Diagnostic;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** An editor checks unsaved text: the overlay wins over the disk, with the disk's limits. */
class OverlayTest {
    @TempDir
    Path root;

    static final String CLUSTER = "import \"std:nodes\"\ncluster c { nodes 1 x HGX_H100 }\n";
    static final String PLAN = """
            import "std:models"
            import "std:workloads"
            import "cluster.plan"
            plan p {
              model llama_3_1_8b
              cluster c
              workload natural_reasoning
              parallel { dp 8 }
              engine vllm { }
            }
            """;

    @Test
    void unsavedTextIsCheckedInsteadOfTheFileOnDisk() throws Exception {
        Files.writeString(root.resolve("cluster.plan"), CLUSTER);
        Path plan = root.resolve("p.plan");
        Files.writeString(plan, "this does not parse {{{");
        CheckResult r = Compiler.check(root, List.of(), List.of(plan), Map.of(plan, PLAN));
        assertFalse(r.hasErrors(), r.diagnostics().toString());
        assertEquals(List.of("p"), r.declaredPlans());
        assertEquals(List.of("p.plan"), List.copyOf(r.dependencies().keySet()));
        assertTrue(r.dependencies().get("p.plan").contains("cluster.plan"));
    }

    @Test
    void anImportOnlyInTheOverlayIsFound() {
        // Neither file exists on disk: a new, unsaved pair of buffers.
        Path plan = root.resolve("p.plan");
        CheckResult r = Compiler.check(root, List.of(), List.of(plan),
                Map.of(plan, PLAN, root.resolve("cluster.plan"), CLUSTER));
        assertFalse(r.hasErrors(), r.diagnostics().toString());
        assertEquals(1, r.plans().size());
    }

    @Test
    void overlayTextIsHeldToTheFileLimits() {
        Path plan = root.resolve("p.plan");
        List<Diagnostic> nul = Compiler.check(root, List.of(), List.of(plan), Map.of(plan, "plan p {\0}")).diagnostics();
        assertEquals(List.of(Codes.BAD_ENCODING), nul.stream().map(Diagnostic::code).toList());
        String huge = "// " + "x".repeat((int) dev.shardplan.resolve.Loader.MAX_FILE_BYTES) + "\n";
        List<Diagnostic> big = Compiler.check(root, List.of(), List.of(plan), Map.of(plan, huge)).diagnostics();
        assertEquals(List.of(Codes.FILE_TOO_LARGE), big.stream().map(Diagnostic::code).toList());
    }

    @Test
    void stdSourcesAreTheTextTheLoaderParses() {
        for (String id : dev.shardplan.resolve.Loader.stdModules()) {
            String name = id.substring("std:".length());
            String text = dev.shardplan.resolve.Loader.stdSource(name);
            assertTrue(text != null && text.contains("\n"), id);
        }
        assertEquals(null, dev.shardplan.resolve.Loader.stdSource("nope"));
    }
}
