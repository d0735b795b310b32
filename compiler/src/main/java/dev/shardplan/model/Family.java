package dev.shardplan.model;

import java.util.Locale;

/**
 * The published architecture a model follows: it fixes the Hugging Face tensor names the runtime
 * shim reads and the reference definition `verify` compares with. Each family is one Hugging Face
 * modelling file; {@code mistral} checkpoints use Llama's names, Kimi-K2 and DeepSeek-V3.2 DeepSeek-V3's.
 */
public enum Family {
    LLAMA, QWEN2, QWEN3, QWEN2_MOE, QWEN3_MOE, MIXTRAL, DEEPSEEK_V2, DEEPSEEK_V3, GPT_OSS;

    public String id() {
        return name().toLowerCase(Locale.ROOT);
    }

    public static Family parse(String s) {
        for (Family f : values()) if (f.id().equals(s)) return f;
        return null;
    }

    /** Families whose layers after the leading dense ones are mixtures of experts. */
    public boolean moe() {
        return this == QWEN2_MOE || this == QWEN3_MOE || this == MIXTRAL || this == DEEPSEEK_V2 || this == DEEPSEEK_V3 || this == GPT_OSS;
    }

    /** Families with multi-head latent attention. */
    public boolean mla() {
        return this == DEEPSEEK_V2 || this == DEEPSEEK_V3;
    }
}
