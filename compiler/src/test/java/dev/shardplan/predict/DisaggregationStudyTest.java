package dev.shardplan.predict;

import dev.shardplan.analysis.Analyzer;
import dev.shardplan.analysis.Fixtures;
import dev.shardplan.analysis.PlanAnalysis;
import dev.shardplan.model.Plan;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Aggregated against disaggregated serving on the same 16 GPUs, for a reasoning workload and a
 * long-prompt one (docs/disaggregation.md's table, rewritten with -Dshardplan.rewrite=true), and
 * the mechanism the page explains, as assertions.
 */
class DisaggregationStudyTest {
    static final Path DOC = Path.of("../docs/disaggregation.md");
    static final String BEGIN = "<!-- disaggregation-table -->", END = "<!-- /disaggregation-table -->";

    static final String SETUP = "cluster two_h200 { nodes 2 x HGX_H200 }\n"
            + "workload reasoning { requests 1000; arrival 2 req/s; prompt lognormal(median 100, p95 400) tokens;"
            + " output lognormal(median 4500, p95 17.9k) tokens; max_length 32k tokens }\n"
            + "workload long_prompt { requests 1000; arrival 3 req/s; prompt lognormal(median 8000, p95 20k) tokens;"
            + " output lognormal(median 300, p95 1000) tokens; max_length 32k tokens }\n";

    static Plan plan(String workload, int prefill, int decode) {
        return Fixtures.plan(SETUP + "plan p {\n  model llama_3_1_70b\n  cluster two_h200\n  workload " + workload + "\n"
                + "  engine vllm { gpu_memory_utilization 0.90; max_num_seqs 256 }\n"
                + "  pool prefill { parallel { tp 4 }; replicas " + prefill + " }\n"
                + "  pool decode { parallel { tp 4 }; replicas " + decode + " }\n"
                + "  kv_transfer { connector nixl }\n}\n", "p");
    }

    record Row(String workload, String layout, SimResult r) {}

    @Test
    void aggregatedAgainstDisaggregatedOnTheSameGpus() throws Exception {
        List<Row> rows = new ArrayList<>();
        for (String w : List.of("reasoning", "long_prompt")) {
            DisaggregatedSimulator.Result even = run(w, 2, 2);
            rows.add(new Row(w, "aggregated: 4 x tp 4", even.aggregated()));
            rows.add(new Row(w, "disaggregated: 2 prefill + 2 decode x tp 4", even.disaggregated()));
            int p = w.equals("reasoning") ? 1 : 3;
            rows.add(new Row(w, "disaggregated: " + p + " prefill + " + (4 - p) + " decode x tp 4", run(w, p, 4 - p).disaggregated()));
        }
        String table = table(rows);
        System.out.println(table);

        SimResult rAgg = rows.get(0).r(), rDis = rows.get(2).r(), lAgg = rows.get(3).r(), lDis = rows.get(5).r();
        // Reasoning: prefill is a sliver of the work; taking a quarter of the GPUs from decode costs throughput.
        assertTrue(rDis.outputThroughput() < rAgg.outputThroughput(), "reasoning: aggregated serves more tokens per second");
        // Long prompts: prefill chunks stall every decode step of an aggregated engine; separate pools keep TPOT flat.
        assertTrue(lDis.tpot().p50() < 0.8 * lAgg.tpot().p50(), "long prompts: decode without prefill interference has a lower TPOT");

        if (Boolean.getBoolean("shardplan.rewrite")) {
            String doc = Files.readString(DOC, StandardCharsets.UTF_8);
            int b = doc.indexOf(BEGIN), e = doc.indexOf(END);
            assertTrue(b >= 0 && e > b, "docs/disaggregation.md has the table markers");
            Files.writeString(DOC, doc.substring(0, b) + BEGIN + "\n" + table + doc.substring(e), StandardCharsets.UTF_8);
        } else {
            String doc = Files.readString(DOC, StandardCharsets.UTF_8);
            int b = doc.indexOf(BEGIN), e = doc.indexOf(END);
            assertTrue(b >= 0 && e > b, "docs/disaggregation.md has the table markers");
            assertEquals(table, doc.substring(b + BEGIN.length() + 1, e), "docs/disaggregation.md's table is stale: rerun with -Dshardplan.rewrite=true");
        }
    }

    static DisaggregatedSimulator.Result run(String workload, int prefill, int decode) {
        Plan p = plan(workload, prefill, decode);
        PlanAnalysis a = Analyzer.analyze(p);
        assertNotNull(a.pools(), () -> "pools not analysed: " + a.diagnostics());
        DisaggregatedSimulator.Result r = DisaggregatedSimulator.simulate(p, a.pools(), Predictor.DEFAULT_SEED);
        assertNotNull(r);
        assertEquals(p.workload().requests(), r.disaggregated().completed());
        assertEquals(p.workload().requests(), r.aggregated().completed());
        return r;
    }

    static String table(List<Row> rows) {
        StringBuilder sb = new StringBuilder();
        sb.append("| workload | layout | output tokens/s | TTFT p50 | TTFT p99 | TPOT p50 | TPOT p99 | finish |\n");
        sb.append("|---|---|---|---|---|---|---|---|\n");
        for (Row r : rows) {
            SimResult s = r.r();
            sb.append(String.format(Locale.ROOT, "| %s | %s | %.0f | %s | %s | %.1f ms | %.1f ms | %.0f s |\n", r.workload(), r.layout(),
                    s.outputThroughput(), t(s.ttft().p50()), t(s.ttft().p99()), 1e3 * s.tpot().p50(), 1e3 * s.tpot().p99(), s.makespan()));
        }
        return sb.toString();
    }

    private static String t(double s) {
        return s < 1 ? String.format(Locale.ROOT, "%.0f ms", 1e3 * s) : String.format(Locale.ROOT, "%.2f s", s);
    }
}
