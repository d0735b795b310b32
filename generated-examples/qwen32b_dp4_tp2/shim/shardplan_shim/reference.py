"""The unpartitioned model, written independently of the sharded code on purpose.

No KV cache (every call recomputes the whole sequence with a causal mask), no head or
vocabulary split, GQA by repeating KV heads, MoE computed densely (every expert on
every token, weighted by a dense routing matrix).  Agreement with the sharded model thus
checks the partitioning, the collectives, the paged cache and the EP dispatch at once.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F

from .model import apply_rope, rms_norm, rope_cos_sin
from .plan import ModelConfig


class ReferenceModel:
    def __init__(self, m: ModelConfig, src):
        self.m, self.src = m, src
        H, V = m.hidden, m.vocab
        g = lambda name, shape: src.get(name, shape)   # full tensors
        self.embed = g("model.embed_tokens.weight", (V, H))
        self.head = self.embed if m.tied_embeddings else g("lm_head.weight", (V, H))
        self.norm = g("model.norm.weight", (H,))
        self.layers = []
        for l in range(m.layers):
            p = f"model.layers.{l}."
            d = {"ln1": g(p + "input_layernorm.weight", (H,)), "ln2": g(p + "post_attention_layernorm.weight", (H,))}
            a = p + "self_attn."
            if m.attention == "mla":
                c = m.mla
                dqk = c.qk_nope_head_dim + c.qk_rope_head_dim
                if c.q_lora_rank:
                    d["q_a"] = g(a + "q_a_proj.weight", (c.q_lora_rank, H))
                    d["q_a_ln"] = g(a + "q_a_layernorm.weight", (c.q_lora_rank,))
                    d["q_b"] = g(a + "q_b_proj.weight", (m.heads * dqk, c.q_lora_rank))
                else:
                    d["q"] = g(a + "q_proj.weight", (m.heads * dqk, H))
                d["kv_a"] = g(a + "kv_a_proj_with_mqa.weight", (c.kv_lora_rank + c.qk_rope_head_dim, H))
                d["kv_a_ln"] = g(a + "kv_a_layernorm.weight", (c.kv_lora_rank,))
                d["kv_b"] = g(a + "kv_b_proj.weight", (m.heads * (c.qk_nope_head_dim + c.v_head_dim), c.kv_lora_rank))
                d["o"] = g(a + "o_proj.weight", (H, m.heads * c.v_head_dim))
            else:
                hd = m.head_dim
                for n, rows in (("q", m.heads), ("k", m.kv_heads), ("v", m.kv_heads)):
                    d[n] = g(a + f"{n}_proj.weight", (rows * hd, H))
                    d["b" + n] = g(a + f"{n}_proj.bias", (rows * hd,)) if m.qkv_bias else None
                d["o"] = g(a + "o_proj.weight", (H, m.heads * hd))
            f = p + "mlp."
            if m.is_moe_layer(l):
                mo = m.moe
                d["router"] = g(f + "gate.weight", (mo.experts, H))
                d["experts"] = [tuple(g(f"{f}experts.{e}.{n}_proj.weight", s) for n, s in
                                      (("gate", (mo.expert_ffn, H)), ("up", (mo.expert_ffn, H)), ("down", (H, mo.expert_ffn))))
                                for e in range(mo.experts)]
                if mo.shared_experts:
                    I = mo.shared_experts * mo.expert_ffn
                    d["shared"] = tuple(g(f"{f}shared_experts.{n}_proj.weight", s) for n, s in
                                        (("gate", (I, H)), ("up", (I, H)), ("down", (H, I))))
            else:
                d["ffn"] = tuple(g(f"{f}{n}_proj.weight", s) for n, s in
                                 (("gate", (m.ffn, H)), ("up", (m.ffn, H)), ("down", (H, m.ffn))))
            self.layers.append(d)

    # --------------------------------------------------------------------------------------
    def _attn_gqa(self, d, x, cos, sin):
        m = self.m
        B, L, H = x.shape
        hd = m.head_dim
        q = F.linear(x, d["q"], d["bq"]).view(B * L, m.heads, hd)
        k = F.linear(x, d["k"], d["bk"]).view(B * L, m.kv_heads, hd)
        v = F.linear(x, d["v"], d["bv"]).view(B, L, m.kv_heads, hd)
        q = apply_rope(q, cos, sin).view(B, L, m.heads, hd).transpose(1, 2)
        k = apply_rope(k, cos, sin).view(B, L, m.kv_heads, hd)
        rep = m.heads // m.kv_heads
        k = k.repeat_interleave(rep, dim=2).transpose(1, 2)      # [B, heads, L, hd]
        v = v.repeat_interleave(rep, dim=2).transpose(1, 2)
        o = self._causal(q, k, v, 1.0 / math.sqrt(hd))
        return F.linear(o.transpose(1, 2).reshape(B, L, m.heads * hd), d["o"])

    def _attn_mla(self, d, x, cos, sin):
        m, c = self.m, self.m.mla
        B, L, H = x.shape
        nope, rope, kvl, dv = c.qk_nope_head_dim, c.qk_rope_head_dim, c.kv_lora_rank, c.v_head_dim
        xf = x.reshape(B * L, H)
        if c.q_lora_rank:
            q = F.linear(rms_norm(F.linear(xf, d["q_a"]), d["q_a_ln"], m.norm_eps), d["q_b"])
        else:
            q = F.linear(xf, d["q"])
        q = q.view(B * L, m.heads, nope + rope)
        q = torch.cat([q[..., :nope], apply_rope(q[..., nope:], cos, sin)], -1)
        ckv = F.linear(xf, d["kv_a"])
        lat = rms_norm(ckv[:, :kvl], d["kv_a_ln"], m.norm_eps)
        kpe = apply_rope(ckv[:, None, kvl:], cos, sin)                # [BL, 1, rope]
        kv = F.linear(lat, d["kv_b"]).view(B * L, m.heads, nope + dv)
        k = torch.cat([kv[..., :nope], kpe.expand(B * L, m.heads, rope)], -1)
        v = kv[..., nope:]
        sh = lambda t: t.reshape(B, L, m.heads, -1).transpose(1, 2)
        o = self._causal(sh(q), sh(k), sh(v), 1.0 / math.sqrt(nope + rope))
        return F.linear(o.transpose(1, 2).reshape(B, L, m.heads * dv), d["o"])

    @staticmethod
    def _causal(q, k, v, scale):
        L = q.shape[2]
        s = torch.matmul(q, k.transpose(-1, -2)) * scale
        mask = torch.ones(L, L, dtype=torch.bool, device=q.device).triu(1)
        s = s.masked_fill(mask, float("-inf"))
        return torch.matmul(torch.softmax(s, -1), v)

    def _moe(self, d, x):
        mo = self.m.moe
        probs = torch.softmax(F.linear(x, d["router"]), -1)
        w, ids = torch.topk(probs, mo.top_k, -1)
        if mo.norm_topk_prob:
            w = w / w.sum(-1, keepdim=True)
        dense = torch.zeros_like(probs).scatter(-1, ids, w)           # [..., E]
        out = torch.zeros_like(x)
        for e, (wg, wu, wd) in enumerate(d["experts"]):
            out = out + dense[..., e:e + 1] * F.linear(F.silu(F.linear(x, wg)) * F.linear(x, wu), wd)
        if "shared" in d:
            wg, wu, wd = d["shared"]
            out = out + F.linear(F.silu(F.linear(x, wg)) * F.linear(x, wu), wd)
        return out

    def forward(self, tokens: torch.Tensor) -> torch.Tensor:
        """tokens [B, L] -> logits [B, L, vocab]"""
        m = self.m
        B, L = tokens.shape
        x = self.embed[tokens]
        pos = torch.arange(L, device=tokens.device).repeat(B)
        rdim = m.mla.qk_rope_head_dim if m.attention == "mla" else m.head_dim
        cos, sin = rope_cos_sin(pos, rdim, m.rope_theta, x.dtype)
        for d in self.layers:
            h = rms_norm(x, d["ln1"], m.norm_eps)
            x = x + (self._attn_mla(d, h, cos, sin) if m.attention == "mla" else self._attn_gqa(d, h, cos, sin))
            h = rms_norm(x, d["ln2"], m.norm_eps)
            if "ffn" in d:
                wg, wu, wd = d["ffn"]
                x = x + F.linear(F.silu(F.linear(h, wg)) * F.linear(h, wu), wd)
            else:
                x = x + self._moe(d, h)
        return F.linear(rms_norm(x, self.norm, m.norm_eps), self.head)

    def greedy(self, prompt: torch.Tensor, n: int) -> torch.Tensor:
        seq = prompt
        out = []
        for _ in range(n):
            nxt = self.forward(seq)[:, -1].argmax(-1)
            out.append(nxt)
            seq = torch.cat([seq, nxt[:, None]], 1)
        return torch.stack(out, 1)
