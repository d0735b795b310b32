"""Attention layers of the partitioned model: grouped-query attention (Llama, Qwen, Mixtral,
gpt-oss) and DeepSeek's multi-head latent attention, each holding this rank's heads.

GQA: q/k/v column-parallel by heads (KV heads replicated when tp > kv_heads), o_proj
row-parallel followed by an all-reduce over TP, its bias added once after it. Optional: q/k/v
and o biases, per-head q/k RMSNorm before RoPE (Qwen3), a sliding window on some layers and
per-head attention sinks (gpt-oss).
MLA: the latent projections (q_a, kv_a) are replicated, so the latent cache is whole on every
TP rank; q_b, kv_b and o_proj are split by heads; decode absorbs kv_b into the query and the
output and attends over the latent cache.
"""

from __future__ import annotations

import torch
import torch.nn as nn
import torch.nn.functional as F

from .config import PlanError
from .kernels import decode_kv, rms_norm, seq_keys, softmax_dtype
from .kvcache import write_cache
from .rope import mla_softmax_scale


def _param(t: torch.Tensor | None):
    return None if t is None else nn.Parameter(t, requires_grad=False)


class GQAttention(nn.Module):
    def __init__(self, m, info, layer: int, load, names, comm, rotary, kernels):
        super().__init__()
        self.comm, self.rotary, self.kernels, self.eps = comm, rotary, kernels, m.norm_eps
        hd = self.hd = m.head_dim
        (q0, q1), (k0, k1) = info.q_heads, info.kv_heads
        self.hq, self.hkv = q1 - q0, k1 - k0
        group = m.heads // m.kv_heads
        # Local query head i uses local KV head (q0 + i) // group - k0; the batched kernels need the
        # regular layout "g consecutive q heads per local KV head".
        mapping = [(q0 + i) // group - k0 for i in range(self.hq)]
        if self.hq % self.hkv or mapping != [i // (self.hq // self.hkv) for i in range(self.hq)]:
            raise PlanError(f"rank {info.rank}: q_heads {list(info.q_heads)} / kv_heads {list(info.kv_heads)} do not "
                            f"form whole query groups per local KV head")
        self.g = self.hq // self.hkv
        p, H = names.attn(layer), m.hidden
        qr, kr = (q0 * hd, q1 * hd), (k0 * hd, k1 * hd)
        # q, k and v as one [hq + 2 hkv heads, H] matrix: one GEMM per step.
        self.wqkv = _param(torch.cat([load.linear(p + "q_proj", m.heads * hd, H, qr), load.linear(p + "k_proj", m.kv_heads * hd, H, kr),
                                      load.linear(p + "v_proj", m.kv_heads * hd, H, kr)]))
        self.wo = _param(load.linear(p + "o_proj", H, m.heads * hd, None, qr))
        self.bqkv = _param(torch.cat([load.tensor(p + "q_proj.bias", (m.heads * hd,), [qr]),
                                      load.tensor(p + "k_proj.bias", (m.kv_heads * hd,), [kr]),
                                      load.tensor(p + "v_proj.bias", (m.kv_heads * hd,), [kr])])) if m.qkv_bias else None
        self.bo = _param(load.tensor(p + "o_proj.bias", (H,))) if m.o_bias else None
        self.q_norm = _param(load.tensor(p + "q_norm.weight", (hd,))) if m.qk_norm else None
        self.k_norm = _param(load.tensor(p + "k_norm.weight", (hd,))) if m.qk_norm else None
        self.sinks = _param(load.tensor(p + "sinks", (m.heads,), [(q0, q1)]).view(self.hkv, self.g)) if m.attention_sinks else None
        self.window = m.sliding_window if m.is_sliding(layer) else 0
        self.scale = hd ** -0.5

    def cache_shapes(self, block_size: int):
        return [(block_size, self.hkv, self.hd), (block_size, self.hkv, self.hd)]

    def shapes(self) -> str:
        return f"q {self.hq} kv {self.hkv} heads x {self.hd}" + (f", window {self.window}" if self.window else "")

    def forward(self, x: torch.Tensor, meta, cache) -> torch.Tensor:
        N, hq, hkv = x.shape[0], self.hq, self.hkv
        qkv = F.linear(x, self.wqkv, self.bqkv).view(N, hq + 2 * hkv, self.hd)
        q, k, v = qkv[:, :hq], qkv[:, hq:hq + hkv], qkv[:, hq + hkv:]
        if self.q_norm is not None:
            q, k = rms_norm(q, self.q_norm, self.eps), rms_norm(k, self.k_norm, self.eps)
        cos, sin = meta.rotary(self.rotary, x.dtype)
        q, k = self.rotary.apply(q, cos, sin), self.rotary.apply(k, cos, sin)
        kc, vc = cache
        write_cache(kc, meta, k)
        write_cache(vc, meta, v)
        q = q.reshape(N, hkv, self.g, self.hd)
        if meta.T == 1:
            o = self.kernels.decode(q, decode_kv(kc, meta), decode_kv(vc, meta), meta, self.scale, self.window, self.sinks)
        else:
            o = self.kernels.prefill(q, kc, vc, meta, self.scale, self.window, self.sinks)
        out = self.comm.all_reduce("tp", F.linear(o.reshape(N, hq * self.hd), self.wo))
        return out if self.bo is None else out + self.bo


class MLAttention(nn.Module):
    def __init__(self, m, info, layer: int, load, names, comm, rotary, kernels):
        super().__init__()
        c = self.c = m.mla
        self.comm, self.rotary, self.kernels, self.eps = comm, rotary, kernels, m.norm_eps
        q0, q1 = info.q_heads
        self.hl, H = q1 - q0, m.hidden
        self.dqk = dqk = c.qk_nope_head_dim + c.qk_rope_head_dim
        p = names.attn(layer)
        if c.q_lora_rank:
            self.q_a = _param(load.linear(p + "q_a_proj", c.q_lora_rank, H))
            self.q_a_ln = _param(load.tensor(p + "q_a_layernorm.weight", (c.q_lora_rank,)))
            self.q_b = _param(load.linear(p + "q_b_proj", m.heads * dqk, c.q_lora_rank, (q0 * dqk, q1 * dqk)))
        else:
            self.q_a = self.q_a_ln = None
            self.q_b = _param(load.linear(p + "q_proj", m.heads * dqk, H, (q0 * dqk, q1 * dqk)))
        kvl, rope = c.kv_lora_rank, c.qk_rope_head_dim
        self.kv_a = _param(load.linear(p + "kv_a_proj_with_mqa", kvl + rope, H))
        self.kv_a_ln = _param(load.tensor(p + "kv_a_layernorm.weight", (kvl,)))
        per = c.qk_nope_head_dim + c.v_head_dim
        self.kv_b = _param(load.linear(p + "kv_b_proj", m.heads * per, kvl, (q0 * per, q1 * per)))
        self.wo = _param(load.linear(p + "o_proj", H, m.heads * c.v_head_dim, None, (q0 * c.v_head_dim, q1 * c.v_head_dim)))
        self.scale = mla_softmax_scale(dqk, m.rope_scaling)

    def cache_shapes(self, block_size: int):
        # One "head" holding the normalised latent and the roped key part (as vLLM caches it).
        return [(block_size, 1, self.c.kv_lora_rank + self.c.qk_rope_head_dim)]

    def shapes(self) -> str:
        return f"q {self.hl} heads x {self.dqk}, latent {self.c.kv_lora_rank} + rope {self.c.qk_rope_head_dim}"

    def forward(self, x: torch.Tensor, meta, cache) -> torch.Tensor:
        c, N = self.c, x.shape[0]
        nope, kvl = c.qk_nope_head_dim, c.kv_lora_rank
        q = F.linear(rms_norm(F.linear(x, self.q_a), self.q_a_ln, self.eps), self.q_b) if self.q_a is not None \
            else F.linear(x, self.q_b)
        q = q.view(N, self.hl, self.dqk)
        cos, sin = meta.rotary(self.rotary, x.dtype)
        q = torch.cat([q[..., :nope], self.rotary.apply(q[..., nope:], cos, sin)], dim=-1)
        ckv = F.linear(x, self.kv_a)
        lat = rms_norm(ckv[:, :kvl], self.kv_a_ln, self.eps)
        kpe = self.rotary.apply(ckv[:, None, kvl:], cos, sin)[:, 0]
        (lc,) = cache
        write_cache(lc, meta, torch.cat([lat, kpe], dim=-1)[:, None, :])
        o = self._decode_absorbed(q, lc, meta) if meta.T == 1 else self._prefill(q, lc, meta)
        return self.comm.all_reduce("tp", F.linear(o, self.wo))

    def _prefill(self, q, lc, meta):
        c = self.c
        nope, rope, kvl, per = c.qk_nope_head_dim, c.qk_rope_head_dim, c.kv_lora_rank, c.qk_nope_head_dim + c.v_head_dim
        T, outs = meta.T, []
        for b in range(meta.B):
            L = meta.start[b] + T
            cl = seq_keys(lc, meta.block_table[b], L, meta.block_size)[0]          # [L, kvl + rope]
            kv = F.linear(cl[:, :kvl], self.kv_b).view(L, self.hl, per)
            k = torch.cat([kv[..., :nope], cl[:, None, kvl:].expand(L, self.hl, rope)], dim=-1)
            qb = q[b * T:(b + 1) * T].transpose(0, 1)                              # [hl, T, dqk]
            s = torch.matmul(qb, k.permute(1, 2, 0)).to(softmax_dtype(q.dtype)) * self.scale
            qpos = torch.arange(meta.start[b], L, device=q.device)[:, None]
            s = s.masked_fill(torch.arange(L, device=q.device)[None, :] > qpos, float("-inf"))
            pr = torch.softmax(s, -1).to(kv.dtype)
            outs.append(torch.matmul(pr, kv[..., nope:].transpose(0, 1)).transpose(0, 1))   # [T, hl, dv]
        return torch.cat(outs, 0).reshape(q.shape[0], self.hl * c.v_head_dim)

    def _decode_absorbed(self, q, lc, meta):
        """kv_b absorbed into the query and the output (DeepSeek-V2 sec. 2.1.2):
        q_nope . (W_uk c) = (W_uk^T q_nope) . c and sum p (W_uv c) = W_uv (sum p c), so every local
        head attends directly over the cached [latent | rope key] rows: one shared KV "head", the
        hl query heads as hl query rows. q [B, hl, dqk] -> [B, hl * v_head_dim]"""
        c = self.c
        nope, kvl = c.qk_nope_head_dim, c.kv_lora_rank
        w = self.kv_b.view(self.hl, nope + c.v_head_dim, kvl)
        q_lat = torch.einsum("bhn,hnc->bhc", q[..., :nope], w[:, :nope])
        qa = torch.cat([q_lat, q[..., nope:]], dim=-1)[:, None]                  # [B, 1, hl, kvl + rope]
        kv = decode_kv(lc, meta)                                                  # [B, 1, L, kvl + rope]
        o_lat = self.kernels.decode(qa, kv, kv[..., :kvl], meta, self.scale)[:, 0]  # [B, hl, kvl]
        return torch.einsum("bhc,hvc->bhv", o_lat, w[:, nope:]).reshape(q.shape[0], -1)
