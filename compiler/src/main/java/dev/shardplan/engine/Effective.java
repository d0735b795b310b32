package dev.shardplan.engine;

/**
 * A setting's value in effect for one plan: the value, where it comes from, and why (for a default,
 * the release's rule in the user's words, e.g. "vLLM 0.11.0: 1024 on GPUs of >= 70 GiB other than A100").
 */
public record Effective(Setting setting, Object value, Origin origin, String why) {
    public String name() {
        return setting.name();
    }

    /** Whether the plan wrote it. */
    public boolean fromPlan() {
        return origin == Origin.PLAN;
    }

    public long count() {
        return ((Number) value).longValue();
    }

    public double number() {
        return ((Number) value).doubleValue();
    }

    public boolean bool() {
        return (Boolean) value;
    }

    public String word() {
        return (String) value;
    }
}
