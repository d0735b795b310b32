package dev.shardplan.api;

import dev.shardplan.diag.Diagnostic;
import dev.shardplan.model.Plan;
import dev.shardplan.model.Search;
import dev.shardplan.predict.Predictor;
import dev.shardplan.predict.SimResult;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;

import static org.junit.jupiter.api.Assertions.*;

/**
 * A search that tries the GPUs aggregated and split into prefill and decode pools, ranked by the
 * disaggregated simulation: a reasoning workload keeps the aggregated plan, a long-prompt one
 * takes a split (docs/disaggregation.md's search table, rewritten with -Dshardplan.rewrite=true),
 * and a pool winner written by --emit checks on its own.
 */
class SearchPoolsTest {
    static final Path DOC = Path.of("../docs/disaggregation.md");
    static final String BEGIN = "<!-- search-table -->", END = "<!-- /search-table -->";

    /** The page's example, as it stands there. */
    static final String SOURCE = """
            import "std:models"
            import "std:nodes"

            cluster two_h200 { nodes 2 x HGX_H200 }

            workload reasoning {
              requests 1000; arrival 2 req/s; max_length 32k tokens
              prompt lognormal(median 100, p95 400) tokens; output lognormal(median 4500, p95 17.9k) tokens
            }

            workload long_prompt {
              requests 1000; arrival 3 req/s; max_length 32k tokens
              prompt lognormal(median 8000, p95 20k) tokens; output lognormal(median 300, p95 1000) tokens
            }

            search reasoning_split {
              model llama_3_1_70b
              cluster two_h200
              workload reasoning
              engine vllm { gpu_memory_utilization 0.90; max_num_seqs 256 }
              slo { ttft p99 < 10 s }
              objective latency
              explore { tp 4; pp 1; disaggregated false, true }
            }

            search long_prompt_split {
              model llama_3_1_70b
              cluster two_h200
              workload long_prompt
              engine vllm { gpu_memory_utilization 0.90; max_num_seqs 256 }
              slo { ttft p99 < 10 s }
              objective latency
              explore { tp 4; pp 1; disaggregated false, true }
            }
            """;

