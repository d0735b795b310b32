package dev.shardplan.model;

/** Attention variants: multi-head, grouped-query (incl. MQA) and DeepSeek's multi-head latent. */
public enum Attention {
    MHA, GQA, MLA;

    public String id() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }
}
