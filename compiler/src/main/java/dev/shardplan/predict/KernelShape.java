package dev.shardplan.predict;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * How much of its wide-shape roofline a GEMM of a given shape reaches, from measured kernel
 * latencies (the step-time model's kernel-shape term; docs/predictions.md, "Kernel shape"). The
 * data is {@code kernels.csv} next to this class: 567 BF16 GEMMs {@code y = x·Wᵀ} of m tokens
 * through an n × k weight, m ∈ {1, 16, 64, 256, 512, 1024, 4096}, n, k ∈ {512 … 16384}, measured on
 * one H200 SXM with vLLM 0.14's default linear kernel by NVIDIA's aiconfigurator collector
 * ({@code ai-dynamo/aiconfigurator@095f58a5:aic-core/src/aiconfigurator_core/systems/data/h200_sxm/gemm/vllm/0.14.0/gemm_perf.parquet},
 * the source on every row). For a measured call of t µs:
 *
 * <pre>
 *   B_wide = max over the table of n·k·2 / t        (the weight-read bandwidth the widest GEMMs reach: 4.28 TB/s)
 *   F_wide = max over the table of 2·m·n·k / t      (the FLOP/s they reach: 920 TFLOP/s)
 *   σ(m, n, k) = max(n·k·2 / B_wide, 2·m·n·k / F_wide) / t          (≤ 1; 1 for the widest shapes)
 * </pre>
 *
 * σ is interpolated linearly in (log m, log n, log k) between the measured points and held at the
 * grid's edges outside it (a 128,256-wide LM head is priced as a 16,384-wide one, an 8,192-token
 * prefill chunk as 4,096 tokens). A GEMM on a GPU of datasheet bandwidth HBM and FLOP/s P then
 * costs {@code max(bytes / (HBM·B_wide/HBM_H200), flops / (P·F_wide/P_H200)) / σ}: the measured
 * kernel, scaled to the GPU by its datasheet; σ carries the fixed cost of a small kernel (the
 * waves' ramp and tail, the launch under CUDA graphs) and the tile quantisation of a narrow shard.
 * An FP8 or FP4 GEMM takes the engine's fitted fp8_compute_efficiency for its FLOP/s (the table is
 * BF16). Assumed, not measured here: that the shares and σ carry over to other GPUs, to FP8 GEMMs
 * and to SGLang's and TensorRT-LLM's linear kernels.
 */
public final class KernelShape {
    private KernelShape() {}

    /** The measured grid: tokens, output features, input features. */
    static final int[] M = {1, 16, 64, 256, 512, 1024, 4096};
    static final int[] NK = {512, 1024, 2048, 4096, 5120, 7168, 8192, 12288, 16384};

    /** ln σ at [m][n][k] of the grid. */
    private static final double[][][] LOG_SIGMA = new double[M.length][NK.length][NK.length];
    /** The wide-shape bandwidth and FLOP/s of the table (B/s, FLOP/s). */
    static final double B_WIDE, F_WIDE;
    /** The measured GPU's datasheet HBM bandwidth and dense BF16 FLOP/s (the file's {@code #datasheet} line). */
    static final double DATASHEET_HBM, DATASHEET_BF16;

