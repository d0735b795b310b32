package dev.shardplan.layout;

import dev.shardplan.model.DType;
import dev.shardplan.model.Mla;
import dev.shardplan.model.Model;
import dev.shardplan.model.Moe;
import dev.shardplan.model.Quantization;

import java.util.ArrayList;
import java.util.List;

/**
 * How the engines cut a model: layer split over PP stages, KV heads per rank, vocabulary padding,
 * and the bytes of one rank's weights. Each rule names its source; docs/memory-model.md has them all.
 */
public final class Sharding {
    /** vLLM vocab_parallel_embedding.py DEFAULT_VOCAB_PADDING_SIZE. */
    public static final int VOCAB_PADDING = 64;

    private Sharding() {}

    /**
     * Layers of each PP stage. Explicit split wins. Otherwise an even split with the remainder
     * placed as the engine places it:
     * vLLM distributed/utils.py get_pp_indices: partitions[-2], [-3], ... get one extra (not the last);
     * SGLang get_pp_indices: the last N partitions get one extra;
     * TRT-LLM mapping.py pp_layers (torch.tensor_split): the first N get one extra.
     */
    public static List<Range> stages(int layers, int pp, LayoutRules.Remainder remainder, List<Integer> explicit) {
        int[] parts = new int[pp];
        if (explicit != null && explicit.size() == pp && explicit.stream().mapToInt(Integer::intValue).sum() == layers) {
            for (int i = 0; i < pp; i++) parts[i] = explicit.get(i);
        } else {
            int base = layers / pp, rem = layers % pp;
            for (int i = 0; i < pp; i++) parts[i] = base;
            for (int k = 0; k < rem; k++) {
                switch (remainder) {
                    case BEFORE_LAST -> parts[pp - 2 - k >= 0 ? pp - 2 - k : pp - 1 - k]++;
                    case LAST -> parts[pp - 1 - k]++;
                    case FIRST -> parts[k]++;
                }
            }
        }
        List<Range> out = new ArrayList<>();
        int start = 0;
        for (int p : parts) {
            out.add(new Range(start, start + p));
            start += p;
        }
        return out;
    }

    /**
     * KV heads each rank caches per token and layer. vLLM config/model.py get_num_kv_heads and
     * SGLang model_config.get_num_kv_heads: max(1, kv // tp); TRT-LLM attention: ceil(kv / tp).
     * MLA caches one latent "head" on every rank (vLLM: "when using MLA during decode it becomes MQA").
     */
    public static int kvHeadsCached(Model m, int tp, LayoutRules.KvHeadRounding rounding) {
        if (m.isMla()) return 1;
        int kv = m.kvHeads();
        if (rounding == LayoutRules.KvHeadRounding.CEIL) return (kv + tp - 1) / tp;
        return Math.max(1, kv / tp);
    }

    /** Per-token per-layer KV elements of one rank: heads x (K dim + V dim); MLA: latent + rope key. */
    public static long kvElementsPerTokenPerLayer(Model m, int tp, LayoutRules.KvHeadRounding rounding) {
        if (m.isMla()) return m.mla().cachedPerToken();
        return (long) kvHeadsCached(m, tp, rounding) * 2L * m.headDim();
    }

    /** Vocabulary padded to a multiple of 64 (vLLM pad_vocab_size), then to a multiple of tp so it splits evenly. */
    public static int paddedVocab(int vocab, int tp) {
        int v = (vocab + VOCAB_PADDING - 1) / VOCAB_PADDING * VOCAB_PADDING;
        return (v + tp - 1) / tp * tp;
    }

    /** Even split of n items into parts; part i gets [i*n/parts, (i+1)*n/parts). */
    static Range slice(int n, int parts, int i) {
        return new Range((int) ((long) i * n / parts), (int) ((long) (i + 1) * n / parts));
    }

    /** Experts of EP rank i: floor(E/ep) each, the first E % ep ranks one more (vLLM determine_expert_map). */
    public static Range expertSlice(int experts, int ep, int i) {
        int base = experts / ep, rem = experts % ep;
        int start = i * base + Math.min(i, rem);
        return new Range(start, start + base + (i < rem ? 1 : 0));
    }

    /** Is a part stored in the quantised dtype? Norms, biases, embedding, LM head and router never are (see docs). */
    static boolean quantised(Model m, String part) {
        return m.quant() != null && m.quant().covers(part, m.dtype());
    }

