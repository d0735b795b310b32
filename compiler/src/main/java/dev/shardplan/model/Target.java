package dev.shardplan.model;

/** What {@code emit} can ask for. plan.json is always written. */
public enum Target {
    VLLM, SGLANG, TRTLLM, KUBERNETES, SLURM, SHIM, REPORT;

    public String id() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }

    public static Target parse(String s) {
        for (Target t : values()) if (t.id().equals(s)) return t;
        return null;
    }
}
