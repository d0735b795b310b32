package dev.shardplan.api;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;

/**
 * A check that reuses known analyses says exactly what a fresh check says, and analyses again
 * only the plans an edit changed (or moved).
 */
class AnalysisCacheTest {
    @TempDir
    Path root;

    static final String TWO = OverlayTest.PLAN + """
            plan q {
              model llama_3_1_8b
              cluster c
              workload natural_reasoning
              parallel { tp 8 }
              engine vllm { gpu_memory_utilization 0.90 }
            }
            """;

    @Test
    void unchangedPlansAreReusedAndTheResultIsTheFreshOne() throws Exception {
        Files.writeString(root.resolve("cluster.plan"), OverlayTest.CLUSTER);
        Path f = root.resolve("p.plan");
        AnalysisCache cache = new AnalysisCache(16);

        CheckResult first = check(f, TWO, cache);
        assertEquals(List.of(0L, 2L), List.of(cache.hits(), cache.misses()));
        same(fresh(f, TWO), first);

        CheckResult again = check(f, TWO, cache);
        assertEquals(List.of(2L, 2L), List.of(cache.hits(), cache.misses()));
        assertSame(first.analyses().get("p"), again.analyses().get("p"));
        assertSame(first.analyses().get("q"), again.analyses().get("q"));
        same(fresh(f, TWO), again);

        // A value of q changes, no text moves: p is reused, q analysed again.
        String edited = TWO.replace("gpu_memory_utilization 0.90", "gpu_memory_utilization 0.85");
        CheckResult after = check(f, edited, cache);
        assertEquals(List.of(3L, 3L), List.of(cache.hits(), cache.misses()));
        assertSame(first.analyses().get("p"), after.analyses().get("p"));
        assertNotSame(first.analyses().get("q"), after.analyses().get("q"));
        same(fresh(f, edited), after);

        // A line added to p moves q's text: p (changed) and q (moved) are both analysed again.
        String moved = edited.replace("  engine vllm { }\n", "  engine vllm { }\n  emit vllm\n");
        CheckResult later = check(f, moved, cache);
        assertEquals(List.of(3L, 5L), List.of(cache.hits(), cache.misses()));
        same(fresh(f, moved), later);
    }

    private CheckResult check(Path f, String text, AnalysisCache cache) {
        return Compiler.check(root, List.of(), List.of(f), Map.of(f, text), cache);
    }

    private CheckResult fresh(Path f, String text) {
        return Compiler.check(root, List.of(), List.of(f), Map.of(f, text));
    }

    private static void same(CheckResult want, CheckResult got) {
        assertEquals(want.diagnostics().toString(), got.diagnostics().toString());
        assertEquals(want.suppressed().toString(), got.suppressed().toString());
        assertEquals(want.analyses().keySet(), got.analyses().keySet());
        for (String name : want.analyses().keySet()) {
            assertEquals(want.analyses().get(name).kv().toString(), got.analyses().get(name).kv().toString());
            assertEquals(want.analyses().get(name).memory().toString(), got.analyses().get(name).memory().toString());
        }
    }
}
