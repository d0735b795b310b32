package dev.shardplan.predict;

import dev.shardplan.model.EngineKind;
import org.junit.jupiter.api.Test;

import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class EfficiencyTest {
    @Test
    void tuningOverridesOneKeyAndLeavesMemoryKeysToTheAnalysis() {
        Efficiency d = StdProfiles.defaults("H200_SXM", EngineKind.VLLM);
        Efficiency t = d.with(Map.of("hbm_efficiency", 0.8, "activation_reserve_gib", 2.0, "network_share", 0.5));
        assertEquals(0.8, t.hbmEfficiency());
        assertEquals(d.computeEfficiency(), t.computeEfficiency());
        // the defaults are the std:efficiency profile of the engine (each engine its own)
        assertEquals(dev.shardplan.resolve.StdLibrary.efficiency("H200_SXM", EngineKind.VLLM).values().get("step_overhead_us"), d.stepOverheadUs());
        assertEquals(dev.shardplan.resolve.StdLibrary.efficiency("H100_SXM", EngineKind.TRTLLM).values().get("step_overhead_us"),
                StdProfiles.defaults("H100_SXM", EngineKind.TRTLLM).stepOverheadUs());
        assertThrows(IllegalArgumentException.class, () -> d.with(Map.of("hbm_eficiency", 0.8)));
        assertThrows(IllegalArgumentException.class, () -> d.with(Map.of("hbm_efficiency", 1.5)));
        assertEquals(d, Efficiency.fromMap(d.asMap()));
    }

    @Test
    void expectedDistinctExpertsFollowTheOccupancyFormula() {
        // Qwen3-235B, TP8 without EP: E = 128, k = 8; one token touches 8 experts,
        // 16 tokens 128·(1 − (120/128)^16) = 82.2
        var load = RankLoad.of(Catalog.qwen3_235b(null, dev.shardplan.model.DType.BF16),
                new dev.shardplan.model.Parallel(1, 8, 1, 1, false, java.util.List.of(), java.util.List.of()),
                dev.shardplan.model.DType.BF16);
        assertEquals(8.0, load.activeExperts(1), 1e-9);
        assertEquals(128 * (1 - Math.pow(120.0 / 128, 16)), load.activeExperts(16), 1e-9);
    }
}
