package dev.shardplan.analysis;

/**
 * One step of one replica (a decode step over {@code tokens} sequences, or one prefill chunk of
 * {@code tokens} tokens), summed over its PP stages: HBM bytes and FLOPs of the busiest rank of
 * each stage, their roofline time, collective time, the part of it over the network, and the
 * shares of the step (collectives / (compute + collectives)).
 */
public record StepCost(String phase, long tokens, double hbmBytes, double flops, double computeSeconds,
                       double commSeconds, double networkSeconds, double commShare, double networkShare) {
    public double seconds() {
        return computeSeconds + commSeconds;
    }
}
