package dev.shardplan.predict;

import dev.shardplan.model.EngineKind;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Fits one engine's std:efficiency constants on the fit split of the serving calibration set (a
 * main, not a test; the procedure is in docs/calibration.md): coordinate descent on the MAPE,
 * each round trying every fitted key at its value × {0.6, 0.8, 0.9, 1.1, 1.25, 1.6} (the factors
 * halving toward 1 each round; efficiencies clamped to at most 1), keeping any change that lowers
 * the error. It starts from the engine's std:efficiency profile and prints the result as that
 * declaration, with the in-sample and held-out MAPE.
 *
 * <p>Arguments: ENGINE [rounds]; {@code report} prints every row with the std constants.
 */
public final class ServingFit {
    /** The keys the fit moves; the kernel floors come from measured kernel tables and stay put. */
    static final List<String> FITTED = List.of("hbm_efficiency", "compute_efficiency", "fp8_compute_efficiency", "attention_efficiency", "moe_efficiency",
            "collective_latency_us", "step_overhead_us", "seq_overhead_us");

    public static void main(String[] args) {
        List<ServingCalibration.Case> all = ServingCalibration.load();
        if (args[0].equals("report")) {
            report(ServingCalibration.compile(args.length > 1 ? all.stream().filter(c -> c.engine().id().equals(args[1])).toList() : all));
            return;
        }
        EngineKind engine = EngineKind.valueOf(args[0].toUpperCase(Locale.ROOT));
        int rounds = args.length > 1 ? Integer.parseInt(args[1]) : 3;
        List<ServingCalibration.Compiled> fit = new ArrayList<>(), held = new ArrayList<>();
        for (var k : ServingCalibration.compile(all.stream().filter(c -> c.engine() == engine).toList())) {
            (k.c().heldOut() ? held : fit).add(k);
        }
        Map<String, Double> p = new LinkedHashMap<>(StdProfiles.defaults("H100_SXM", engine).asMap());
        double best = mape(fit, p);
        System.out.printf(Locale.ROOT, "start in-sample %.4f%n", best);
        double[] f = {0.6, 0.8, 0.9, 1.1, 1.25, 1.6};
        for (int round = 0; round < rounds; round++) {
            double shrink = Math.pow(0.5, round);
            for (String k : FITTED) {
                double base = p.get(k);
                for (double fac : f) {
                    double v = base * (1 + (fac - 1) * shrink);
                    if (k.endsWith("efficiency")) v = Math.min(1.0, v);
                    Map<String, Double> q = new LinkedHashMap<>(p);
                    q.put(k, v);
                    double e;
                    try {
                        e = mape(fit, q);
                    } catch (IllegalArgumentException x) {
                        continue;
                    }
                    if (e < best - 1e-6) {
                        best = e;
                        p = q;
                        System.out.printf(Locale.ROOT, "  %s %.4g -> %.4f%n", k, v, e);
                    }
                }
            }
            System.out.printf(Locale.ROOT, "round %d in-sample %.4f held-out %.4f%n", round, best, mape(held, p));
        }
        System.out.println("efficiency " + engine.id() + " {\n  engine " + engine.id());
        for (String k : Efficiency.KEYS) System.out.printf(Locale.ROOT, "  %s %s%n", k, round(p.get(k)));
        System.out.println("}");
    }

    static void report(List<ServingCalibration.Compiled> ks) {
        Map<EngineKind, List<ServingCalibration.Row>> by = new LinkedHashMap<>();
        for (var k : ks) {
            var r = ServingCalibration.predict(k, null);
            by.computeIfAbsent(k.c().engine(), x -> new ArrayList<>()).add(r);
            System.out.printf(Locale.ROOT, "%-10s %-7s %-22s %-9s tp%d ep%d %5d/%-5d c%-4d %-12s meas %10.2f pred %10.2f %+6.1f%%  ttft %8.1f/%8.1f%n",
                    k.c().id(), k.c().engine().id(), k.c().model(), k.c().gpu(), k.c().tp(), k.c().ep(), k.c().isl(), k.c().osl(),
                    k.c().concurrency(), k.c().metric(), k.c().measured(), r.predicted(), 100 * r.error(), k.c().ttftMs(), r.ttftMs());
        }
        by.forEach((e, rows) -> System.out.printf(Locale.ROOT, "%s: MAPE %.1f%% over %d%n", e.id(), 100 * ServingCalibration.mape(rows), rows.size()));
    }

    static double mape(List<ServingCalibration.Compiled> ks, Map<String, Double> p) {
        Efficiency eff = Efficiency.fromMap(p);
        double s = 0;
        for (var k : ks) s += Math.abs(ServingCalibration.predict(k, eff).error());
        return ks.isEmpty() ? 0 : s / ks.size();
    }

    /** Two significant digits for fractions, the nearest 0.5 for microseconds (as std:efficiency writes them). */
    static String round(double v) {
        if (v > 0 && v <= 1) return String.format(Locale.ROOT, "%.2f", v);
        return new java.math.BigDecimal(Math.round(v * 2) / 2.0).stripTrailingZeros().toPlainString();
    }
}
