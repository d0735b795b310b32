package dev.shardplan.model;

import dev.shardplan.diag.Span;

/**
 * Requests to serve. {@code rate} is requests per second, or 0 for an offline batch (all
 * requests at t=0). {@code concurrency} > 0 caps the requests in flight (a closed-loop client).
 * {@code maxLength} bounds prompt + output tokens of one request (it becomes max_model_len).
 */
public record Workload(String name, long requests, double rate, int concurrency, LengthDist prompt, LengthDist output,
                       long maxLength, Span span) {
    public boolean offline() {
        return rate <= 0;
    }

    /** prompt + output at the p-quantile of each, capped at maxLength (a conservative sum). */
    public long lengthAt(double p) {
        return Math.min(maxLength, prompt.quantile(p) + output.quantile(p));
    }
}