    /** Bytes of one linear weight (out x in elements, already sharded) of a part, with its scales. */
    static long[] linear(Model m, String part, long out, long in) {
        if (out <= 0 || in <= 0) return new long[] {0, 0};
        if (!quantised(m, part)) return new long[] {(long) Math.ceil(out * in * m.dtype().bytes()), 0};
        Quantization q = m.quant();
        long w = (long) Math.ceil(out * in * q.weights().bytes());
        long s;
        if (q.blockSize() > 0) {
            // FP8 block quantisation: one fp32 scale per 128x128 block (DeepSeek weight_scale_inv).
            long b = q.blockSize();
            s = ((out + b - 1) / b) * ((in + b - 1) / b) * 4L;
        } else if (q.groupSize() > 0) {
            long groups = out * ((in + q.groupSize() - 1) / q.groupSize());
            // MXFP4/NVFP4: one 1-byte scale per group of the input dimension. INT4 (AWQ, GPTQ,
            // compressed-tensors pack-quantized): an fp16 scale and a 4-bit zero point per group.
            s = q.weights() == DType.INT4 ? (long) Math.ceil(groups * 2.5) : groups;
        } else {
            s = 4; // per-tensor scale
        }
        return new long[] {w + s, s};
    }

    /**
     * Weights of one rank. tp splits attention heads and the dense FFN; MoE layers split experts
     * {@code epSize} ways and each expert's width {@code moeTp} ways; embedding and LM head are
     * vocabulary-parallel over tp.
     */
    public static WeightBytes weights(Model m, Range layers, int denseLayers, int moeLayers, int tp, int tpRank,
                                      int qHeads, int kvHeads, int localExperts, int expertWidth, int sharedWidth,
                                      int ffnWidth, int vocabRows, boolean embedding, boolean lmHead) {
        return weights(m, layers, denseLayers, moeLayers, tp, tpRank, qHeads, kvHeads, localExperts, expertWidth, sharedWidth,
                ffnWidth, vocabRows, embedding, lmHead, LayoutRules.Pad.NONE);
    }

