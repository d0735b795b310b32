package dev.shardplan.predict;

import dev.shardplan.model.Workload;

import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * The requests of one simulation: arrival time (s), prompt and output length (tokens), drawn from
 * a workload with a fixed seed so that a simulation is a pure function of (plan, seed).
 *
 * @param concurrency at most this many requests in flight (a closed-loop client); 0: no limit
 * @param prefix      the first tokens of every prompt are the same (the workload's {@code prefix}); a
 *                    prompt shares min(prefix, its length) tokens
 */
public record RequestSet(double[] arrival, int[] prompt, int[] output, int concurrency, int prefix) {
    /** Bytes per request: arrival, prompt and output. */
    public static final long BYTES_PER_REQUEST = 8 + 4 + 4;

    public RequestSet {
        if (arrival.length != prompt.length || prompt.length != output.length) {
            throw new IllegalArgumentException("arrival, prompt and output must have the same length");
        }
        if (prefix < 0) throw new IllegalArgumentException("prefix must be >= 0: " + prefix);
        arrival = arrival.clone();
        prompt = prompt.clone();
        output = output.clone();
    }

    /** Requests without a shared prefix. */
    public RequestSet(double[] arrival, int[] prompt, int[] output, int concurrency) {
        this(arrival, prompt, output, concurrency, 0);
    }

    /** Prompt tokens of request {@code i} that are the shared prefix. */
    public int shared(int i) {
        return Math.min(prefix, prompt[i]);
    }

    public int size() {
        return prompt.length;
    }

    /**
     * Draws the workload's requests. Prompt and output lengths come from its distributions (prompt
     * first, then output, per request, from one generator seeded with {@code seed}); prompt +
     * output is capped at the workload's max length. Offline workloads arrive at t = 0; with a
     * rate, gaps are exponential (Poisson arrivals) from a second generator split off the first,
     * or gamma with the workload's burstiness as shape and the same mean (vLLM's bench serve).
     */
    public static RequestSet draw(Workload w, long seed) {
        return draw(w, seed, (int) Math.min(Integer.MAX_VALUE, w.requests()));
    }

    /** As {@link #draw(Workload, long)}, with {@code n} requests instead of the workload's count. */
    public static RequestSet draw(Workload w, long seed, int n) {
        SplittableRandom rnd = new SplittableRandom(seed);
        SplittableRandom arr = rnd.split();
        double[] a = new double[n];
        int[] p = new int[n];
        int[] o = new int[n];
        long max = Math.max(2, w.maxLength());
        double t = 0;
        for (int i = 0; i < n; i++) {
            p[i] = (int) Math.min(max - 1, w.prompt().sample(rnd, max - 1));
            o[i] = (int) Math.max(1, Math.min(max - p[i], w.output().sample(rnd, max)));
            if (!w.offline()) {
                t += w.burstiness() == 1 ? -Math.log(1.0 - arr.nextDouble()) / w.rate()
                        : gamma(arr, w.burstiness()) / (w.rate() * w.burstiness());
                a[i] = t;
            }
        }
        return new RequestSet(a, p, o, Math.max(0, w.concurrency()), (int) Math.min(Integer.MAX_VALUE, w.prefix()));
    }

    /**
     * A gamma variate of shape {@code k} and scale 1: Marsaglia and Tsang's method ("A simple
     * method for generating gamma variables", ACM TOMS 26(3), 2000), and for k < 1 their boost
     * gamma(k + 1) · U^(1/k).
     */
    static double gamma(SplittableRandom r, double k) {
        if (k < 1) return gamma(r, k + 1) * Math.pow(1.0 - r.nextDouble(), 1.0 / k);
        double d = k - 1.0 / 3, c = 1 / Math.sqrt(9 * d);
        while (true) {
            double x = r.nextGaussian(), v = 1 + c * x;
            if (v <= 0) continue;
            v = v * v * v;
            double u = 1.0 - r.nextDouble();
            if (u < 1 - 0.0331 * x * x * x * x || Math.log(u) < 0.5 * x * x + d * (1 - v + Math.log(v))) return d * v;
        }
    }

    /** {@code n} identical requests arriving at t = 0 (fixed ISL/OSL benchmarks). */
    public static RequestSet fixed(int n, int promptTokens, int outputTokens) {
        int[] p = new int[n];
        int[] o = new int[n];
        Arrays.fill(p, promptTokens);
        Arrays.fill(o, outputTokens);
        return new RequestSet(new double[n], p, o, 0);
    }

    /** The same requests with a closed-loop concurrency limit. */
    public RequestSet withConcurrency(int c) {
        return new RequestSet(arrival, prompt, output, c, prefix);
    }

    /** The same requests with a shared prefix of {@code tokens}. */
    public RequestSet withPrefix(int tokens) {
        return new RequestSet(arrival, prompt, output, concurrency, tokens);
    }

    public long outputTokens() {
        long s = 0;
        for (int x : output) s += x;
        return s;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof RequestSet r && Arrays.equals(arrival, r.arrival) && Arrays.equals(prompt, r.prompt)
                && Arrays.equals(output, r.output) && concurrency == r.concurrency && prefix == r.prefix;
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(prompt) * 31 + Arrays.hashCode(output);
    }

    @Override
    public String toString() {
        return "RequestSet[" + size() + " requests]";
    }
}
