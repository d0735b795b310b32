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

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
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

    static LengthDist build(Call c, String key, Path base, java.util.function.Function<Path, String> refusal, Diagnostics diags) {
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
                    if (hi < lo) throw new Bad(c, "uniform max " + Fmt.plain(hi) + " is below min " + Fmt.plain(lo), "swap them");
                    yield new LengthDist.Uniform((long) lo, (long) hi);
                }
                case "normal" -> {
                    double mean = arg(named, positional, "mean", 0, c, "normal(mean 1000, stddev 200) tokens");
                    double sd = arg(named, positional, "stddev", 1, c, "normal(mean 1000, stddev 200) tokens");
                    positive(mean, c, "mean");
                    if (!(sd >= 0) || sd > Schema.LENGTH.max()) throw new Bad(c, "stddev " + Fmt.plain(sd) + " is not between 0 and 10^9 tokens", "write a stddev >= 0");
                    yield new LengthDist.Normal(mean, sd);
                }
                case "lognormal" -> lognormal(c, named, positional);
                case "empirical" -> empirical(c, strings, named, base, refusal);
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
            if (sg < 0 || sg > 10) throw new Bad(c, "lognormal sigma " + Fmt.plain(sg) + " is outside 0..10", "use a sigma such as 1.0");
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
                if (!(sigma > 0)) throw new Bad(c, "lognormal " + k + " " + Fmt.plain(x) + " is on the wrong side of the median " + Fmt.plain(median),
                        p > 0.5 ? "a high percentile must exceed the median" : "a low percentile must be below the median");
                if (sigma > 10) throw new Bad(c, "lognormal " + k + " " + Fmt.plain(x) + " gives sigma " + Fmt.plain(sigma) + ", outside 0..10",
                        "give a percentile closer to the median");
                return new LengthDist.LogNormal(median, sigma);
            }
        }
        throw new Bad(c, "lognormal needs a percentile or sigma besides the median", "write e.g. `lognormal(median 100, p95 400) tokens`");
    }

    private static LengthDist empirical(Call c, List<String> strings, Map<String, Double> named, Path base,
                                        java.util.function.Function<Path, String> refusal) throws Bad {
        if (strings.size() != 1) throw new Bad(c, "empirical needs one CSV file path", "write `empirical(\"lengths.csv\") tokens`");
        if (base == null) throw new Bad(c, "empirical data files are not available in the standard library", "use it in a project file");
        Path p = base.resolve(strings.get(0)).toAbsolutePath().normalize();
        String refused = refusal.apply(p);
        if (refused != null) throw new Bad(Codes.IMPORT_OUTSIDE, c, "data file `" + strings.get(0) + "` " + refused, "keep data files inside the project");
        int column = named.containsKey("column") ? (int) (double) named.get("column") : 1;
        if (column < 1) throw new Bad(c, "column must be 1 or more", "columns are counted from 1");
        // Streamed line by line into a growing int array: a CSV at the size limit costs its rows x
        // 4 bytes, not a list of strings and boxed numbers (which took ~3 GB for 64 MiB).
        int[] values = null;
        int count = 0;
        String name = strings.get(0);
        try {
            if (!Files.isRegularFile(p)) throw new Bad(Codes.BAD_DATA_FILE, c, "data file `" + name + "` not found (looked for " + p + ")", "check the path; it is relative to the plan file");
            long size = Files.size(p);
            if (size > MAX_CSV_BYTES) throw new Bad(Codes.BAD_DATA_FILE, c, "data file `" + name + "` is larger than 64 MiB", "sample it down");
            // A row takes at least two bytes ("7\n"), so this never grows: no copies while reading.
            values = new int[(int) Math.min(Schema.CSV_ROWS.maxLong(), size / 2 + 1)];
            try (BufferedReader in = new BufferedReader(new InputStreamReader(Files.newInputStream(p),
                    StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT).onUnmappableCharacter(CodingErrorAction.REPORT)))) {
                boolean first = true;
                int lineNo = 0;
                for (String raw; (raw = in.readLine()) != null; ) {
                    lineNo++;
                    String line = raw.strip();
                    if (line.isEmpty() || line.startsWith("#")) continue;
                    boolean header = first;
                    first = false;
                    String cell = cell(line, column);
                    if (cell == null) throw new Bad(Codes.BAD_DATA_FILE, c, name + ":" + lineNo + ": no column " + column, "check the column number");
                    long v;
                    try {
                        v = Long.parseLong(cell);
                    } catch (NumberFormatException e) {
                        if (header) continue;
                        throw new Bad(Codes.BAD_DATA_FILE, c, name + ":" + lineNo + ": `" + abbreviate(cell) + "` is not a whole number", "each row must hold a token count");
                    }
                    if (!Schema.LENGTH.contains(v))
                        throw new Bad(Codes.BAD_DATA_FILE, c, name + ":" + lineNo + ": length " + v + " is not a token count in " + Schema.LENGTH.range(), "lengths are token counts >= 1");
                    if (count == Schema.CSV_ROWS.maxLong())
                        throw new Bad(Codes.BAD_DATA_FILE, c, "data file `" + name + "` has more than " + Schema.CSV_ROWS.maxLong() + " lengths", "sample it down");
                    if (count == values.length) values = Arrays.copyOf(values, (int) Math.min(Schema.CSV_ROWS.maxLong(), 2L * values.length + 1));
                    values[count++] = (int) v;
                }
            }
        } catch (CharacterCodingException e) {
            throw new Bad(Codes.BAD_DATA_FILE, c, "data file `" + name + "` is not UTF-8 text", "save it as a UTF-8 CSV file");
        } catch (IOException e) {
            throw new Bad(Codes.BAD_DATA_FILE, c, "cannot read `" + name + "`: " + e.getMessage(), "check that it is a UTF-8 CSV file");
        }
        if (count == 0) throw new Bad(Codes.BAD_DATA_FILE, c, "data file `" + name + "` has no lengths", "add one length per line");
        int[] lengths = count == values.length ? values : Arrays.copyOf(values, count);
        values = null;
        // Sorted here, so that Empirical keeps the array instead of sorting a copy of it.
        Arrays.sort(lengths);
        return new LengthDist.Empirical(lengths, name);
    }

    /** The 1-based {@code column} of a comma-separated line, stripped; null when the line has fewer columns. */
    private static String cell(String line, int column) {
        int from = 0;
        for (int k = 1; k < column; k++) {
            int comma = line.indexOf(',', from);
            if (comma < 0) return null;
            from = comma + 1;
        }
        int end = line.indexOf(',', from);
        return line.substring(from, end < 0 ? line.length() : end).strip();
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
        if (!(v >= 1) || v > 1e9) throw new Bad(c, c.name().text() + " " + what + " " + Fmt.plain(v) + " is not a token count between 1 and 10^9", "lengths are at least 1 token");
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