    static {
        double[][][] t = new double[M.length][NK.length][NK.length];
        for (double[][] a : t) for (double[] b : a) Arrays.fill(b, Double.NaN);
        double dsHbm = Double.NaN, dsBf16 = Double.NaN;
        try (InputStream in = KernelShape.class.getResourceAsStream("kernels.csv")) {
            if (in == null) throw new IllegalStateException("kernels.csv missing from the class path");
            for (String l : new String(in.readAllBytes(), StandardCharsets.UTF_8).split("\n")) {
                if (l.startsWith("#datasheet,")) {
                    String[] f = l.split(",");
                    dsHbm = Double.parseDouble(f[2]);
                    dsBf16 = Double.parseDouble(f[4]);
                }
                if (!l.startsWith("gemm,")) continue;
                String[] f = l.split(",", -1);
                int mi = Arrays.binarySearch(M, Integer.parseInt(f[1]));
                int ni = Arrays.binarySearch(NK, Integer.parseInt(f[2])), ki = Arrays.binarySearch(NK, Integer.parseInt(f[3]));
                if (mi < 0 || ni < 0 || ki < 0) throw new IllegalStateException("kernels.csv: gemm off the grid: " + l);
                t[mi][ni][ki] = Double.parseDouble(f[8]) * 1e-6;
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        double bw = 0, fl = 0;
        for (int mi = 0; mi < M.length; mi++) {
            for (int ni = 0; ni < NK.length; ni++) {
                for (int ki = 0; ki < NK.length; ki++) {
                    double s = t[mi][ni][ki];
                    if (Double.isNaN(s)) throw new IllegalStateException("kernels.csv: gemm grid point missing: m " + M[mi] + " n " + NK[ni] + " k " + NK[ki]);
                    double bytes = 2.0 * NK[ni] * NK[ki];
                    bw = Math.max(bw, bytes / s);
                    fl = Math.max(fl, bytes * M[mi] / s);
                }
            }
        }
        if (Double.isNaN(dsHbm) || Double.isNaN(dsBf16)) throw new IllegalStateException("kernels.csv: no #datasheet line");
        DATASHEET_HBM = dsHbm;
        DATASHEET_BF16 = dsBf16;
        B_WIDE = bw;
        F_WIDE = fl;
        for (int mi = 0; mi < M.length; mi++) {
            for (int ni = 0; ni < NK.length; ni++) {
                for (int ki = 0; ki < NK.length; ki++) {
                    double bytes = 2.0 * NK[ni] * NK[ki];
                    double roof = Math.max(bytes / bw, bytes * M[mi] / fl);
                    LOG_SIGMA[mi][ni][ki] = Math.log(Math.min(1.0, roof / t[mi][ni][ki]));
                }
            }
        }
    }

    /** The share of its datasheet HBM bandwidth the widest measured GEMMs' weight reads reach (0.89). */
    public static double wideHbmEfficiency() {
        return B_WIDE / DATASHEET_HBM;
    }

    /** The share of its datasheet dense BF16 FLOP/s the widest measured GEMMs reach (0.93). */
    public static double wideBf16Efficiency() {
        return F_WIDE / DATASHEET_BF16;
    }

    /** σ of an m × n × k GEMM (m tokens through an n × k weight). */
    public static double gemm(double m, double n, double k) {
        double[] row = gemmRow(n, k);
        return Math.exp(alongM(row, m));
    }

    /**
     * ln σ of an n × k GEMM at each measured token count {@link #M}, for {@link #alongM}: a
     * step-time model looks up its shapes once and interpolates in m per step.
     */
    static double[] gemmRow(double n, double k) {
        int ni = cell(NK, n), ki = cell(NK, k);
        double fn = frac(NK, ni, n), fk = frac(NK, ki, k);
        double[] out = new double[M.length];
        for (int mi = 0; mi < M.length; mi++) {
            double[][] g = LOG_SIGMA[mi];
            double a = g[ni][ki] * (1 - fk) + g[ni][ki + 1] * fk;
            double b = g[ni + 1][ki] * (1 - fk) + g[ni + 1][ki + 1] * fk;
            out[mi] = a * (1 - fn) + b * fn;
        }
        return out;
    }

    /** ln σ at m tokens, from a {@link #gemmRow}. */
    static double alongM(double[] row, double m) {
        if (m <= M[0]) return row[0];
        if (m >= M[M.length - 1]) return row[M.length - 1];
        int i = 0;
        while (M[i + 1] < m) i++;
        double f = (Math.log(m) - Math.log(M[i])) / (Math.log(M[i + 1]) - Math.log(M[i]));
        return row[i] * (1 - f) + row[i + 1] * f;
    }

    /** The grid cell [i, i + 1] that holds x (the first or last when x is outside). */
    private static int cell(int[] grid, double x) {
        int i = 0;
        while (i < grid.length - 2 && grid[i + 1] < x) i++;
        return i;
    }

    /** Where x lies in cell i, in log space, clamped to [0, 1]. */
    private static double frac(int[] grid, int i, double x) {
        if (x <= grid[i]) return 0;
        if (x >= grid[i + 1]) return 1;
        return (Math.log(x) - Math.log(grid[i])) / (Math.log(grid[i + 1]) - Math.log(grid[i]));
    }
}
