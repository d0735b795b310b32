package dev.shardplan.engine;

import dev.shardplan.model.DType;
import dev.shardplan.model.Model;

/**
 * Bytes one token's hidden state takes on the wire in an expert-parallel all-to-all: to each of
 * its experts in the dispatch, and back in the combine; {@code why} says which kernels send what.
 */
public record EpMessage(double dispatch, double combine, String why) {
    /** Hidden states in BF16 both ways: the engines' default all-to-all paths, FP8 checkpoints included. */
    public static EpMessage bf16(Model m) {
        return new EpMessage(2.0 * m.hidden(), 2.0 * m.hidden(), "hidden x 2 B (bf16) each way");
    }

    /**
     * DeepEP's FP8 dispatch of a checkpoint with 128 x 128 FP8 blocks: the token in e4m3 with one
     * fp32 scale per 128 channels, hidden + hidden / 128 x 4 B; the combine returns bf16. The
     * low-latency kernels' 16-byte control header per message is not counted (0.2% for hidden 7,168).
     */
    static EpMessage deepEpFp8(Model m, String source) {
        long h = m.hidden();
        return new EpMessage(h + h / 128 * 4.0, 2.0 * h, "dispatch hidden + hidden/128 x 4 B (fp8 with per-128 scales), combine hidden x 2 B (" + source + ")");
    }

    /** Whether the model's routed experts are FP8 with 128 x 128 scale blocks, the case DeepEP dispatches in FP8. */
    static boolean fp8Blocks(Model m) {
        var q = m.quant();
        return q != null && q.weights() == DType.FP8 && q.blockSize() == 128 && q.covers("experts", m.dtype());
    }
}
