package dev.shardplan.analysis;

import com.fasterxml.jackson.databind.JsonNode;
import dev.shardplan.diag.Jsons;
import dev.shardplan.model.Plan;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ExplainReportTest {
    static final Plan P = Fixtures.simple("llama_3_1_70b", "HGX_H100", 1, "dp 2; tp 4", "vllm { gpu_memory_utilization 0.90 }", "natural_reasoning");

    @Test
    void human_report_has_rank_kv_and_communication_tables() {
        PlanAnalysis a = Analyzer.analyze(P);
        String h = ExplainReport.human(a, false);
        assertTrue(h.contains("layout: dp 2 x pp 1 x tp 4 = 8 ranks, vllm order"), h);
        assertTrue(h.contains("kv cache per replica (clamped to rank 0): 29,357 blocks x 16 = 469,712 tokens"), h);
        assertTrue(h.contains("  p95     18,300  1,144       25                 50"), h);
        assertTrue(h.contains("tp all-reduce  160"), h);
        assertFalse(h.contains("derivation"));
        String d = ExplainReport.human(a, true);
        assertTrue(d.contains("kv blocks = pool // page_size // num_layers"), d);
        assertTrue(d.contains("= 38479115714 // 16384 // 80 = 29357"), d);
        assertTrue(d.contains("[vllm v1/core/kv_cache_utils.py get_num_blocks]"), d);
    }

    @Test
    void json_report_is_canonical_and_matches_the_ir_rank_order() throws Exception {
        PlanAnalysis a = Analyzer.analyze(P);
        String j = ExplainReport.json(a, true);
        assertEquals(j, ExplainReport.json(Analyzer.analyze(P), true)); // deterministic
        JsonNode n = Jsons.MAPPER.readTree(j);
        assertEquals(8, n.get("ranks").size());
        JsonNode r5 = n.get("ranks").get(5);
        assertEquals(1, r5.get("dp").asInt());
        assertEquals(1, r5.get("tp").asInt());
        assertEquals(29357, r5.get("memory").get("kv_blocks").asLong());
        assertEquals("[[0,1,2,3],[4,5,6,7]]", n.get("groups").get("tp").toString());
        assertTrue(r5.get("memory").get("derivation").size() > 3);
        assertEquals(469712, n.get("kv").get("tokens").asLong());
    }
}