    @Test
    void aSearchWeighsTheAggregatedPlanAgainstPoolSplits(@TempDir Path root) throws Exception {
        Path dir = Files.createDirectories(root.resolve("plans"));
        Files.writeString(dir.resolve("split.plan"), SOURCE, StandardCharsets.UTF_8);
        CheckResult r = Compiler.check(root, List.of(dir.resolve("split.plan")));
        assertTrue(r.diagnostics().stream().noneMatch(Diagnostic::isError), r.diagnostics().toString());
        StringBuilder table = new StringBuilder("| search | rank | candidate | output tokens/s | TTFT p99 | TPOT p50 | TTFT SLO |\n|---|---|---|---|---|---|---|\n");
        dev.shardplan.predict.Search.Result reasoning = null, longPrompt = null;
        Search longSearch = null;
        for (Search s : r.searches()) {
            var res = dev.shardplan.predict.Search.run(Predictions.space(s), Predictor.DEFAULT_SEED, Predictions.inputs(),
                    Predictions.pools(Predictor.DEFAULT_SEED), dev.shardplan.predict.Search.Options.sequential());
            // 16 GPUs in tp-4 instances: the aggregated dp 4 plan, and 4 instances split 1+3, 2+2, 3+1,
            // and 2 instances of dp 2 split 1+1.
            assertEquals(5, res.candidates(), dev.shardplan.predict.Search.human(res));
            assertEquals(5, res.ranked().size(), dev.shardplan.predict.Search.human(res));
            int rank = 1;
            for (var c : res.ranked()) {
                SimResult x = c.result();
                table.append(String.format(Locale.ROOT, "| %s | %d | %s | %.0f | %s | %s | %s |%n", s.name(), rank++, c.label(),
                        x.outputThroughput(), t(x.ttft().p99()), t(x.tpot().p50()),
                        x.ttft().p99() < 10 ? "met" : "missed"));
            }
            if (s.name().equals("reasoning_split")) reasoning = res;
            else {
                longPrompt = res;
                longSearch = s;
            }
        }
        System.out.println(table);
        // Reasoning: prefill is a sliver of the work; every split takes GPUs from decode.
        assertFalse(reasoning.winner().plan().disaggregated(), dev.shardplan.predict.Search.human(reasoning));
        // Long prompts: decode steps free of 8k-token prefill chunks; the winner is a split that meets the TTFT SLO.
        Plan w = longPrompt.winner().plan();
        assertTrue(w.disaggregated(), dev.shardplan.predict.Search.human(longPrompt));
        assertTrue(longPrompt.winner().result().ttft().p99() < 10, "the winner meets the TTFT SLO");
        var agg = longPrompt.ranked().stream().filter(c -> !c.plan().disaggregated()).findFirst().orElseThrow();
        assertTrue(longPrompt.winner().result().tpot().p50() < 0.8 * agg.result().tpot().p50(), "the split's median TPOT is well below the aggregated plan's");

        // --format json: the pool candidates carry their pools, and the document follows its schema.
        var mapper = new com.fasterxml.jackson.databind.ObjectMapper();
        var schema = com.networknt.schema.JsonSchemaFactory.getInstance(com.networknt.schema.SpecVersion.VersionFlag.V202012)
                .getSchema(mapper.readTree(Files.readString(Path.of("..", "docs", "search.schema.json"))));
        var json = mapper.readTree(dev.shardplan.diag.Jsons.canonical(dev.shardplan.predict.Search.toJson(List.of(reasoning, longPrompt))));
        assertEquals(java.util.Set.of(), schema.validate(json));
        var top = json.get("searches").get(1).get("ranked").get(0);
        assertEquals(w.disagg().prefill().replicas(), top.get("pools").get("prefill_instances").asInt(), top.toString());
        assertEquals(16, top.get("gpus").asInt(), top.toString());

        // The pool winner as a file of its own: it checks clean and reads back as the same pools.
        Path out = Files.createDirectories(root.resolve("out")).resolve("winner.plan");
        String src = SearchSource.of(root, longSearch, w, out, List.of("written by a test"));
        Files.writeString(out, src, StandardCharsets.UTF_8);
        assertTrue(src.contains("pool prefill") && src.contains("pool decode") && src.contains("kv_transfer { connector nixl }"), src);
        CheckResult back = Compiler.check(root, List.of(out));
        assertTrue(back.diagnostics().stream().noneMatch(Diagnostic::isError), back.diagnostics() + "\n" + src);
        Plan read = back.plans().get(0);
        assertEquals(w.disagg().prefill().replicas(), read.disagg().prefill().replicas(), src);
        assertEquals(w.disagg().decode().replicas(), read.disagg().decode().replicas(), src);
        assertEquals(w.parallel(), read.disagg().decode().parallel(), src);

        String doc = Files.readString(DOC, StandardCharsets.UTF_8);
        int b = doc.indexOf(BEGIN), e = doc.indexOf(END);
        assertTrue(b >= 0 && e > b, "docs/disaggregation.md has the search table markers");
        if (Boolean.getBoolean("shardplan.rewrite")) {
            Files.writeString(DOC, doc.substring(0, b) + BEGIN + "\n" + table + doc.substring(e), StandardCharsets.UTF_8);
        } else {
            assertEquals(table.toString(), doc.substring(b + BEGIN.length() + 1, e), "docs/disaggregation.md's search table is stale: rerun with -Dshardplan.rewrite=true");
        }
    }

    static String t(double s) {
        return s >= 1 ? String.format(Locale.ROOT, "%.2f s", s) : String.format(Locale.ROOT, "%.1f ms", s * 1e3);
    }
}
