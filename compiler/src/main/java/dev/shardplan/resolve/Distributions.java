package dev.shardplan.resolve;

import dev.shardplan.units.Fmt;
import dev.shardplan.ast.Nodes.*;
import dev.shardplan.diag.Codes;
import dev.shardplan.diag.Diagnostic;
import dev.shardplan.diag.Diagnostics;
import dev.shardplan.model.LengthDist;
import dev.shardplan.model.Stats;
import dev.shardplan.units.Dimension;
import dev.shardplan.units.Units;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Length distributions: {@code fixed(n)}, {@code uniform(min a, max b)}, {@code normal(mean m,
 * stddev s)}, {@code lognormal(median m, p95 x)} (any pNN, or {@code sigma s}),
 * {@code empirical("lengths.csv"[, column k])}. Token counts need the unit `tokens`, written
 * after the call or on each argument.
 */
final class Distributions {
    private Distributions() {}

    static final long MAX_CSV_BYTES = 64L << 20;

    static LengthDist build(Call c, String key, Path base, Path root, Diagnostics diags) {
        String fn = c.name().text();
        Map<String, Double> named = new HashMap<>();
        List<Double> positional = new ArrayList<>();
        List<String> strings = new ArrayList<>();
        boolean ok = true;
        for (Arg a : c.args()) {
            if (a.value() instanceof Str s) {
                strings.add(s.value());
                continue;
            }
            Quantity q = (Quantity) a.value();
            String argName = a.name() == null ? null : a.name().text();
            boolean plain = argName != null && (argName.equals("sigma") || argName.equals("column"));
            Double v;
            if (plain) {
                v = q.unit() == null ? q.value().doubleValue() : null;
                if (v == null) {
                    diags.add(Diagnostic.of(Codes.UNIT_MISMATCH, q.span(), "`" + argName + "` is a plain number").help("remove the unit").build());
                    ok = false;
                    continue;
                }
            } else {
                String unit = q.unit() != null ? q.unit() : c.unit();
                if (unit == null) {
                    diags.add(Diagnostic.of(Codes.MISSING_UNIT, q.span(), "length " + q.text() + " needs a unit")
                            .help("write `tokens` after the call: `" + fn + "(...) tokens`").build());
                    ok = false;
                    continue;
                }
                Units.Unit u = Units.lookup(unit);
                if (u == null || u.dimension() != Dimension.TOKENS) {
                    diags.add(Diagnostic.of(Codes.UNIT_MISMATCH, q.span(), "`" + key + "` lengths are token counts, found `" + unit + "`")
                            .help("write `tokens`").build());
                    ok = false;
                    continue;
                }
                v = q.value().doubleValue();
            }
            if (argName != null) {
                if (named.put(argName, v) != null) {
                    diags.add(Diagnostic.of(Codes.DUPLICATE_FIELD, a.name().span(), "argument `" + argName + "` given twice").build());
                    ok = false;
                }
            } else positional.add(v);
        }
        if (!ok) return null;
        try {
            return switch (fn) {
                case "fixed" -> {
                    double n = arg(named, positional, "tokens", 0, c, "fixed(128) tokens");
                    positive(n, c, "fixed");
                    yield new LengthDist.Fixed((long) n);
                }
                case "uniform" -> {
                    double lo = arg(named, positional, "min", 0, c, "uniform(min 100, max 400) tokens");
                    double hi = arg(named, positional, "max", 1, c, "uniform(min 100, max 400) tokens");
                    positive(lo, c, "min");
                    if (hi < lo) throw new Bad(c, "uniform max " + fmt(hi) + " is below min " + fmt(lo), "swap them");
                    yield new LengthDist.Uniform((long) lo, (long) hi);
                }
                case "normal" -> {
                    double mean = arg(named, positional, "mean", 0, c, "normal(mean 1000, stddev 200) tokens");
                    double sd = arg(named, positional, "stddev", 1, c, "normal(mean 1000, stddev 200) tokens");
                    positive(mean, c, "mean");
                    if (sd < 0) throw new Bad(c, "stddev must not be negative", "write a stddev >= 0");
                    yield new LengthDist.Normal(mean, sd);
                }
                case "lognormal" -> lognormal(c, named, positional);
                case "empirical" -> empirical(c, strings, named, base, root);
                default -> throw new Bad(c, "unknown distribution `" + fn + "`",
                        "use fixed, uniform, normal, lognormal or empirical");
            };
        } catch (Bad b) {
            diags.add(Diagnostic.of(b.code, b.call.span(), b.getMessage()).help(b.help).build());
            return null;
        }
    }

