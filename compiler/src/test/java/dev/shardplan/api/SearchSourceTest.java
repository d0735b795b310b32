package dev.shardplan.api;

import dev.shardplan.diag.Diagnostic;
import dev.shardplan.format.Formatter;
import dev.shardplan.model.Plan;
import dev.shardplan.model.Search;
import dev.shardplan.predict.Predictor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** search --emit: the winner's file checks clean on its own, is fmt-clean and re-reads to the winner. */
class SearchSourceTest {
    static final String SEARCH = """
            import "std:models"
            import "std:nodes"
            import "std:workloads"

            cluster one { nodes 1 x HGX_H100 }

            search small {
              model llama_3_1_8b
              cluster one
              workload natural_reasoning
              engine vllm { version "0.19.1"; gpu_memory_utilization 0.88 }
              slo { tpot p50 < 200 ms }
              objective throughput
              explore { tp 1, 2; max_num_seqs 64, 128 }
              deploy { port 8100; namespace "inference" }
              tuning { hbm_efficiency 0.75 }
            }
            """;

    @Test
    void theWinnerRoundTrips(@TempDir Path root) throws Exception {
        Path dir = Files.createDirectories(root.resolve("plans"));
        Files.writeString(dir.resolve("s.plan"), SEARCH, StandardCharsets.UTF_8);
        CheckResult r = Compiler.check(root, List.of(dir.resolve("s.plan")));
        assertTrue(r.diagnostics().stream().noneMatch(Diagnostic::isError), r.diagnostics().toString());
        Search search = r.searches().get(0);
        var res = dev.shardplan.predict.Search.run(Predictions.space(search), Predictor.DEFAULT_SEED, Predictions.inputs());
        Plan winner = res.winner().plan();

        // written into another folder, so that the relative import is rebased
        Path out = Files.createDirectories(root.resolve("out")).resolve("winner.plan");
        String src = SearchSource.of(root, search, winner, out, List.of("written by a test", res.why()));
        Files.writeString(out, src, StandardCharsets.UTF_8);
        assertEquals(src, Formatter.format(src), "fmt-clean");
        assertTrue(src.contains("import \"../plans/s.plan\""), src);
        assertTrue(src.contains("slo { tpot p50 < 200 ms }") && src.contains("deploy { port 8100; namespace \"inference\" }")
                && src.contains("tuning { hbm_efficiency 0.75 }"), src);

        CheckResult back = Compiler.check(root, List.of(out));
        assertTrue(back.diagnostics().stream().noneMatch(Diagnostic::isError), back.diagnostics() + "\n" + src);
        assertEquals(1, back.plans().size(), src);
        Plan p = back.plans().get(0);
        assertEquals("small_best", p.name());
        assertEquals(winner.model(), p.model());
        assertEquals(winner.cluster(), p.cluster());
        assertEquals(winner.workload(), p.workload());
        assertEquals(winner.parallel(), p.parallel());
        assertEquals(winner.engine(), p.engine());
        assertEquals(slos(winner), slos(p));
        assertEquals(search.deploy(), p.deploy());   // candidates are simulated without it; the file keeps the search's
        assertEquals(winner.tuning(), p.tuning());
        // and the search's choice is really in the file: the explored max_num_seqs is set
        assertTrue(p.engine().has("max_num_seqs"), src);
        assertNotEquals(search.engine(), p.engine());
    }

    static List<String> slos(Plan p) {
        return p.slos().stream().map(x -> x.metric() + " " + x.percentile() + " " + x.op() + " " + x.bound()).toList();
    }

    @Test
    void aNameTakenInTheSearchFileIsNotReused(@TempDir Path root) throws Exception {
        Files.writeString(root.resolve("s.plan"), SEARCH + """

                plan small_best { model llama_3_1_8b; cluster one; workload natural_reasoning; parallel { tp 1 }; engine vllm { } }
                """, StandardCharsets.UTF_8);
        CheckResult r = Compiler.check(root, List.of(root.resolve("s.plan")));
        Search search = r.searches().get(0);
        var res = dev.shardplan.predict.Search.run(Predictions.space(search), Predictor.DEFAULT_SEED, Predictions.inputs());
        Path out = root.resolve("w.plan");
        String src = SearchSource.of(root, search, res.winner().plan(), out, List.of());
        assertTrue(src.contains("plan small_best2 {"), src);
        Files.writeString(out, src, StandardCharsets.UTF_8);
        CheckResult back = Compiler.check(root, List.of(out));
        assertTrue(back.diagnostics().stream().noneMatch(Diagnostic::isError), back.diagnostics() + "\n" + src);
    }
}
