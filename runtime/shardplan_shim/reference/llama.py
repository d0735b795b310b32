"""Llama (also Mistral, whose checkpoints are Llama's) and Qwen2, as Hugging Face transformers'
modeling_llama / modeling_qwen2 define them.

Decoder layer: x + o_proj(attention(input_layernorm(x))), then x + mlp(post_attention_layernorm(x))
with mlp = down_proj(silu(gate_proj(x)) * up_proj(x)). Attention: q/k/v projections, RoPE on q and
k (rotate_half over the head's two halves; llama3/yarn/linear scaled as config.rope_scaling says),
causal softmax(q k^T / sqrt(head_dim)) v with each KV head shared by heads / kv_heads query heads;
Mistral-style sliding layers see only the last sliding_window tokens. Llama's attention_bias adds
a bias to q, k, v and o; Qwen2 always biases q, k and v and never o.
"""

from __future__ import annotations

import torch

from .common import CausalLM, causal_attention, repeat_kv, rms, rope_halves


class LlamaLM(CausalLM):
    def __init__(self, cfg, src):
        super().__init__(cfg, src)
        if cfg.family in ("qwen2", "qwen2_moe"):
            if not cfg.qkv_bias or cfg.o_bias:
                raise ValueError("Qwen2's definition biases q, k and v but not o")
            self.qkv_bias, self.o_bias = True, False
        else:
            if cfg.qkv_bias != cfg.o_bias:
                raise ValueError(f"{cfg.family}'s attention_bias biases q, k, v and o alike")
            self.qkv_bias = self.o_bias = cfg.qkv_bias
        H, hd = cfg.hidden, cfg.head_dim
        self.L = []
        for i in range(cfg.layers):
            p = f"model.layers.{i}."
            a = p + "self_attn."
            d = {"in": self.w(p + "input_layernorm.weight", (H,)), "post": self.w(p + "post_attention_layernorm.weight", (H,))}
            for n, rows in (("q", cfg.heads), ("k", cfg.kv_heads), ("v", cfg.kv_heads)):
                d[n] = self.w.linear(a + f"{n}_proj", rows * hd, H, "attention")
                d["b" + n] = self.w(a + f"{n}_proj.bias", (rows * hd,)) if self.qkv_bias else None
            d["o"] = self.w.linear(a + "o_proj", H, cfg.heads * hd, "attention")
            d["bo"] = self.w(a + "o_proj.bias", (H,)) if self.o_bias else None
            self.extra_attention(d, a)
            self.load_mlp(d, i)
            self.L.append(d)

    def extra_attention(self, d, prefix):
        pass

    def load_mlp(self, d, i):
        cfg = self.cfg
        p = f"model.layers.{i}.mlp."
        for n, shape in (("gate", (cfg.ffn, cfg.hidden)), ("up", (cfg.ffn, cfg.hidden)), ("down", (cfg.hidden, cfg.ffn))):
            d[n] = self.w.linear(p + f"{n}_proj", shape[0], shape[1], "dense_ffn")

    def qk(self, d, q, k):
        """Hook between the projections and RoPE (Qwen3 normalises here)."""
        return q, k

    def attention(self, d, i, h, pos):
        cfg = self.cfg
        B, L, _ = h.shape
        def proj(w, b, n):
            y = h @ w.T + (0 if b is None else b)
            return y.view(B, L, n, cfg.head_dim).transpose(1, 2)
        q, k, v = proj(d["q"], d["bq"], cfg.heads), proj(d["k"], d["bk"], cfg.kv_heads), proj(d["v"], d["bv"], cfg.kv_heads)
        q, k = self.qk(d, q, k)
        q, k = rope_halves(q, pos, cfg), rope_halves(k, pos, cfg)
        n = cfg.heads // cfg.kv_heads
        window = cfg.sliding_window if cfg.layer_types[i] == "sliding_attention" else 0
        o = causal_attention(q, repeat_kv(k, n), repeat_kv(v, n), cfg.head_dim ** -0.5, window)
        o = o.transpose(1, 2).reshape(B, L, cfg.heads * cfg.head_dim) @ d["o"].T
        return o if d["bo"] is None else o + d["bo"]

    def mlp(self, d, i, h):
        g, u = h @ d["gate"].T, h @ d["up"].T
        return (g * torch.sigmoid(g) * u) @ d["down"].T

    def layer(self, i, x, pos):
        d, eps = self.L[i], self.cfg.norm_eps
        x = x + self.attention(d, i, rms(x, d["in"], eps), pos)
        return x + self.mlp(d, i, rms(x, d["post"], eps))