    /** As above, the routed experts' matrices allocated at the engine's padded sizes ({@code pad}); parameters stay the checkpoint's. */
    public static WeightBytes weights(Model m, Range layers, int denseLayers, int moeLayers, int tp, int tpRank,
                                      int qHeads, int kvHeads, int localExperts, int expertWidth, int sharedWidth,
                                      int ffnWidth, int vocabRows, boolean embedding, boolean lmHead, LayoutRules.Pad pad) {
        double base = m.dtype().bytes();
        long h = m.hidden();
        long attention = 0, scales = 0, params = 0;
        int n = layers.size();
        // ---- attention of one layer on this rank
        long attnL, attnScales, attnParams;
        if (m.isMla()) {
            Mla a = m.mla();
            long qk = a.qkNopeHeadDim() + a.qkRopeHeadDim();
            long[] acc = new long[2];
            long p = 0;
            if (a.qLoraRank() > 0) {
                add(acc, linear(m, "attention", a.qLoraRank(), h));                 // q_a_proj (replicated)
                add(acc, linear(m, "attention", qHeads * qk, a.qLoraRank()));       // q_b_proj (column parallel)
                acc[0] += (long) (a.qLoraRank() * base);                            // q_a_layernorm
                p += h * a.qLoraRank() + (long) qHeads * qk * a.qLoraRank() + a.qLoraRank();
            } else {
                add(acc, linear(m, "attention", qHeads * qk, h));
                p += h * qHeads * qk;
            }
            add(acc, linear(m, "attention", a.kvLoraRank() + a.qkRopeHeadDim(), h));  // kv_a_proj_with_mqa (replicated)
            acc[0] += (long) (a.kvLoraRank() * base);                                 // kv_a_layernorm
            add(acc, linear(m, "attention", (long) qHeads * (a.qkNopeHeadDim() + a.vHeadDim()), a.kvLoraRank())); // kv_b_proj
            add(acc, linear(m, "attention", h, (long) qHeads * a.vHeadDim()));        // o_proj (row parallel)
            p += h * (a.kvLoraRank() + a.qkRopeHeadDim()) + a.kvLoraRank()
                    + (long) a.kvLoraRank() * qHeads * (a.qkNopeHeadDim() + a.vHeadDim()) + (long) qHeads * a.vHeadDim() * h;
            attnL = acc[0];
            attnScales = acc[1];
            attnParams = p;
        } else {
            long d = m.headDim();
            long qd = qHeads * d, kvd = (long) kvHeads * d;
            long[] acc = new long[2];
            add(acc, linear(m, "attention", qd + 2 * kvd, h));   // qkv_proj (QKVParallelLinear)
            add(acc, linear(m, "attention", h, qd));             // o_proj (RowParallelLinear)
            long extra = 0;
            if (m.qkvBias()) extra += qd + 2 * kvd;
            if (m.oBias()) extra += h;                           // row-parallel bias is kept whole on every rank
            if (m.qkNorm()) extra += 2 * d;
            if (m.attentionSinks()) extra += qHeads;
            acc[0] += (long) Math.ceil(extra * base);
            attnL = acc[0];
            attnScales = acc[1];
            attnParams = h * (qd + 2 * kvd) + qd * h + extra;
        }
        attention = attnL * n;
        scales += attnScales * n;
        params += attnParams * n;
        // ---- dense FFN (SwiGLU: gate_up column parallel, down row parallel)
        long ffn = 0;
        if (denseLayers > 0 && ffnWidth > 0) {
            long[] acc = new long[2];
            add(acc, linear(m, "dense_ffn", 2L * ffnWidth, h));
            add(acc, linear(m, "dense_ffn", h, ffnWidth));
            ffn = acc[0] * denseLayers;
            scales += acc[1] * denseLayers;
            params += 3L * h * ffnWidth * denseLayers;
        }
        // ---- MoE layers: local routed experts, shared experts, router
        long experts = 0, shared = 0, router = 0;
        Moe moe = m.moe();
        if (moe != null && moeLayers > 0) {
            long[] e = new long[2];
            if (localExperts > 0 && expertWidth > 0) {
                long pw = LayoutRules.Pad.up(expertWidth, pad.width()), ph = LayoutRules.Pad.up(h, pad.hidden());
                add(e, linear(m, "experts", 2L * pw, ph));
                add(e, linear(m, "experts", ph, pw));
                if (moe.expertBias()) e[0] += (long) Math.ceil((2L * pw + ph) * base);
            }
            experts = e[0] * localExperts * moeLayers;
            scales += e[1] * localExperts * moeLayers;
            params += (3L * h * expertWidth + (moe.expertBias() ? 2L * expertWidth + h : 0)) * localExperts * moeLayers;
            if (sharedWidth > 0) {
                long[] s = new long[2];
                add(s, linear(m, "shared_experts", 2L * sharedWidth, h));
                add(s, linear(m, "shared_experts", h, sharedWidth));
                if (moe.sharedExpertGate()) s[0] += (long) Math.ceil(h * base);   // Qwen2-MoE's gate, replicated
                shared = s[0] * moeLayers;
                scales += s[1] * moeLayers;
                params += (3L * h * sharedWidth + (moe.sharedExpertGate() ? h : 0)) * moeLayers;
            }
            long rp = m.routerParams();
            router = (long) Math.ceil(rp * base) * moeLayers;   // the gate is replicated and kept in bf16
            params += rp * moeLayers;
        }
        // ---- norms: two RMSNorms per layer, the final norm on the last stage
        long normElems = 2L * h * n + (lmHead ? h : 0);
        long norms = (long) Math.ceil(normElems * base);
        params += normElems;
        long emb = embedding ? (long) Math.ceil((long) vocabRows * h * base) : 0;
        long head = 0;
        if (lmHead && !(m.tiedEmbeddings() && embedding)) head = (long) Math.ceil((long) vocabRows * h * base);
        params += (embedding ? (long) vocabRows * h : 0) + (head > 0 ? (long) vocabRows * h : 0);
        return new WeightBytes(attention, ffn, experts, shared, router, norms, emb, head, scales, params);
    }

    private static void add(long[] acc, long[] x) {
        acc[0] += x[0];
        acc[1] += x[1];
    }

    /**
     * Bytes of the whole checkpoint: every layer, expert and head unsharded, the embedding and LM
     * head (tied ones once), plus its MTP layers (one MoE or dense layer each, with eh_proj and
     * two norms), which the checkpoint ships whether or not a plan drafts with them.
     */
    public static long checkpointBytes(Model m) {
        int dense = m.moe() == null ? m.layers() : m.moe().denseLayers();
        int moe = m.layers() - dense;
        Moe x = m.moe();
        long all = weights(m, new Range(0, m.layers()), dense, moe, 1, 0, m.heads(), m.kvHeads(), x == null ? 0 : x.experts(),
                x == null ? 0 : x.expertFfn(), x == null ? 0 : x.sharedFfn(), m.ffn(), m.vocab(), true, true).total();
        if (m.mtpLayers() > 0) {
            long layer = weights(m, new Range(0, 1), x == null ? 1 : 0, x == null ? 0 : 1, 1, 0, m.heads(), m.kvHeads(),
                    x == null ? 0 : x.experts(), x == null ? 0 : x.expertFfn(), x == null ? 0 : x.sharedFfn(), m.ffn(), 0, false, false).total();
            all += m.mtpLayers() * (layer + (long) Math.ceil((2L * m.hidden() * m.hidden() + 2L * m.hidden()) * m.dtype().bytes()));
        }
        return all;
    }

    /** Bytes of the base dtype, for callers that size activations. */
    public static double baseBytes(Model m) {
        DType d = m.dtype();
        return d == null ? 2.0 : d.bytes();
    }
}
