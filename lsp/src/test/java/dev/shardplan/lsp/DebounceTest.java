package dev.shardplan.lsp;

import org.eclipse.lsp4j.Diagnostic;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Diagnostics as you type are debounced: a burst of changes faster than the debounce interval is
 * checked once, at its last version, and what is published is that version's diagnostics.
 */
class DebounceTest {
    @TempDir
    Path ws;
    @TempDir
    Path std;

    @Test
    void aBurstOfChangesIsCheckedOnceAtItsLastVersion() throws Exception {
        Path f = ws.resolve("p.plan");
        Files.writeString(f, LspRobustnessTest.GOOD);
        // Long enough that the burst, sent back to back, always falls inside one interval.
        try (LspHarness lsp = LspHarness.start(ws, std, 1_000)) {
            String uri = lsp.open(f);
            assertEquals(List.of(1), lsp.versionsUntilCurrent(uri));
            String text = LspRobustnessTest.GOOD;
            for (String dp : List.of("dp 4", "dp 2", "dp 1", "dp 16")) {
                text = text.replaceFirst("dp \\d+", dp);
                lsp.change(uri, text);
            }
            assertEquals(5, lsp.version(uri));
            // Only the last version is checked and published: dp 16 needs 16 GPUs of the node's 8.
            assertEquals(List.of(5), lsp.versionsUntilCurrent(uri));
            List<Diagnostic> ds = lsp.lastPublished(uri);
            assertTrue(ds.stream().anyMatch(d -> d.getCode().getLeft().equals(dev.shardplan.analysis.AnalysisCodes.WORLD_EXCEEDS_CLUSTER.id())),
                    ds.toString());
        }
    }
}
