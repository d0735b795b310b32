package dev.shardplan.model;

import dev.shardplan.units.Fmt;
import java.util.Arrays;
import java.util.SplittableRandom;

/** A distribution of token counts (prompt or output lengths). All values are >= 1 token. */
public sealed interface LengthDist {
    /** The p-quantile, 0 < p < 1, in tokens (rounded up). */
    long quantile(double p);

    double mean();

    /** One draw, in [1, cap]. */
    long sample(SplittableRandom rnd, long cap);

    String describe();

    record Fixed(long tokens) implements LengthDist {
        public long quantile(double p) { return tokens; }
        public double mean() { return tokens; }
        public long sample(SplittableRandom r, long cap) { return Math.max(1, Math.min(cap, tokens)); }
        public String describe() { return "fixed(" + tokens + ")"; }
    }

    record Uniform(long min, long max) implements LengthDist {
        public long quantile(double p) { return (long) Math.ceil(min + p * (max - min)); }
        public double mean() { return (min + max) / 2.0; }
        public long sample(SplittableRandom r, long cap) { return Math.max(1, Math.min(cap, min + r.nextLong(max - min + 1))); }
        public String describe() { return "uniform(" + min + ", " + max + ")"; }
    }

    record Normal(double mean, double stddev) implements LengthDist {
        public long quantile(double p) { return Math.max(1, (long) Math.ceil(mean + stddev * Stats.probit(p))); }
        public double mean() { return mean; }
        public long sample(SplittableRandom r, long cap) {
            return Math.max(1, Math.min(cap, Math.round(mean + stddev * Stats.gaussian(r))));
        }
        public String describe() { return "normal(mean " + Fmt.plain(mean) + ", stddev " + Fmt.plain(stddev) + ")"; }
    }

    /** Lognormal given by its median and sigma (sigma derived from a stated percentile). */
    record LogNormal(double median, double sigma) implements LengthDist {
        public long quantile(double p) { return Math.max(1, (long) Math.ceil(median * Math.exp(sigma * Stats.probit(p)))); }
        public double mean() { return median * Math.exp(sigma * sigma / 2); }
        public long sample(SplittableRandom r, long cap) {
            return Math.max(1, Math.min(cap, Math.round(median * Math.exp(sigma * Stats.gaussian(r)))));
        }
        public String describe() { return "lognormal(median " + Fmt.plain(median) + ", sigma " + String.format(java.util.Locale.ROOT, "%.4f", sigma) + ")"; }
    }

    /** Observed lengths (sorted ascending), e.g. from a trace's CSV. */
    /** Lengths read from a CSV (each 1..10^9 tokens, so they are held as ints: 4 bytes a row). */
    record Empirical(int[] sorted, String source) implements LengthDist {
        public Empirical {
            // An array that is sorted already is kept (the resolver hands over a fresh one of up to
            // 2^24 lengths, and a second copy would double what a large CSV costs); else a sorted copy.
            if (!isSorted(sorted)) {
                sorted = sorted.clone();
                Arrays.sort(sorted);
            }
        }

        private static boolean isSorted(int[] a) {
            for (int i = 1; i < a.length; i++) if (a[i - 1] > a[i]) return false;
            return true;
        }
        public long quantile(double p) {
            int i = (int) Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1));
            return sorted[i];
        }
        public double mean() { return Arrays.stream(sorted).average().orElse(0); }
        public long sample(SplittableRandom r, long cap) { return Math.max(1, Math.min(cap, sorted[r.nextInt(sorted.length)])); }
        public String describe() { return "empirical(\"" + source + "\", " + sorted.length + " values)"; }
        @Override public boolean equals(Object o) { return o instanceof Empirical e && Arrays.equals(sorted, e.sorted) && source.equals(e.source); }
        @Override public int hashCode() { return Arrays.hashCode(sorted) * 31 + source.hashCode(); }
        @Override public String toString() { return describe(); }
    }
}
