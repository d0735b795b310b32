package dev.shardplan.units;

import java.util.Locale;

/**
 * The one number formatter: every message, derivation, report and plan source prints numbers
 * through it, so that a figure reads the same wherever it appears (and never in the JVM's locale).
 */
public final class Fmt {
    private Fmt() {}

    private static final double GIB = 1024.0 * 1024 * 1024;

    /** "8.07 GiB". */
    public static String gib(double bytes) {
        return gib(bytes, 2);
    }

    /** GiB with {@code places} decimals and the unit. */
    public static String gib(double bytes, int places) {
        return dec(bytes / GIB, places) + " GiB";
    }

    /** A number as plan source writes it: whole numbers without a decimal point, others as Java prints the double. */
    public static String plain(double d) {
        if (d == Math.rint(d) && Math.abs(d) < 1e15) return String.valueOf((long) d);
        return String.valueOf(d);
    }

    public static String gbps(double bytesPerSecond) {
        return String.format(Locale.ROOT, "%.1f GB/s", bytesPerSecond / 1e9);
    }

    public static String ms(double seconds) {
        return String.format(Locale.ROOT, "%.3f ms", seconds * 1e3);
    }

    public static String us(double seconds) {
        return String.format(Locale.ROOT, "%.1f us", seconds * 1e6);
    }

    public static String pct(double share) {
        return String.format(Locale.ROOT, "%.1f%%", share * 100);
    }

    public static String num(long n) {
        return String.format(Locale.ROOT, "%,d", n);
    }

    public static String dec(double d, int places) {
        return String.format(Locale.ROOT, "%." + places + "f", d);
    }
}
