"""gpt-oss, as transformers' modeling_gpt_oss defines it.

Attention: q/k/v/o projections with biases; YaRN-scaled RoPE over the head's two halves (cos and
sin carry YaRN's attention factor); scores scaled by 1/sqrt(head_dim); layers alternate
sliding-window (config.layer_types) and full attention; each head's learnt sink logit is
appended to its scores before the softmax and its probability dropped.
MoE in every layer: router logits = router(x) (with bias); the top-k logits are softmaxed into
the weights; each expert: gate_up = x @ gate_up_proj[e] + bias, gate = gate_up[..., ::2],
up = gate_up[..., 1::2], gate clamped above at swiglu_limit, up to ±swiglu_limit,
glu = gate * sigmoid(1.702 * gate), out = ((up + 1) * glu) @ down_proj[e] + bias. Experts are
stored as [E, in, out] tensors, or MXFP4 blocks (dequantised to [E, out, in], then transposed).
"""

from __future__ import annotations

import torch

from .common import CausalLM, causal_attention, repeat_kv, rms, rope_halves

ALPHA = 1.702


class GptOssLM(CausalLM):
    def __init__(self, cfg, src):
        super().__init__(cfg, src)
        H, hd, mo = cfg.hidden, cfg.head_dim, cfg.moe
        E, I = mo.experts, mo.expert_ffn
        self.L = []
        for i in range(cfg.layers):
            p = f"model.layers.{i}."
            a = p + "self_attn."
            d = {"in": self.w(p + "input_layernorm.weight", (H,)), "post": self.w(p + "post_attention_layernorm.weight", (H,))}
            for n, rows in (("q", cfg.heads), ("k", cfg.kv_heads), ("v", cfg.kv_heads)):
                d[n] = self.w.linear(a + f"{n}_proj", rows * hd, H, "attention")
                d["b" + n] = self.w(a + f"{n}_proj.bias", (rows * hd,))
            d["o"] = self.w.linear(a + "o_proj", H, cfg.heads * hd, "attention")
            d["bo"] = self.w(a + "o_proj.bias", (H,))
            d["sinks"] = self.w(a + "sinks", (cfg.heads,))
            m = p + "mlp."
            d["router"] = self.w(m + "router.weight", (E, H))
            d["router_bias"] = self.w(m + "router.bias", (E,))
            x = m + "experts."
            if cfg.quant is not None and cfg.quant.scheme == "mxfp4" and "experts" in cfg.quant.parts:
                d["gate_up"] = self.w.mxfp4(x + "gate_up_proj", E, 2 * I, H).transpose(1, 2)
                d["down"] = self.w.mxfp4(x + "down_proj", E, H, I).transpose(1, 2)
            else:
                d["gate_up"] = self.w(x + "gate_up_proj", (E, H, 2 * I))
                d["down"] = self.w(x + "down_proj", (E, I, H))
            d["gate_up_bias"] = self.w(x + "gate_up_proj_bias", (E, 2 * I))
            d["down_bias"] = self.w(x + "down_proj_bias", (E, H))
            self.L.append(d)

    def attention(self, d, i, h, pos):
        cfg = self.cfg
        B, L, _ = h.shape
        def proj(n, heads):
            return (h @ d[n].T + d["b" + n]).view(B, L, heads, cfg.head_dim).transpose(1, 2)
        q, k, v = proj("q", cfg.heads), proj("k", cfg.kv_heads), proj("v", cfg.kv_heads)
        q, k = rope_halves(q, pos, cfg), rope_halves(k, pos, cfg)
        n = cfg.heads // cfg.kv_heads
        window = cfg.sliding_window if cfg.layer_types[i] == "sliding_attention" else 0
        o = causal_attention(q, repeat_kv(k, n), repeat_kv(v, n), cfg.head_dim ** -0.5, window, d["sinks"])
        return o.transpose(1, 2).reshape(B, L, cfg.heads * cfg.head_dim) @ d["o"].T + d["bo"]

    def moe(self, d, h):
        cfg, mo = self.cfg, self.cfg.moe
        limit = cfg.swiglu_limit
        logits = h @ d["router"].T + d["router_bias"]
        top, idx = torch.topk(logits, mo.top_k, dim=-1)
        weight = torch.zeros_like(logits).scatter(-1, idx, torch.softmax(top, dim=-1))
        out = torch.zeros_like(h)
        for e in range(mo.experts):
            gu = h @ d["gate_up"][e] + d["gate_up_bias"][e]
            gate, up = gu[..., ::2].clamp(max=limit), gu[..., 1::2].clamp(min=-limit, max=limit)
            y = ((up + 1) * (gate * torch.sigmoid(gate * ALPHA))) @ d["down"][e] + d["down_bias"][e]
            out = out + weight[..., e:e + 1] * y
        return out

    def layer(self, i, x, pos):
        d, eps = self.L[i], self.cfg.norm_eps
        x = x + self.attention(d, i, rms(x, d["in"], eps), pos)
        return x + self.moe(d, rms(x, d["post"], eps))
