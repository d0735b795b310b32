package dev.shardplan.engine;

import dev.shardplan.units.Fmt;
import dev.shardplan.layout.LayoutRules;
import dev.shardplan.layout.Shard;
import dev.shardplan.layout.Sharding;
import dev.shardplan.model.DType;
import dev.shardplan.model.Model;

/**
 * Sizes the engines' formulas share: the widest live tensors of a forward pass per token, and the
 * KV bytes per token and layer of a rank. Each engine decides what to do with them.
 */
final class Shapes {
    private Shapes() {}

    /**
     * Elements alive per token at the widest point of one decoder layer of this shard (residual +
     * normed input + the layer's widest intermediates): attention 2h + (2q + 2kv)·d (MLA: the
     * query and the up-projected keys and values of the rank's heads), dense MLP 2h + 3·ffn/tp
     * (gate_up and the activation), fused MoE 2h + top_k·(3·expert_width + h) (fused_moe
     * intermediate_cache1..3 of the top-k copies).
     */
    static long forwardPerToken(Model m, Shard s, int tp) {
        long h = m.hidden();
        long attn = 2 * h + (m.isMla()
                ? (long) s.qHeads().size() * (m.mla().qkNopeHeadDim() + 2L * m.mla().qkRopeHeadDim() + m.mla().vHeadDim())
                : (long) (2 * s.qHeads().size() + 2 * Math.max(1, s.kvHeads().size())) * m.headDim());
        // the residual, the normed input and the down projection's output beside gate_up (2 x ffn) and act (ffn)
        long dense = s.denseLayers() > 0 ? 3 * h + 3L * m.ffn() / tp : 0;
        long moe = 0;
        if (m.moe() != null && s.moeLayers() > 0) moe = 3 * h + (long) m.moe().topK() * (3L * s.expertFfn().size() + h);
        return Math.max(attn, Math.max(dense, moe));
    }

    /**
     * KV entry of a rank for full attention or dense MLA: kv_heads_per_rank x (head_dim + head_dim_v)
     * x dtype; MLA (kv_lora_rank + qk_rope_head_dim) x dtype, the same on every rank.
     */
    static KvBytes kvBytes(Model m, int tp, DType kv, LayoutRules.KvHeadRounding rounding, String headsSource) {
        long elems = Sharding.kvElementsPerTokenPerLayer(m, tp, rounding);
        long bytes = (long) Math.ceil(elems * kv.bytes());
        if (m.isMla()) {
            return new KvBytes(bytes, "(kv_lora_rank + qk_rope_head_dim) x dtype",
                    "(" + m.mla().kvLoraRank() + " + " + m.mla().qkRopeHeadDim() + ") x " + Fmt.plain(kv.bytes()) + " = " + bytes,
                    "MLA caches its latent and rope key per token on every rank, not split by tp");
        }
        return new KvBytes(bytes, "kv_heads_per_rank x (head_dim + head_dim_v) x dtype",
                Sharding.kvHeadsCached(m, tp, rounding) + " x 2 x " + m.headDim() + " x " + Fmt.plain(kv.bytes()) + " = " + bytes, headsSource);
    }

    static String gib(long bytes) {
        return Fmt.gib(bytes);
    }

    /**
     * MTP layers the drafter runs on a rank: the checkpoint's next-token layers, on the last
     * stage (the one that holds the LM head), when the plan drafts with them.
     */
    static int mtpLayers(EngineConfig cfg, dev.shardplan.model.Plan plan, Shard s) {
        var e = cfg.role(Role.SPEC_TOKENS);
        if (e.isEmpty() || e.get().count() <= 0 || !s.lmHead()) return 0;
        return plan.model().mtpLayers();
    }

    /**
     * Weights one MTP layer adds to a rank: a decoder layer of the model's last kind (MoE for
     * DeepSeek), sharded like the rank's own layers, plus its eh_proj (2h x h) and the two norms
     * before it, both replicated. The embedding and LM head are the target model's: vLLM, SGLang
     * and TensorRT-LLM share them with the drafter (vllm v1/spec_decode/eagle.py load_model,
     * sglang eagle_worker set_embed_and_head).
     */
    static long mtpWeights(dev.shardplan.model.Plan plan, dev.shardplan.layout.Rank r, int tp) {
        Model m = plan.model();
        Shard s = r.shard();
        boolean moe = m.moe() != null;
        dev.shardplan.layout.WeightBytes w = Sharding.weights(m, new dev.shardplan.layout.Range(0, 1), moe ? 0 : 1, moe ? 1 : 0, tp, r.tp(),
                s.qHeads().size(), s.kvHeads().size(), s.experts().size(), s.expertFfn().size(), s.sharedFfn().size(),
                s.ffn().size(), 0, false, false);
        double base = m.dtype().bytes();
        long h = m.hidden();
        return w.total() + (long) Math.ceil((2 * h * h + 2 * h) * base);
    }
}
