package dev.shardplan.predict;

/**
 * Seconds one collective of a given message size takes on the groups of a plan. The step-time
 * model asks for these per step; the implementation comes from the device graph (the analysis
 * stage's per-group bottleneck bandwidth and latency) or, without one, from {@link #ring}.
 */
public interface CollectiveCost {
    /** All-reduce of {@code bytes} over the TP group. */
    double allReduce(double bytes);

    /** All-to-all (dispatch or combine) of {@code bytes} per rank over the EP group. */
    double allToAll(double bytes);

    /** Send of {@code bytes} from one pipeline stage to the next. */
    double sendRecv(double bytes);

    /** No communication (a plan on one GPU). */
    CollectiveCost NONE = new CollectiveCost() {
        public double allReduce(double bytes) { return 0; }
        public double allToAll(double bytes) { return 0; }
        public double sendRecv(double bytes) { return 0; }
    };

    /**
     * Bandwidth-and-latency costs on uniform links: a ring all-reduce moves 2(n−1)/n of the message
     * over each GPU's link, an all-to-all (n−1)/n of it, a stage send the whole message (the
     * collective models of formulas.md §7.4: llm-analysis, GenZ, AIConfigurator SOL). Bandwidths are
     * per direction in B/s; latency is per call in seconds; {@code eff} scales bandwidth.
     */
    static CollectiveCost ring(int tp, double tpBandwidth, int ep, double epBandwidth, double ppBandwidth,
                               double latency, double eff) {
        return new CollectiveCost() {
            public double allReduce(double bytes) {
                if (tp <= 1) return 0;
                return latency + 2.0 * (tp - 1) / tp * bytes / (tpBandwidth * eff);
            }

            public double allToAll(double bytes) {
                if (ep <= 1) return 0;
                return latency + (double) (ep - 1) / ep * bytes / (epBandwidth * eff);
            }

            public double sendRecv(double bytes) {
                return latency + bytes / (ppBandwidth * eff);
            }
        };
    }
}
