"""DeepSeek-V2 and DeepSeek-V3 (also Kimi-K2 and, for sequences no longer than index_topk,
V3.2), as their modelling code on the Hugging Face hub (modeling_deepseek.py) defines them.

Multi-head latent attention: q = q_b(rms(q_a(x))) (or q_proj(x) without q_lora_rank), split per
head into [nope | rope]; kv_a(x) = [latent | k_rope], k_rope shared by all heads; k_nope and v per
head from kv_b(rms(latent)). RoPE rotates adjacent dimension pairs (the checkpoint's layout; the
reference code turns them as complex numbers). Scores scale by 1/sqrt(nope + rope), times
mscale(factor, mscale_all_dim)^2 with YaRN.

MoE after first_k_dense_replace dense layers. V3 (noaux_tc): scores = sigmoid(gate(x)); the
choice adds e_score_correction_bias; groups score the sum of their two best choices, the best
topk_group groups stay, the others' choices become 0, and the top-k experts are picked; their
weights are the scores without the bias, renormalised (norm_topk_prob) and always times
routed_scaling_factor. V2: scores = softmax(gate(x)); greedy top-k, or group_limited_greedy
(groups score their best expert); renormalised when norm_topk_prob, else times
routed_scaling_factor. Shared experts are added unweighted.
"""

from __future__ import annotations

import torch

from .common import CausalLM, _yarn_mscale, causal_attention, rms, rope_pairs


