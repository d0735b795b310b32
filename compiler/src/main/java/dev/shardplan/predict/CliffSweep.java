package dev.shardplan.predict;

import java.util.Arrays;

/**
 * The reasoning cliff of a plan: output throughput of a fixed batch ({@code requests} requests of
 * {@code promptTokens} prompt tokens, all arriving at t = 0) at each of several output lengths,
 * simulated with the plan's own scheduler and step-time model. Long outputs exhaust the KV pool
 * mid-decode and the throughput falls off; where it falls is the plan's capacity.
 */
public record CliffSweep(int requests, int promptTokens, int[] outputTokens, double[] throughput) {
    /** The default sweep: 256 requests of 100 prompt tokens, outputs of 1k to 16k tokens. */
    public static final int REQUESTS = 256, PROMPT = 100;
    public static final int[] LENGTHS = {1000, 2000, 4000, 8000, 16000};

    /** The sweep of a simulated prediction, or null when the plan was not simulated. */
    public static CliffSweep of(Prediction p) {
        if (!p.simulated()) return null;
        double[] v = new double[LENGTHS.length];
        for (int i = 0; i < LENGTHS.length; i++) {
            SimResult r = Simulation.run(p.scheduler(), p.model(), RequestSet.fixed(REQUESTS, PROMPT, LENGTHS[i]));
            v[i] = r.outputThroughput();
        }
        return new CliffSweep(REQUESTS, PROMPT, LENGTHS.clone(), v);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof CliffSweep c && c.requests == requests && c.promptTokens == promptTokens
                && Arrays.equals(c.outputTokens, outputTokens) && Arrays.equals(c.throughput, throughput);
    }

    @Override
    public int hashCode() {
        return 31 * Arrays.hashCode(outputTokens) + Arrays.hashCode(throughput);
    }

    @Override
    public String toString() {
        return "CliffSweep[" + requests + " x " + promptTokens + " prompt, " + Arrays.toString(outputTokens) + " -> "
                + Arrays.toString(throughput) + "]";
    }
}
