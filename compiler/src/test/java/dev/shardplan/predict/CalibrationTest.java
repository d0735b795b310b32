package dev.shardplan.predict;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The calibration table of docs/calibration.md is what the model predicts today, and its MAPE
 * stays at or under the committed bound. {@code -Dshardplan.rewrite=true} rewrites the table.
 */
class CalibrationTest {
    /** The committed MAPE (docs/calibration.md); lowering it is progress, raising it needs a reason. */
    static final double COMMITTED_MAPE = 0.097;
    static final String BEGIN = "<!-- calibration-table:begin -->\n", END = "<!-- calibration-table:end -->";

    @Test
    void predictionsMatchPublishedThroughputWithinTheCommittedError() throws IOException {
        var report = Calibration.run(CalibrationData.trtllm(), CalibrationData::model, CalibrationData::gpu);
        assertEquals(60, report.rows().size());
        assertTrue(report.mape() <= 0.20, "goal: MAPE <= 20%, got " + report.mape());
        assertTrue(report.mape() <= COMMITTED_MAPE, "MAPE rose above the committed " + COMMITTED_MAPE + ": " + report.mape());

        Path doc = Path.of("..", "docs", "calibration.md");
        String text = Files.readString(doc, StandardCharsets.UTF_8);
        int b = text.indexOf(BEGIN), e = text.indexOf(END);
        assertTrue(b >= 0 && e > b, "docs/calibration.md lacks the table markers");
        String table = report.markdown();
        if (Boolean.getBoolean("shardplan.rewrite")) {
            Files.writeString(doc, text.substring(0, b + BEGIN.length()) + table + text.substring(e), StandardCharsets.UTF_8);
            return;
        }
        assertEquals(table, text.substring(b + BEGIN.length(), e), "docs/calibration.md is stale: rerun with -Dshardplan.rewrite=true");
    }

    @Test
    void aRankThatHoldsMoreWeightsGetsFewerBlocks() {
        // Llama-3.3-70B FP8 TP2 on H100: weights ≈ 35.3 GB/rank (linear FP8, LM head and embedding
        // BF16). KV per token per rank = 80 layers × 2 × 4 heads × 128 × 1 B = 81,920 B.
        var m = CalibrationData.model("llama_3_3_70b");
        var load = RankLoad.of(m, new dev.shardplan.model.Parallel(1, 2, 1, 1, false, java.util.List.of(), java.util.List.of()), m.kvDtype());
        assertEquals(81920.0, load.kvBytesPerToken(), 1e-9);
        long b2 = Calibration.trtllmKvBlocks(m, Catalog.h100(), 2, m.kvDtype(), Calibration.TRTLLM_RESERVE);
        long b1 = Calibration.trtllmKvBlocks(m, Catalog.h200(), 1, m.kvDtype(), Calibration.TRTLLM_RESERVE);
        // by hand: (81559 MiB − 35.3 GB − 2.9 GiB) × 0.95 / (32 × 81,920 B)
        double hand = (81559.0 * (1 << 20) - load.residentWeightBytes() - 2.9 * (1L << 30)) * 0.95 / (32 * 81920.0);
        assertEquals((long) Math.floor(hand), b2);
        assertTrue(b1 > 0);
    }
}