    private static LengthDist lognormal(Call c, Map<String, Double> named, List<Double> positional) throws Bad {
        double median = arg(named, positional, "median", 0, c, "lognormal(median 100, p95 400) tokens");
        positive(median, c, "median");
        if (named.containsKey("sigma")) {
            double sg = named.get("sigma");
            if (sg < 0 || sg > 10) throw new Bad(c, "lognormal sigma " + fmt(sg) + " is outside 0..10", "use a sigma such as 1.0");
            return new LengthDist.LogNormal(median, sg);
        }
        for (var e : named.entrySet()) {
            String k = e.getKey();
            if (k.matches("p\\d{1,2}(\\.\\d+)?")) {
                double p = Double.parseDouble(k.substring(1)) / 100.0;
                double x = e.getValue();
                if (p <= 0 || p >= 1 || p == 0.5) throw new Bad(c, "percentile `" + k + "` cannot fix the spread", "give p90, p95 or p99 (or sigma)");
                // x = median * exp(sigma * z_p)  =>  sigma = ln(x / median) / z_p
                double sigma = Math.log(x / median) / Stats.probit(p);
                if (!(sigma > 0)) throw new Bad(c, "lognormal " + k + " " + fmt(x) + " is on the wrong side of the median " + fmt(median),
                        p > 0.5 ? "a high percentile must exceed the median" : "a low percentile must be below the median");
                return new LengthDist.LogNormal(median, sigma);
            }
        }
        throw new Bad(c, "lognormal needs a percentile or sigma besides the median", "write e.g. `lognormal(median 100, p95 400) tokens`");
    }

    private static LengthDist empirical(Call c, List<String> strings, Map<String, Double> named, Path base, Path root) throws Bad {
        if (strings.size() != 1) throw new Bad(c, "empirical needs one CSV file path", "write `empirical(\"lengths.csv\") tokens`");
        if (base == null) throw new Bad(c, "empirical data files are not available in the standard library", "use it in a project file");
        Path p = base.resolve(strings.get(0)).toAbsolutePath().normalize();
        if (!p.startsWith(root)) throw new Bad(Codes.IMPORT_OUTSIDE, c, "data file `" + strings.get(0) + "` leaves the project root", "keep data files inside the project");
        int column = named.containsKey("column") ? (int) (double) named.get("column") : 1;
        if (column < 1) throw new Bad(c, "column must be 1 or more", "columns are counted from 1");
        List<String> lines;
        try {
            if (!Files.isRegularFile(p)) throw new Bad(Codes.BAD_DATA_FILE, c, "data file `" + strings.get(0) + "` not found (looked for " + p + ")", "check the path; it is relative to the plan file");
            if (Files.size(p) > MAX_CSV_BYTES) throw new Bad(Codes.BAD_DATA_FILE, c, "data file `" + strings.get(0) + "` is larger than 64 MiB", "sample it down");
            lines = Files.readAllLines(p, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new Bad(Codes.BAD_DATA_FILE, c, "cannot read `" + strings.get(0) + "`: " + e.getMessage(), "check that it is a UTF-8 CSV file");
        }
        List<Long> values = new ArrayList<>();
        for (int i = 0; i < lines.size(); i++) {
            String line = lines.get(i).strip();
            if (line.isEmpty() || line.startsWith("#")) continue;
            String[] cols = line.split(",", -1);
            if (cols.length < column) throw new Bad(Codes.BAD_DATA_FILE, c, strings.get(0) + ":" + (i + 1) + ": no column " + column, "check the column number");
            String cell = cols[column - 1].strip();
            try {
                long v = Long.parseLong(cell);
                if (v < 1) throw new Bad(Codes.BAD_DATA_FILE, c, strings.get(0) + ":" + (i + 1) + ": length " + v + " is not positive", "lengths are token counts >= 1");
                values.add(v);
            } catch (NumberFormatException e) {
                if (values.isEmpty() && i == firstNonEmpty(lines)) continue; // a header line
                throw new Bad(Codes.BAD_DATA_FILE, c, strings.get(0) + ":" + (i + 1) + ": `" + abbreviate(cell) + "` is not a whole number", "each row must hold a token count");
            }
        }
        if (values.isEmpty()) throw new Bad(Codes.BAD_DATA_FILE, c, "data file `" + strings.get(0) + "` has no lengths", "add one length per line");
        return new LengthDist.Empirical(values.stream().mapToLong(Long::longValue).toArray(), strings.get(0));
    }

    private static int firstNonEmpty(List<String> lines) {
        for (int i = 0; i < lines.size(); i++) if (!lines.get(i).isBlank() && !lines.get(i).strip().startsWith("#")) return i;
        return -1;
    }

    private static String abbreviate(String s) {
        return s.length() > 20 ? s.substring(0, 20) + "…" : s;
    }

    private static double arg(Map<String, Double> named, List<Double> positional, String name, int pos, Call c, String example) throws Bad {
        Double v = named.get(name);
        if (v == null && pos < positional.size()) v = positional.get(pos);
        if (v == null) throw new Bad(c, c.name().text() + " needs `" + name + "`", "write e.g. `" + example + "`");
        return v;
    }

    private static void positive(double v, Call c, String what) throws Bad {
        if (!(v >= 1) || v > 1e9) throw new Bad(c, c.name().text() + " " + what + " " + fmt(v) + " is not a token count between 1 and 10^9", "lengths are at least 1 token");
    }

    private static String fmt(double d) {
        return Fmt.plain(d);
    }

    private static final class Bad extends Exception {
        final Call call;
        final String help;
        final dev.shardplan.diag.Code code;

        Bad(Call c, String msg, String help) {
            this(Codes.BAD_DISTRIBUTION, c, msg, help);
        }

        Bad(dev.shardplan.diag.Code code, Call c, String msg, String help) {
            super(msg, null, false, false);
            this.call = c;
            this.help = help;
            this.code = code;
        }
    }
}
