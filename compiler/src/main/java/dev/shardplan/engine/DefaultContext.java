package dev.shardplan.engine;

import dev.shardplan.model.Plan;

import java.util.Map;

/**
 * What a default rule may read: the release, the plan (its GPU, model, degrees and workload) and
 * the effective values of the settings resolved before this one, by name.
 */
public record DefaultContext(Release release, Plan plan, Map<String, Object> resolved) {
    /** GPU memory in GiB as the engine sees it (CUDA's total, which std:gpus records). */
    public double gpuGib() {
        return plan.cluster().gpu().memory() / (double) (1L << 30);
    }

    /** The GPU's product name, upper case (vLLM keys some defaults on "A100" in the device name). */
    public String gpuName() {
        return plan.cluster().gpu().name().toUpperCase(java.util.Locale.ROOT);
    }

    public Object value(String setting) {
        Object v = resolved.get(setting);
        if (v == null) throw new IllegalStateException("default rule reads " + setting + " before it is resolved");
        return v;
    }

    public long count(String setting) {
        return ((Number) value(setting)).longValue();
    }

    public boolean bool(String setting) {
        return (Boolean) value(setting);
    }
}
