package dev.shardplan.units;

import java.math.BigDecimal;
import java.util.Map;

/**
 * The unit table. Decimal prefixes are powers of 1000 (GB = 10^9 B, as GPU datasheets use them),
 * binary ones powers of 1024 (GiB); lowercase b is bits (network links: 400 Gb/s = 50 GB/s).
 */
public final class Units {
    private Units() {}

    /** A unit: its dimension and the factor to the dimension's base unit. */
    public record Unit(String symbol, Dimension dimension, BigDecimal factor) {}

    private static final Map<String, Unit> BASE = Map.ofEntries(
            u("B", Dimension.BYTES, "1"), u("KB", Dimension.BYTES, "1e3"), u("MB", Dimension.BYTES, "1e6"),
            u("GB", Dimension.BYTES, "1e9"), u("TB", Dimension.BYTES, "1e12"), u("PB", Dimension.BYTES, "1e15"),
            u("KiB", Dimension.BYTES, "1024"), u("MiB", Dimension.BYTES, "1048576"),
            u("GiB", Dimension.BYTES, "1073741824"), u("TiB", Dimension.BYTES, "1099511627776"),
            u("b", Dimension.BYTES, "0.125"), u("Kb", Dimension.BYTES, "125"), u("Mb", Dimension.BYTES, "125e3"),
            u("Gb", Dimension.BYTES, "125e6"), u("Tb", Dimension.BYTES, "125e9"),
            u("ns", Dimension.TIME, "1e-9"), u("us", Dimension.TIME, "1e-6"), u("\u00B5s", Dimension.TIME, "1e-6"),
            u("ms", Dimension.TIME, "1e-3"), u("s", Dimension.TIME, "1"), u("min", Dimension.TIME, "60"),
            u("h", Dimension.TIME, "3600"),
            u("FLOPS", Dimension.FLOPS, "1"), u("GFLOPS", Dimension.FLOPS, "1e9"), u("TFLOPS", Dimension.FLOPS, "1e12"),
            u("PFLOPS", Dimension.FLOPS, "1e15"),
            u("tokens", Dimension.TOKENS, "1"), u("token", Dimension.TOKENS, "1"),
            u("W", Dimension.POWER, "1"), u("GHz", Dimension.FREQUENCY, "1e9"),
            u("%", Dimension.RATIO, "0.01"), u("req", Dimension.RATE, "1"));

    private static Map.Entry<String, Unit> u(String s, Dimension d, String f) {
        return Map.entry(s, new Unit(s, d, new BigDecimal(f)));
    }

    /** The plain unit symbols and their dimensions, sorted (compounds such as {@code GB/s} are a size over a time). */
    public static java.util.SortedMap<String, Dimension> symbols() {
        java.util.TreeMap<String, Dimension> m = new java.util.TreeMap<>();
        BASE.forEach((k, v) -> m.put(k, v.dimension()));
        return java.util.Collections.unmodifiableSortedMap(m);
    }

    /** Resolves {@code GB/s}, {@code tokens/s}, {@code req/s}, plain units; null when unknown. */
    public static Unit lookup(String symbol) {
        if (symbol == null) return null;
        int slash = symbol.indexOf('/');
        if (slash < 0) {
            Unit u = BASE.get(symbol);
            if (u != null && u.dimension() == Dimension.RATE) return null; // `req` alone is not a unit
            return u;
        }
        Unit num = BASE.get(symbol.substring(0, slash));
        Unit den = BASE.get(symbol.substring(slash + 1));
        if (num == null || den == null || den.dimension() != Dimension.TIME) return null;
        Dimension d = switch (num.dimension()) {
            case BYTES -> Dimension.BANDWIDTH;
            case TOKENS -> Dimension.TOKEN_RATE;
            case RATE -> Dimension.RATE;
            default -> null;
        };
        if (d == null) return null;
        return new Unit(symbol, d, num.factor().divide(den.factor(), java.math.MathContext.DECIMAL64));
    }
}
