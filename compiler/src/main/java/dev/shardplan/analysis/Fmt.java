package dev.shardplan.analysis;

import java.util.Locale;

/** Number formatting shared by messages and reports (locale-independent). */
public final class Fmt {
    private Fmt() {}

    public static String gib(double bytes) {
        return String.format(Locale.ROOT, "%.2f GiB", bytes / (1024.0 * 1024 * 1024));
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
