package dev.shardplan.predict;

import dev.shardplan.model.EngineKind;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Fits the TensorRT-LLM efficiency constants on the calibration runs (a main, not a test; the
 * procedure is written down in docs/calibration.md). Coordinate descent on the mean absolute
 * percentage error: each round tries every key at its value × {0.7, 0.85, 0.93, 1.07, 1.15, 1.3}
 * (clamped to the key's range) and keeps any change that lowers the error; the step factors shrink
 * toward 1 each round. Requests per run are capped at 3,000 while fitting. It starts from
 * std:efficiency's {@code trtllm} profile and prints its result as that declaration.
 *
 * <p>{@code --check}: every single-key change of the fit's finest step (factors 1 ± 0.0175..0.075)
 * from the std values, each on its own; exits 1 if one lowers the MAPE by more than 0.15 points
 * (more than rounding the fitted values to the std's digits costs), i.e. if the standard library
 * no longer holds what the fit produces.
 */
public final class CalibrationFit {
    public static void main(String[] args) {
        List<Calibration.Case> cases = CalibrationData.trtllm();
        Map<String, Double> p = new LinkedHashMap<>(Efficiency.defaults("H100", EngineKind.TRTLLM).asMap());
        p.put("reserve_gib", Calibration.TRTLLM_RESERVE / (1L << 30));
        List<String> keys = List.of("hbm_efficiency", "compute_efficiency", "attention_efficiency", "step_overhead_us",
                "layer_overhead_us", "collective_latency_us", "reserve_gib");
        double best = mape(cases, p);
        System.out.printf(Locale.ROOT, "start %.4f %s%n", best, p);
        double[] f = {0.7, 0.85, 0.93, 1.07, 1.15, 1.3};
        boolean check = args.length > 0 && args[0].equals("--check");
        int rounds = check ? 1 : args.length > 0 ? Integer.parseInt(args[0]) : 3;
        double start = best;
        double bestSingle = best;
        String bestChange = "none";
        for (int round = 0; round < rounds; round++) {
            double shrink = check ? 0.25 : Math.pow(0.5, round);
            for (String k : keys) {
                double base = p.get(k);
                for (double fac : f) {
                    double v = base * (1 + (fac - 1) * shrink);
                    if (k.endsWith("efficiency")) v = Math.min(1.0, v);
                    Map<String, Double> q = new LinkedHashMap<>(p);
                    q.put(k, v);
                    double e = mape(cases, q);
                    if (check) {
                        System.out.printf(Locale.ROOT, "  %s %.4g: %.4f%n", k, v, e);
                        if (e < bestSingle) {
                            bestSingle = e;
                            bestChange = k + " " + v;
                        }
                        continue;
                    }
                    if (e < best - 1e-6) {
                        best = e;
                        p = q;
                    }
                }
            }
            System.out.printf(Locale.ROOT, "round %d %.4f %s%n", round, best, p);
        }
        System.out.println("efficiency trtllm {\n  engine trtllm");
        for (String k : Efficiency.KEYS) System.out.printf(Locale.ROOT, "  %s %s%n", k, round(p.get(k)));
        System.out.printf(Locale.ROOT, "}%n// TRT-LLM reserve %.2f GiB (Calibration.TRTLLM_RESERVE)%n", p.get("reserve_gib"));
        if (check) {
            boolean fixed = start - bestSingle <= 0.0015;
            System.out.printf(Locale.ROOT, "std:efficiency trtllm: MAPE %.2f%%, best single change (%s) %.2f%% -> %s%n",
                    100 * start, bestChange, 100 * bestSingle, fixed ? "agrees with the fit" : "does NOT agree: refit and update std:efficiency");
            if (!fixed) System.exit(1);
        }
    }

    /** Two significant digits for fractions, the nearest 0.5 for microseconds (as std:efficiency writes them). */
    static String round(double v) {
        if (v > 0 && v <= 1) return String.format(Locale.ROOT, "%.2f", v);
        return new java.math.BigDecimal(Math.round(v * 2) / 2.0).stripTrailingZeros().toPlainString();
    }

    static double mape(List<Calibration.Case> cases, Map<String, Double> p) {
        Map<String, Double> e = new LinkedHashMap<>(p);
        double reserve = e.remove("reserve_gib") * (1L << 30);
        Efficiency eff = Efficiency.fromMap(e);
        double s = 0;
        for (Calibration.Case c : cases) {
            var r = Calibration.predict(c, CalibrationData.model(c.model()), CalibrationData.gpu(c.gpu()), eff,
                    Math.min(3000, c.requests()), reserve);
            s += Math.abs(r.error());
        }
        return s / cases.size();
    }
}
