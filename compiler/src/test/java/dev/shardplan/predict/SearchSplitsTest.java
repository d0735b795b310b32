package dev.shardplan.predict;

import dev.shardplan.model.DType;
import dev.shardplan.model.Plan;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

/** The pool candidates a search enumerates: instance layouts of one size, split into prefill and decode pools. */
class SearchSplitsTest {
    static SearchSpace space(List<Boolean> disaggregated, List<Integer> prefill) {
        var w = Study.reasoning(200);
        return new SearchSpace("r8b", Study.distill8b(), Study.hgxH200(), w, Study.vllm(256), List.of(), SearchSpace.Objective.THROUGHPUT,
                8, true, List.of(), List.of(), List.of(1), List.of(), List.of(), List.of(DType.BF16), Map.of(), dev.shardplan.diag.Span.NONE,
                List.of(), List.of(), StdProfiles.profile("H200_SXM", dev.shardplan.model.EngineKind.VLLM), disaggregated, prefill);
    }

    @Test
    void poolCandidatesSplitInstancesOfOneLayout() {
        // 8 GPUs, pp 1. Aggregated: dp x tp = 8 in 4 ways. Pools: instances of 1 GPU (8 of them, 7
        // splits), 2 GPUs (dp2 tp1, dp1 tp2: 4 instances, 3 splits each), 4 GPUs (3 layouts, 1 split).
        List<Plan> both = Search.enumerate(space(List.of(false, true), List.of()));
        long pooled = both.stream().filter(Plan::disaggregated).count();
        assertEquals(4, both.size() - pooled);
        assertEquals(7 + 2 * 3 + 3, pooled);
        for (Plan p : both) {
            if (!p.disaggregated()) continue;
            assertEquals(8, Search.gpus(p), p.name());
            assertEquals(p.disagg().prefill().parallel(), p.disagg().decode().parallel(), "one layout in both pools");
            assertEquals("nixl", p.disagg().connector());
        }
        assertTrue(both.stream().anyMatch(p -> p.name().equals("r8b_pd1p3d_dp1_tp2_pp1_seqsdefault_bf16")),
                both.stream().map(Plan::name).toList().toString());
        // Pools only, and only the splits asked for: 1 and 4 of 8 one-GPU instances, 1 of 4 (2 layouts),
        // 1 of 2 (3 layouts); 4 of 4 or of 2 would leave no decode instance.
        List<Plan> some = Search.enumerate(space(List.of(true), List.of(1, 4)));
        assertTrue(some.stream().allMatch(Plan::disaggregated));
        assertEquals(2 + 2 + 3, some.size(), some.stream().map(Plan::name).toList().toString());
        // Without the knob a space is aggregated only, as before.
        assertEquals(4, Search.enumerate(space(List.of(), List.of())).size());
    }

    @Test
    void manyInstancesGetFifteenSplits() {
        SearchSpace s = space(List.of(true), List.of());
        assertEquals(List.of(1, 2, 3), Search.splits(s, 4));
        assertEquals(15, Search.splits(s, 16).size());
        // 100 instances: round(100 k / 16), k = 1..15
        assertEquals(List.of(6, 13, 19, 25, 31, 38, 44, 50, 56, 63, 69, 75, 81, 88, 94), Search.splits(s, 100));
    }
}
