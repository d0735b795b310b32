package dev.shardplan.predict;

import dev.shardplan.model.DType;
import dev.shardplan.model.EngineKind;
import dev.shardplan.model.Gpu;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The step-time model's kernel terms against measured kernel latencies of one H200 with vLLM 0.14
 * (calibration/kernels.csv, from aiconfigurator's per-op tables; issue 12 item 1, kernel shape): a
 * BF16 GEMM of m tokens through an n × k shard, a decode attention call of m sequences with
 * heads / kv_heads per GPU over a context, a custom all-reduce of n elements over 2, 4 or 8 GPUs.
 * Each is predicted with std:efficiency's vLLM constants exactly as {@link RooflineStepTime} and
 * the collective schedule cost them:
 *
 * <pre>
 *   gemm      = gemm_floor + max(n·k·2 / (hbm·e_hbm), 2·m·n·k / (peak_bf16·e_compute))
 *   attention = attention_floor + max(m·kv_heads·context·128·2·2 / (hbm·e_hbm·e_attn), 4·heads·128·context·m / (peak_bf16·e_compute))
 *   allreduce = collective_latency + 2(g − 1)/g · n·2 / (link·e_link)          (ring; the device graph's path latency left out)
 * </pre>
 *
 * None of these rows is in the serving fit; they test whether the fitted constants describe the
 * kernels as the shard's shape changes (narrow TP shards, small batches, short contexts). The test
 * fails if a family's MAPE rises above today's level and rewrites the table of docs/calibration.md
 * ({@code -Dshardplan.rewrite=true}).
 */
class KernelShapeTest {
    static final String BEGIN = "<!-- kernel-table:begin -->\n", END = "<!-- kernel-table:end -->";
    static final Path DOC = ServingCalibrationTest.DOC;

    /** Today's MAPE per (family, regime), a little above the measured level: a change that makes a term worse fails. */
    static final Map<String, Double> LEVEL = Map.of(
            "gemm, m ≤ 64 (weight reads)", 0.17,
            "gemm, m = 256, 512", 0.30,
            "gemm, m ≥ 1024 (FLOPs)", 0.42,
            "attention, batch ≤ 8", 0.29,
            "attention, batch ≥ 32", 0.16,
            "allreduce, ≤ 64 KiB", 1.30,
            "allreduce, > 64 KiB", 0.45);

    record Row(String kernel, int m, long n, long k, int heads, int kvHeads, long context, int gpus, double latencyUs) {}

    static List<Row> load() throws IOException {
        List<Row> out = new ArrayList<>();
        try (InputStream in = KernelShapeTest.class.getResourceAsStream("/calibration/kernels.csv")) {
            String[] lines = new String(in.readAllBytes(), StandardCharsets.UTF_8).split("\n");
            for (String l : lines) {
                if (l.startsWith("#") || l.startsWith("kernel,") || l.isBlank()) continue;
                String[] f = l.split(",", -1);
                out.add(new Row(f[0], i(f[1]), l(f[2]), l(f[3]), i(f[4]), i(f[5]), l(f[6]), i(f[7]), Double.parseDouble(f[8])));
            }
        }
        return out;
    }

    private static int i(String s) { return s.isEmpty() ? 0 : Integer.parseInt(s); }

    private static long l(String s) { return s.isEmpty() ? 0 : Long.parseLong(s); }

    /** The model's latency of one measured call, µs. */
    static double predictUs(Row r, Efficiency e, Gpu g) {
        double hbm = g.hbmBandwidth() * e.hbmEfficiency(), peak = g.flopsFor(DType.BF16) * e.computeEfficiency();
        return switch (r.kernel()) {
            case "gemm" -> e.gemmFloorUs() + 1e6 * Math.max(r.n() * r.k() * 2.0 / hbm, 2.0 * r.m() * r.n() * r.k() / peak);
            case "attention" -> e.attentionFloorUs() + 1e6 * Math.max(
                    (double) r.m() * r.kvHeads() * r.context() * 128 * 2 * 2 / (hbm * e.attentionEfficiency()),
                    4.0 * r.heads() * 128 * r.context() * r.m() / peak);
            case "allreduce" -> e.collectiveLatencyUs() + 1e6 * 2.0 * (r.gpus() - 1) / r.gpus() * r.n() * 2.0
                    / (g.linkBandwidth() * e.linkEfficiency());
            default -> throw new IllegalArgumentException(r.kernel());
        };
    }

    static String regime(Row r) {
        return switch (r.kernel()) {
            case "gemm" -> r.m() <= 64 ? "gemm, m ≤ 64 (weight reads)" : r.m() <= 512 ? "gemm, m = 256, 512" : "gemm, m ≥ 1024 (FLOPs)";
            case "attention" -> r.m() <= 8 ? "attention, batch ≤ 8" : "attention, batch ≥ 32";
            default -> r.n() * 2 <= 65536 ? "allreduce, ≤ 64 KiB" : "allreduce, > 64 KiB";
        };
    }

    @Test
    void theKernelTermsAgainstMeasuredKernelLatencies() throws IOException {
        Efficiency e = StdProfiles.defaults("H200_SXM", EngineKind.VLLM);
        Gpu g = Catalog.h200();
        Map<String, List<double[]>> by = new LinkedHashMap<>();
        for (String k : List.of("gemm, m ≤ 64 (weight reads)", "gemm, m = 256, 512", "gemm, m ≥ 1024 (FLOPs)", "attention, batch ≤ 8",
                "attention, batch ≥ 32", "allreduce, ≤ 64 KiB", "allreduce, > 64 KiB")) by.put(k, new ArrayList<>());
        List<Row> rows = load();
        assertTrue(rows.size() > 600, "rows: " + rows.size());
        for (Row r : rows) by.get(regime(r)).add(new double[]{r.latencyUs(), predictUs(r, e, g)});
        StringBuilder md = new StringBuilder("| kernel, regime | calls | MAPE | bias (mean predicted / measured − 1) | worst |\n|---|---|---|---|---|\n");
        List<String> worse = new ArrayList<>();
        for (var en : by.entrySet()) {
            double abs = 0, bias = 0, worst = 0;
            for (double[] x : en.getValue()) {
                double err = x[1] / x[0] - 1;
                abs += Math.abs(err);
                bias += err;
                if (Math.abs(err) > Math.abs(worst)) worst = err;
            }
            int n = en.getValue().size();
            double mape = abs / n;
            md.append(String.format(Locale.ROOT, "| %s | %d | %.1f%% | %+.1f%% | %+.0f%% |%n", en.getKey(), n, 100 * mape, 100 * bias / n, 100 * worst));
            if (mape > LEVEL.get(en.getKey())) worse.add(en.getKey() + String.format(Locale.ROOT, " %.1f%% > %.0f%%", 100 * mape, 100 * LEVEL.get(en.getKey())));
        }
        md.append(shapeLines(rows, e, g));
        assertTrue(worse.isEmpty(), "kernel terms got worse against the measured kernels: " + worse);
        String text = Files.readString(DOC, StandardCharsets.UTF_8);
        int b = text.indexOf(BEGIN), end = text.indexOf(END);
        assertTrue(b >= 0 && end > b, "docs/calibration.md lacks the kernel-table markers");
        if (Boolean.getBoolean("shardplan.rewrite")) {
            Files.writeString(DOC, text.substring(0, b + BEGIN.length()) + md + text.substring(end), StandardCharsets.UTF_8);
            return;
        }
        assertEquals(md.toString(), text.substring(b + BEGIN.length(), end), "docs/calibration.md is stale: rerun with -Dshardplan.rewrite=true");
    }

    /**
     * What the shape does to DP against TP, measured and predicted: a layer's four GEMMs of a
     * 5120-wide dense model (DeepSeek-R1-Distill-Qwen-14B's shapes rounded to the measured grid:
     * qkv 7168 × 5120, o 5120 × 5120, gate_up 16384 × 5120 (27,648 wide in the model), down 5120 ×
     * 16384) on one GPU at 64 tokens (a DP8 replica's share of 512) against TP8's eighth shards at
     * 512 tokens; and one decode attention call of 64 sequences with 32 query / 8 KV heads against
     * 512 sequences with 4 / 1 (the same KV bytes), at 1,024 tokens of context (the longest both were measured at).
     */
    static String shapeLines(List<Row> rows, Efficiency e, Gpu g) {
        long[][] dp = {{7168, 5120}, {5120, 5120}, {16384, 5120}, {5120, 16384}};
        long[][] tp = {{1024, 5120}, {5120, 512}, {2048, 5120}, {5120, 2048}};
        double[] dpT = gemms(rows, dp, 64, e, g), tpT = gemms(rows, tp, 512, e, g);
        Row aDp = find(rows, "attention", 64, 0, 0, 32, 8, 1024), aTp = find(rows, "attention", 512, 0, 0, 4, 1, 1024);
        StringBuilder s = new StringBuilder();
        s.append(String.format(Locale.ROOT, "%nOne layer's GEMMs, DP8 replica (64 tokens, full shapes) against TP8 (512 tokens, eighth shards): "
                        + "measured %.1f µs vs %.1f µs (TP8 %.2f× faster per step), predicted %.1f vs %.1f µs (%.2f×).",
                dpT[0], tpT[0], dpT[0] / tpT[0], dpT[1], tpT[1], dpT[1] / tpT[1]));
        if (aDp != null && aTp != null) {
            s.append(String.format(Locale.ROOT, " Decode attention, the same KV bytes as 64 sequences × 8 KV heads against 512 × 1 "
                            + "at 1,024 tokens: measured %.1f vs %.1f µs, predicted %.1f vs %.1f µs.%n",
                    aDp.latencyUs(), aTp.latencyUs(), predictUs(aDp, e, g), predictUs(aTp, e, g)));
        } else s.append('\n');
        return s.toString();
    }

    private static double[] gemms(List<Row> rows, long[][] shapes, int m, Efficiency e, Gpu g) {
        double meas = 0, pred = 0;
        for (long[] nk : shapes) {
            Row r = find(rows, "gemm", m, nk[0], nk[1], 0, 0, 0);
            if (r == null) throw new AssertionError("no measured gemm " + m + " x " + nk[0] + " x " + nk[1]);
            meas += r.latencyUs();
            pred += predictUs(r, e, g);
        }
        return new double[]{meas, pred};
    }

    private static Row find(List<Row> rows, String kernel, int m, long n, long k, int heads, int kv, long ctx) {
        for (Row r : rows) {
            if (r.kernel().equals(kernel) && r.m() == m && r.n() == n && r.k() == k && r.heads() == heads && r.kvHeads() == kv && r.context() == ctx) return r;
        }
        return null;
    }
}
