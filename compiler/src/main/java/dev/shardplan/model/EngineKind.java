package dev.shardplan.model;

/** Serving engines whose memory accounting and launch flags shardplan models. */
public enum EngineKind {
    VLLM, SGLANG, TRTLLM;

    public String id() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }
}