class DeepSeekLM(CausalLM):
    def __init__(self, cfg, src):
        super().__init__(cfg, src)
        c, H = cfg.mla, cfg.hidden
        self.v3 = cfg.family == "deepseek_v3"
        self.qk = c.qk_nope_head_dim + c.qk_rope_head_dim
        self.scale = self.qk ** -0.5
        sc = cfg.rope_scaling
        if sc is not None and sc.type == "yarn" and sc.mscale_all_dim:
            self.scale *= _yarn_mscale(sc.factor, sc.mscale_all_dim) ** 2
        self.L = []
        for i in range(cfg.layers):
            p = f"model.layers.{i}."
            a = p + "self_attn."
            d = {"in": self.w(p + "input_layernorm.weight", (H,)), "post": self.w(p + "post_attention_layernorm.weight", (H,))}
            if c.q_lora_rank:
                d["q_a"] = self.w.linear(a + "q_a_proj", c.q_lora_rank, H, "attention")
                d["q_a_norm"] = self.w(a + "q_a_layernorm.weight", (c.q_lora_rank,))
                d["q_b"] = self.w.linear(a + "q_b_proj", cfg.heads * self.qk, c.q_lora_rank, "attention")
            else:
                d["q"] = self.w.linear(a + "q_proj", cfg.heads * self.qk, H, "attention")
            d["kv_a"] = self.w.linear(a + "kv_a_proj_with_mqa", c.kv_lora_rank + c.qk_rope_head_dim, H, "attention")
            d["kv_norm"] = self.w(a + "kv_a_layernorm.weight", (c.kv_lora_rank,))
            d["kv_b"] = self.w.linear(a + "kv_b_proj", cfg.heads * (c.qk_nope_head_dim + c.v_head_dim), c.kv_lora_rank, "attention")
            d["o"] = self.w.linear(a + "o_proj", H, cfg.heads * c.v_head_dim, "attention")
            m = p + "mlp."
            if cfg.moe is not None and i >= cfg.moe.dense_layers:
                mo = cfg.moe
                d["gate"] = self.w(m + "gate.weight", (mo.experts, H))
                d["bias"] = self.w(m + "gate.e_score_correction_bias", (mo.experts,)) if self.v3 else None
                d["experts"] = [self._swiglu_weights(m + f"experts.{e}.", mo.expert_ffn, "experts") for e in range(mo.experts)]
                d["shared"] = self._swiglu_weights(m + "shared_experts.", mo.shared_ffn, "shared_experts") if mo.shared_ffn else None
            else:
                d["dense"] = self._swiglu_weights(m, cfg.ffn, "dense_ffn")
            self.L.append(d)

    def _swiglu_weights(self, p, inter, part):
        H = self.cfg.hidden
        return (self.w.linear(p + "gate_proj", inter, H, part), self.w.linear(p + "up_proj", inter, H, part),
                self.w.linear(p + "down_proj", H, inter, part))

    @staticmethod
    def _swiglu(h, ws):
        g, u, dn = ws
        a = h @ g.T
        return (a * torch.sigmoid(a) * (h @ u.T)) @ dn.T

    def attention(self, d, h, pos):
        cfg, c = self.cfg, self.cfg.mla
        B, L, _ = h.shape
        nope, rope, kvl, nh = c.qk_nope_head_dim, c.qk_rope_head_dim, c.kv_lora_rank, cfg.heads
        q = (rms(h @ d["q_a"].T, d["q_a_norm"], cfg.norm_eps) @ d["q_b"].T) if "q_a" in d else h @ d["q"].T
        q = q.view(B, L, nh, self.qk).transpose(1, 2)
        q_nope, q_pe = q[..., :nope], q[..., nope:]
        ckv = h @ d["kv_a"].T
        latent, k_pe = ckv[..., :kvl], ckv[..., kvl:].reshape(B, 1, L, rope)
        kv = (rms(latent, d["kv_norm"], cfg.norm_eps) @ d["kv_b"].T).view(B, L, nh, nope + c.v_head_dim).transpose(1, 2)
        k_nope, v = kv[..., :nope], kv[..., nope:]
        q_pe, k_pe = rope_pairs(q_pe, pos, cfg), rope_pairs(k_pe, pos, cfg)
        query = torch.cat([q_nope, q_pe], dim=-1)
        key = torch.cat([k_nope, k_pe.expand(B, nh, L, rope)], dim=-1)
        o = causal_attention(query, key, v, self.scale)
        return o.transpose(1, 2).reshape(B, L, nh * c.v_head_dim) @ d["o"].T

    def moe(self, d, h):
        mo = self.cfg.moe
        B, L, H = h.shape
        x = h.reshape(B * L, H)
        logits = x @ d["gate"].T
        scores = torch.sigmoid(logits) if mo.scoring == "sigmoid" else torch.softmax(logits, dim=-1)
        choice = scores + d["bias"] if d["bias"] is not None else scores
        if mo.n_group > 1:
            per = choice.view(B * L, mo.n_group, -1)
            gscore = per.topk(2, dim=-1)[0].sum(-1) if self.v3 else per.max(dim=-1)[0]
            groups = torch.topk(gscore, mo.topk_group, dim=-1)[1]
            mask = torch.zeros_like(gscore).scatter(1, groups, 1.0)
            allowed = mask[..., None].expand(-1, -1, mo.experts // mo.n_group).reshape(B * L, mo.experts)
            choice = choice.masked_fill(allowed == 0, 0.0)
        idx = torch.topk(choice, mo.top_k, dim=-1)[1]
        weight = scores.gather(1, idx)
        if mo.top_k > 1 and mo.norm_topk_prob:
            weight = weight / (weight.sum(-1, keepdim=True) + 1e-20)
            if self.v3:
                weight = weight * mo.routed_scaling_factor
        else:
            weight = weight * mo.routed_scaling_factor
        dense = torch.zeros(B * L, mo.experts, dtype=x.dtype).scatter(1, idx, weight)
        out = torch.zeros_like(x)
        for e, ws in enumerate(d["experts"]):
            out = out + dense[:, e:e + 1] * self._swiglu(x, ws)
        if d["shared"] is not None:
            out = out + self._swiglu(x, d["shared"])
        return out.view(B, L, H)

    def layer(self, i, x, pos):
        d, eps = self.L[i], self.cfg.norm_eps
        x = x + self.attention(d, rms(x, d["in"], eps), pos)
        h = rms(x, d["post"], eps)
        return x + (self._swiglu(h, d["dense"]) if "dense" in d else self.moe(d, h))
