package dev.shardplan.predict;

import dev.shardplan.diag.Span;
import dev.shardplan.model.Attention;
import dev.shardplan.model.DType;
import dev.shardplan.model.Family;
import dev.shardplan.model.Gpu;
import dev.shardplan.model.Mla;
import dev.shardplan.model.Model;
import dev.shardplan.model.Moe;
import dev.shardplan.model.Quantization;
import dev.shardplan.model.Routing;

import java.util.Map;
import java.util.Set;

/**
 * Models and GPUs for tests, built from the Hugging Face config.json fields and datasheet numbers
 * (until the standard library provides them). Memory sizes are what nvidia-smi reports.
 */
final class Catalog {
    private Catalog() {}

    static final double TB = 1e12;
    static final double T = 1e12;

    static Gpu h100() {
        return new Gpu("H100_SXM", "NVIDIA", 81559L << 20, 3.35 * TB,
                Map.of(DType.BF16, 989 * T, DType.FP16, 989 * T, DType.FP8, 1979 * T), 450e9, 64e9, Span.NONE);
    }

    static Gpu h200() {
        return new Gpu("H200_SXM", "NVIDIA", 143771L << 20, 4.8 * TB,
                Map.of(DType.BF16, 989 * T, DType.FP16, 989 * T, DType.FP8, 1979 * T), 450e9, 64e9, Span.NONE);
    }

    /** ModelOpt FP8: linear layers FP8, LM head kept in BF16, KV cache FP8. */
    static Quantization modelOptFp8() {
        return new Quantization(DType.FP8, 0, 0, Set.of("lm_head"), false);
    }

    static Model dense(String name, int layers, int hidden, int heads, int kvHeads, int ffn, int vocab, boolean qkvBias,
                       Quantization q, DType kv) {
        return new Model(name, qkvBias ? Family.QWEN2 : Family.LLAMA, layers, hidden, heads, kvHeads, hidden / heads, ffn, vocab, false,
                Attention.GQA, null, null, DType.BF16, q, kv, qkvBias, false, false, false, 0, 0, 0, 500000, null, false, 1e-5, 131072,
                "", "", Span.NONE);
    }

    static Model llama8b(Quantization q, DType kv) {
        return dense("llama_3_1_8b", 32, 4096, 32, 8, 14336, 128256, false, q, kv);
    }

    static Model llama70b(Quantization q, DType kv) {
        return dense("llama_3_1_70b", 80, 8192, 64, 8, 28672, 128256, false, q, kv);
    }

    static Model llama405b(Quantization q, DType kv) {
        return dense("llama_3_1_405b", 126, 16384, 128, 8, 53248, 128256, false, q, kv);
    }

    static Model qwen14b() {
        return dense("deepseek_r1_distill_qwen_14b", 48, 5120, 40, 8, 13824, 152064, true, null, DType.BF16);
    }

    static Model qwen32b() {
        return dense("deepseek_r1_distill_qwen_32b", 64, 5120, 40, 8, 27648, 152064, true, null, DType.BF16);
    }

    static Model qwen3_235b(Quantization q, DType kv) {
        return new Model("qwen3_235b_a22b", Family.QWEN3_MOE, 94, 4096, 64, 4, 128, 12288, 151936, false, Attention.GQA, null,
                new Moe(128, 8, 1536, 0, 0, 0, false, false, false, Routing.softmaxTopK(true)), DType.BF16, q, kv, false, false, true,
                false, 0, 0, 0, 1e6, null, false, 1e-6, 40960, "", "", Span.NONE);
    }

    static Model deepseekR1() {
        return new Model("deepseek_r1", Family.DEEPSEEK_V3, 61, 7168, 128, 128, 192, 18432, 129280, false, Attention.MLA,
                new Mla(1536, 512, 128, 64, 128), new Moe(256, 8, 2048, 1, 2048, 3, false, false, false,
                new Routing(Routing.Scoring.SIGMOID, true, 8, 4, true, 2.5)), DType.BF16,
                new Quantization(DType.FP8, 128, 0, Set.of(), false), DType.BF16, false, false, false, false, 0, 0, 0,
                10000, null, true, 1e-6, 163840, "", "", Span.NONE);
    }
}
