package dev.shardplan.model;

import dev.shardplan.diag.Span;

/**
 * A service-level objective, e.g. {@code ttft p99 < 5 s}: metric (ttft, tpot, e2e, itl,
 * throughput), percentile (0..100; 0 = mean), comparison and bound in base units (seconds, or
 * tokens/s for throughput).
 */
public record Slo(String metric, double percentile, String op, double bound, Span span) {
    public boolean satisfiedBy(double value) {
        return switch (op) {
            case "<" -> value < bound;
            case "<=" -> value <= bound;
            case ">" -> value > bound;
            case ">=" -> value >= bound;
            default -> value == bound;
        };
    }
}
