package dev.shardplan.predict;

import dev.shardplan.diag.Code;
import dev.shardplan.diag.Severity;

/** Diagnostic codes of the predictions stage (SP07xx); catalogue pages in docs/diagnostics/. */
public final class PredictCodes {
    private PredictCodes() {}

    public static final Code NOT_SIMULATED = new Code("SP0701", "not-simulated", Severity.NOTE,
            "a plan that does not fit in memory is not simulated");
    public static final Code SLO_MISSED = new Code("SP0702", "slo-missed", Severity.WARNING,
            "the predicted value of a metric misses the plan's SLO");
    public static final Code PREEMPTION_PREDICTED = new Code("SP0703", "preemption-predicted", Severity.WARNING,
            "the simulation preempts requests: the KV pool is smaller than the concurrency asks for");
    public static final Code REQUESTS_REJECTED = new Code("SP0704", "requests-rejected", Severity.WARNING,
            "some requests are longer than a replica's whole KV pool and can never run");
    public static final Code UNKNOWN_TUNING = new Code("SP0705", "unknown-tuning-key", Severity.ERROR,
            "a tuning key that the step-time model does not have, or a value out of its range");
    public static final Code SLO_NOT_APPLICABLE = new Code("SP0706", "slo-not-applicable", Severity.NOTE,
            "an SLO that measures nothing for this workload (a TTFT bound on an offline batch)");
}
