package dev.shardplan.predict;

import java.util.Arrays;

/**
 * What a serving simulation predicts. Times in seconds, throughputs per second.
 *
 * @param requests         requests in the set
 * @param completed        requests that finished
 * @param rejected         requests longer than a replica's whole KV pool (never admitted)
 * @param makespan         first arrival to last finish
 * @param promptTokens     prompt tokens of the completed requests
 * @param outputTokens     output tokens of the completed requests
 * @param outputThroughput output tokens / makespan
 * @param totalThroughput  (prompt + output tokens) / makespan
 * @param requestThroughput completed / makespan
 * @param ttft             time to first token
 * @param tpot             time per output token after the first
 * @param e2e              arrival to last token
 * @param preemptions      times a running request lost its KV and was recomputed
 * @param recomputedTokens tokens computed again because of preemption
 * @param steps            engine iterations, all replicas together
 * @param meanRunning      time-weighted mean running sequences per replica
 * @param peakKvUtil       highest share of KV blocks in use (all replicas together)
 * @param timeT            KV utilisation timeline: times
 * @param timeUtil         KV utilisation timeline: share of blocks in use at those times
 */
public record SimResult(int requests, int completed, int rejected, double makespan, long promptTokens,
                        long outputTokens, double outputThroughput, double totalThroughput,
                        double requestThroughput, Summary ttft, Summary tpot, Summary e2e, long preemptions,
                        long recomputedTokens, long steps, double meanRunning, double peakKvUtil,
                        double[] timeT, double[] timeUtil) {

    /** A distribution's summary. */
    public record Summary(double mean, double p50, double p90, double p99, double max) {
        public static final Summary EMPTY = new Summary(0, 0, 0, 0, 0);

        /** Summary of {@code n} values of {@code v} (sorted in place); nearest-rank percentiles. */
        public static Summary of(double[] v, int n) {
            if (n == 0) return EMPTY;
            Arrays.sort(v, 0, n);
            double s = 0;
            for (int i = 0; i < n; i++) s += v[i];
            return new Summary(s / n, rank(v, n, 0.50), rank(v, n, 0.90), rank(v, n, 0.99), v[n - 1]);
        }

        private static double rank(double[] v, int n, double p) {
            int i = (int) Math.ceil(p * n) - 1;
            return v[Math.max(0, Math.min(n - 1, i))];
        }

        /** The value at a percentile this summary keeps (50, 90, 99, 100; 0 = mean). */
        public double at(double percentile) {
            if (percentile <= 0) return mean;
            if (percentile <= 50) return p50;
            if (percentile <= 90) return p90;
            if (percentile <= 99) return p99;
            return max;
        }
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof SimResult r && r.toString().equals(toString())
                && Arrays.equals(timeT, r.timeT) && Arrays.equals(timeUtil, r.timeUtil);
    }

    @Override
    public int hashCode() {
        return toString().hashCode();
    }

    @Override
    public String toString() {
        return "SimResult[requests=" + requests + ", completed=" + completed + ", rejected=" + rejected
                + ", makespan=" + makespan + ", outputTokens=" + outputTokens + ", outputThroughput=" + outputThroughput
                + ", ttft=" + ttft + ", tpot=" + tpot + ", e2e=" + e2e + ", preemptions=" + preemptions
                + ", recomputedTokens=" + recomputedTokens + ", steps=" + steps + ", meanRunning=" + meanRunning
                + ", peakKvUtil=" + peakKvUtil + ", timeline=" + timeT.length + "]";
    }
}
