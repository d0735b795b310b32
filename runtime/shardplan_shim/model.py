"""This rank's shard of the model and its paged KV cache.

Hidden states inside a stage are a flat [N, hidden] tensor of N = batch * T tokens
(sequence-major); `StepMeta` carries the per-sequence structure attention needs.

Partitioning (vLLM-style, ranges come from the plan's rank table):
  embedding / LM head  rows split by vocabulary ('vocab'); lookup masks foreign ids and
                       all-reduces, the head all-gathers its logit slices.
  attention            query heads 'q_heads', KV heads 'kv_heads' (replicated when tp >
                       kv_heads); o_proj is row-parallel -> all-reduce over TP.
  MLA                  latent projections (q_a, kv_a) replicated, so the latent KV cache is
                       whole on every TP rank; q_b / kv_b / o_proj split by heads.
  dense FFN            gate/up column-parallel, down row-parallel over 'ffn' -> all-reduce.
  MoE                  router replicated; ep == 1: every expert split over TP like a dense
                       FFN; ep > 1: whole experts per EP rank ('experts'), tokens dispatched
                       to their owners and combined back; shared experts split over TP.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
import torch.nn.functional as F

from .dist import Comm
from .plan import Plan, PlanError

DTYPES = {"fp64": torch.float64, "fp32": torch.float32, "bf16": torch.bfloat16, "fp16": torch.float16}


def compute_dtype(name: str) -> tuple[torch.dtype, str]:
    """Torch dtype used for weights of a plan dtype, and a note when it is an approximation."""
    if name in DTYPES:
        return DTYPES[name], ""
    # Quantised formats are not emulated: the shim computes in bf16 (byte counts differ).
    return torch.bfloat16, f"{name} weights are not emulated; computing in bf16"


def rms_norm(x: torch.Tensor, w: torch.Tensor, eps: float) -> torch.Tensor:
    # Accumulate in at least fp32 (as HF does) so bf16 runs stay stable.
    xf = x.float() if x.dtype in (torch.bfloat16, torch.float16) else x
    y = xf * torch.rsqrt(xf.pow(2).mean(-1, keepdim=True) + eps)
    return y.to(x.dtype) * w


def rope_cos_sin(positions: torch.Tensor, dim: int, theta: float, dtype: torch.dtype):
    """cos/sin tables [N, dim] for the rotate-half RoPE convention (HF Llama layout)."""
    inv = 1.0 / (theta ** (torch.arange(0, dim, 2, dtype=torch.float64, device=positions.device) / dim))
    f = positions.to(torch.float64)[:, None] * inv[None, :]
    emb = torch.cat([f, f], dim=-1)
    return emb.cos().to(dtype), emb.sin().to(dtype)


def apply_rope(x: torch.Tensor, cos: torch.Tensor, sin: torch.Tensor) -> torch.Tensor:
    """x: [N, heads, dim]; cos/sin: [N, dim]."""
    h = x.shape[-1] // 2
    rot = torch.cat([-x[..., h:], x[..., :h]], dim=-1)
    return x * cos[:, None, :] + rot * sin[:, None, :]


@dataclass
class StepMeta:
    """One forward step of one micro-batch: B sequences, T new tokens each."""
    B: int
    T: int
    start: list[int]               # tokens already cached per sequence
    positions: torch.Tensor        # [B*T] absolute positions
    blocks: torch.Tensor           # [B*T] cache block of each new token
    offsets: torch.Tensor          # [B*T] slot inside that block
    block_table: torch.Tensor      # [B, max_blocks]
    contig_stride: int             # >0: sequence b owns blocks base + [b*stride, (b+1)*stride) (zero-copy view)
    contig_base: int
    block_size: int
    cos: torch.Tensor | None = None
    sin: torch.Tensor | None = None
    lens_t: torch.Tensor | None = None

    @property
    def lens(self) -> list[int]:
        return [s + self.T for s in self.start]


# --------------------------------------------------------------------------- attention kernels

def _seq_keys(cache: torch.Tensor, table_row: torch.Tensor, L: int, bs: int) -> torch.Tensor:
    """Gather one sequence's cached keys/values: cache [nb, heads, bs, d] -> [heads, L, d]."""
    nb = (L + bs - 1) // bs
    kb = cache.index_select(0, table_row[:nb])                 # [nb, heads, bs, d]
    return kb.permute(1, 0, 2, 3).reshape(kb.shape[1], nb * bs, kb.shape[3])[:, :L]


def _softmax_dtype(dt: torch.dtype) -> torch.dtype:
    return torch.float32 if dt in (torch.bfloat16, torch.float16) else dt


def attend_per_sequence(q: torch.Tensor, kc: torch.Tensor, vc: torch.Tensor, meta: StepMeta, scale: float,
                        q_chunk: int = 1024):
    """Causal attention of T new queries per sequence over the paged cache, one sequence at
    a time (bounds the score memory to one sequence; used for prefill and as fallback).
    q: [B*T, kvh, g, d]  ->  [B*T, kvh, g, dv]"""
    out = []
    T, bs = meta.T, meta.block_size
    for b in range(meta.B):
        L = meta.start[b] + T
        k = _seq_keys(kc, meta.block_table[b], L, bs)          # [kvh, L, d]
        v = _seq_keys(vc, meta.block_table[b], L, bs)
        kT = k.unsqueeze(1).transpose(-1, -2)
        kpos = torch.arange(L, device=q.device)[None, :]
        # Queries in chunks: the fp32 score matrix of a 4k-token prompt is otherwise GiBs.
        for c0 in range(0, T, q_chunk):
            c1 = min(T, c0 + q_chunk)
            qb = q[b * T + c0:b * T + c1].permute(1, 2, 0, 3)   # [kvh, g, c, d]
            s = torch.matmul(qb, kT).to(_softmax_dtype(q.dtype)) * scale
            qpos = torch.arange(meta.start[b] + c0, meta.start[b] + c1, device=q.device)[:, None]
            s = s.masked_fill(kpos > qpos, float("-inf"))
            p = torch.softmax(s, dim=-1).to(v.dtype)
            o = torch.matmul(p, v.unsqueeze(1))                  # [kvh, g, c, dv]
            out.append(o.permute(2, 0, 1, 3))
    return torch.cat(out, 0)


def attend_decode_blocked(q: torch.Tensor, kc: torch.Tensor, vc: torch.Tensor, meta: StepMeta, scale: float):
    """Decode (T == 1) for the whole batch at once, block by block.

    Scores are computed per cache block with a broadcast batched matmul, so the cache is
    read in place when each sequence's blocks are contiguous (a pure view), or after one
    index_select of the used blocks otherwise; the softmax then spans all blocks.
    q: [B, kvh, g, d] -> [B, kvh, g, d]"""
    B, bs = meta.B, meta.block_size
    lens = meta.lens
    if meta.contig_stride:
        n = meta.contig_stride
        b0 = meta.contig_base
        k = kc.narrow(0, b0, B * n).view(B, n, *kc.shape[1:])    # [B, n, kvh, bs, d], no copy
        v = vc.narrow(0, b0, B * n).view(B, n, *vc.shape[1:])
    else:
        n = (max(lens) + bs - 1) // bs
        idx = meta.block_table[:, :n].reshape(-1)
        k = kc.index_select(0, idx).view(B, n, *kc.shape[1:])
        v = vc.index_select(0, idx).view(B, n, *vc.shape[1:])
    s = torch.matmul(q.unsqueeze(1), k.transpose(-1, -2))        # [B, n, kvh, g, bs]
    s = s.to(_softmax_dtype(q.dtype)) * scale
    kpos = torch.arange(n * bs, device=q.device).view(1, n, 1, 1, bs)
    if meta.lens_t is None:         # once per step, shared by all layers (avoids a copy per layer)
        meta.lens_t = torch.tensor(lens, device=q.device).view(B, 1, 1, 1, 1)
    lim = meta.lens_t
    s = s.masked_fill(kpos >= lim, float("-inf"))
    m = s.amax(dim=(1, 4), keepdim=True)
    p = torch.exp(s - m)
    denom = p.sum(dim=(1, 4), keepdim=True)                     # [B, 1, kvh, g, 1]
    o = torch.matmul(p.to(v.dtype), v).sum(dim=1)               # [B, kvh, g, d]
    return (o.to(denom.dtype) / denom[:, 0]).to(q.dtype)


def write_cache(cache: torch.Tensor, meta: StepMeta, vals: torch.Tensor):
    """cache [nb, heads, bs, d]; vals [N, heads, d] for the new tokens."""
    cache[meta.blocks, :, meta.offsets] = vals.to(cache.dtype)


# --------------------------------------------------------------------------- layers

class Attention:
    """GQA/MHA attention with RoPE, split by heads."""

    def __init__(self, plan: Plan, rank: int, layer: int, src, comm: Comm):
        m = plan.model
        r = plan.rank_info(rank)
        self.m, self.comm = m, comm
        hd = m.head_dim
        self.hd = hd
        q0, q1 = r.q_heads
        k0, k1 = r.kv_heads
        self.hq, self.hkv = q1 - q0, k1 - k0
        group = m.heads // m.kv_heads
        # Local query head i uses local KV head (q0 + i) // group - k0; the batched kernels need
        # that to be the regular layout "g consecutive q heads per local KV head".
        mapping = [(q0 + i) // group - k0 for i in range(self.hq)]
        if self.hq % self.hkv or mapping != [i // (self.hq // self.hkv) for i in range(self.hq)]:
            raise PlanError(f"rank {rank}: q_heads {list(r.q_heads)} / kv_heads {list(r.kv_heads)} do not form "
                            f"whole query groups per local KV head")
        self.g = self.hq // self.hkv
        p = f"model.layers.{layer}.self_attn."
        H = m.hidden
        self.wq = src.get(p + "q_proj.weight", (m.heads * hd, H), [(q0 * hd, q1 * hd), (0, H)])
        self.wk = src.get(p + "k_proj.weight", (m.kv_heads * hd, H), [(k0 * hd, k1 * hd), (0, H)])
        self.wv = src.get(p + "v_proj.weight", (m.kv_heads * hd, H), [(k0 * hd, k1 * hd), (0, H)])
        self.wo = src.get(p + "o_proj.weight", (H, m.heads * hd), [(0, H), (q0 * hd, q1 * hd)])
        if m.qkv_bias:
            self.bq = src.get(p + "q_proj.bias", (m.heads * hd,), [(q0 * hd, q1 * hd)])
            self.bk = src.get(p + "k_proj.bias", (m.kv_heads * hd,), [(k0 * hd, k1 * hd)])
            self.bv = src.get(p + "v_proj.bias", (m.kv_heads * hd,), [(k0 * hd, k1 * hd)])
        else:
            self.bq = self.bk = self.bv = None
        self.scale = 1.0 / math.sqrt(hd)

    def weights(self):
        return [t for t in (self.wq, self.wk, self.wv, self.wo, self.bq, self.bk, self.bv) if t is not None]

    def cache_shapes(self, block_size: int):
        return [(self.hkv, block_size, self.hd), (self.hkv, block_size, self.hd)]

    def forward(self, x: torch.Tensor, meta: StepMeta, cache: list[torch.Tensor]) -> torch.Tensor:
        N = x.shape[0]
        q = F.linear(x, self.wq, self.bq).view(N, self.hq, self.hd)
        k = F.linear(x, self.wk, self.bk).view(N, self.hkv, self.hd)
        v = F.linear(x, self.wv, self.bv).view(N, self.hkv, self.hd)
        q = apply_rope(q, meta.cos, meta.sin)
        k = apply_rope(k, meta.cos, meta.sin)
        kc, vc = cache
        write_cache(kc, meta, k)
        write_cache(vc, meta, v)
        q = q.view(N, self.hkv, self.g, self.hd)
        if meta.T == 1:
            o = attend_decode_blocked(q, kc, vc, meta, self.scale)
        else:
            o = attend_per_sequence(q, kc, vc, meta, self.scale)
        out = F.linear(o.reshape(N, self.hq * self.hd), self.wo)
        return self.comm.all_reduce("tp", out)


class MLAttention:
    """DeepSeek-style multi-head latent attention, heads split by TP, latent cache whole."""

    def __init__(self, plan: Plan, rank: int, layer: int, src, comm: Comm):
        m = plan.model
        c = m.mla
        r = plan.rank_info(rank)
        self.m, self.c, self.comm = m, c, comm
        q0, q1 = r.q_heads
        self.hl = q1 - q0
        H = m.hidden
        dqk = c.qk_nope_head_dim + c.qk_rope_head_dim
        self.dqk = dqk
        p = f"model.layers.{layer}.self_attn."
        if c.q_lora_rank:
            self.q_a = src.get(p + "q_a_proj.weight", (c.q_lora_rank, H))
            self.q_a_ln = src.get(p + "q_a_layernorm.weight", (c.q_lora_rank,))
            self.q_b = src.get(p + "q_b_proj.weight", (m.heads * dqk, c.q_lora_rank), [(q0 * dqk, q1 * dqk), (0, c.q_lora_rank)])
        else:
            self.q_a = self.q_a_ln = None
            self.q_b = src.get(p + "q_proj.weight", (m.heads * dqk, H), [(q0 * dqk, q1 * dqk), (0, H)])
        kvl, rope = c.kv_lora_rank, c.qk_rope_head_dim
        self.kv_a = src.get(p + "kv_a_proj_with_mqa.weight", (kvl + rope, H))
        self.kv_a_ln = src.get(p + "kv_a_layernorm.weight", (kvl,))
        per = c.qk_nope_head_dim + c.v_head_dim
        self.kv_b = src.get(p + "kv_b_proj.weight", (m.heads * per, kvl), [(q0 * per, q1 * per), (0, kvl)])
        self.wo = src.get(p + "o_proj.weight", (H, m.heads * c.v_head_dim), [(0, H), (q0 * c.v_head_dim, q1 * c.v_head_dim)])
        self.scale = 1.0 / math.sqrt(dqk)

    def weights(self):
        return [t for t in (self.q_a, self.q_a_ln, self.q_b, self.kv_a, self.kv_a_ln, self.kv_b, self.wo) if t is not None]

    def cache_shapes(self, block_size: int):
        # One "head" holding the normalised latent and the roped key part (as vLLM caches it).
        return [(1, block_size, self.c.kv_lora_rank + self.c.qk_rope_head_dim)]

    def forward(self, x: torch.Tensor, meta: StepMeta, cache: list[torch.Tensor]) -> torch.Tensor:
        c, eps = self.c, self.m.norm_eps
        N = x.shape[0]
        nope, rope, kvl = c.qk_nope_head_dim, c.qk_rope_head_dim, c.kv_lora_rank
        if self.q_a is not None:
            q = F.linear(rms_norm(F.linear(x, self.q_a), self.q_a_ln, eps), self.q_b)
        else:
            q = F.linear(x, self.q_b)
        q = q.view(N, self.hl, self.dqk)
        q = torch.cat([q[..., :nope], apply_rope(q[..., nope:], meta.cos, meta.sin)], dim=-1)
        ckv = F.linear(x, self.kv_a)
        lat = rms_norm(ckv[:, :kvl], self.kv_a_ln, eps)
        kpe = apply_rope(ckv[:, None, kvl:], meta.cos, meta.sin)[:, 0]
        (lc,) = cache
        write_cache(lc, meta, torch.cat([lat, kpe], dim=-1)[:, None, :])
        outs = []
        T, bs = meta.T, meta.block_size
        per = nope + c.v_head_dim
        for b in range(meta.B):
            L = meta.start[b] + T
            cl = _seq_keys(lc, meta.block_table[b], L, bs)[0]       # [L, kvl + rope]
            kv = F.linear(cl[:, :kvl], self.kv_b).view(L, self.hl, per)
            k = torch.cat([kv[..., :nope], cl[:, None, kvl:].expand(L, self.hl, rope)], dim=-1)
            v = kv[..., nope:]
            qb = q[b * T:(b + 1) * T].transpose(0, 1)               # [hl, T, dqk]
            s = torch.matmul(qb, k.permute(1, 2, 0)).to(_softmax_dtype(q.dtype)) * self.scale
            qpos = torch.arange(meta.start[b], L, device=x.device)[:, None]
            kpos = torch.arange(L, device=x.device)[None, :]
            s = s.masked_fill(kpos > qpos, float("-inf"))
            pr = torch.softmax(s, -1).to(v.dtype)
            outs.append(torch.matmul(pr, v.transpose(0, 1)).transpose(0, 1))   # [T, hl, dv]
        o = torch.cat(outs, 0).reshape(N, self.hl * c.v_head_dim)
        return self.comm.all_reduce("tp", F.linear(o, self.wo))


def _swiglu(x, wg, wu, wd):
    return F.linear(F.silu(F.linear(x, wg)) * F.linear(x, wu), wd)


def _ffn_weights(src, prefix: str, inter: int, H: int, a: int, b: int):
    return (src.get(prefix + "gate_proj.weight", (inter, H), [(a, b), (0, H)]),
            src.get(prefix + "up_proj.weight", (inter, H), [(a, b), (0, H)]),
            src.get(prefix + "down_proj.weight", (H, inter), [(0, H), (a, b)]))


class DenseFFN:
    def __init__(self, plan: Plan, rank: int, layer: int, src, comm: Comm):
        m = plan.model
        a, b = plan.rank_info(rank).ffn
        self.comm = comm
        self.w = _ffn_weights(src, f"model.layers.{layer}.mlp.", m.ffn, m.hidden, a, b)

    def weights(self):
        return list(self.w)

    def forward(self, x, meta=None):
        return self.comm.all_reduce("tp", _swiglu(x, *self.w))


class MoE:
    """Router + routed experts (TP-split or EP-placed) + shared experts (TP-split)."""

    def __init__(self, plan: Plan, rank: int, layer: int, src, comm: Comm, dispatch: str):
        m = plan.model
        mo = m.moe
        r = plan.rank_info(rank)
        self.mo, self.comm, self.H = mo, comm, m.hidden
        self.ep = plan.ep > 1
        self.dispatch = dispatch
        p = f"model.layers.{layer}.mlp."
        H, E, ef = m.hidden, mo.experts, mo.expert_ffn
        self.gate = src.get(p + "gate.weight", (E, H))
        if self.ep:
            a, b = 0, ef                                     # whole experts per EP rank
        else:
            per = ef // plan.tp
            a, b = r.tp * per, (r.tp + 1) * per              # every expert split over TP
        self.local = sorted(r.experts)
        self.experts = {e: _ffn_weights(src, f"{p}experts.{e}.", ef, H, a, b) for e in self.local}
        if mo.shared_experts:
            inter = mo.shared_experts * ef
            per = inter // plan.tp
            self.shared = _ffn_weights(src, p + "shared_experts.", inter, H, r.tp * per, (r.tp + 1) * per)
        else:
            self.shared = None
        if self.ep:
            # owner[e] = position (in EP-group order) of the rank holding expert e
            owner = [0] * E
            for i, gr in enumerate(comm.members["ep"]):
                for e in plan.rank_info(gr).experts:
                    owner[e] = i
            self.owner = torch.tensor(owner, dtype=torch.long, device=self.gate.device)

    def weights(self):
        ws = [self.gate] + [w for t in self.experts.values() for w in t]
        return ws + (list(self.shared) if self.shared else [])

    def route(self, x):
        logits = F.linear(x, self.gate).to(_softmax_dtype(x.dtype))
        probs = torch.softmax(logits, dim=-1)
        w, ids = torch.topk(probs, self.mo.top_k, dim=-1)
        if self.mo.norm_topk_prob:
            w = w / w.sum(-1, keepdim=True)
        return w.to(x.dtype), ids

    def _local_experts(self, x, ids, w=None):
        """Sum over this rank's experts of w * expert(x) for the (token, slot) pairs routed to
        them.  ids [N, k] (or [N] with w None: every row goes to exactly one expert, unweighted)."""
        out = torch.zeros_like(x)
        for e, ws in self.experts.items():
            if w is None:
                rows = (ids == e).nonzero(as_tuple=True)[0]
                if rows.numel():
                    out.index_copy_(0, rows, _swiglu(x[rows], *ws))
                continue
            rows, slot = (ids == e).nonzero(as_tuple=True)
            if rows.numel():
                out.index_add_(0, rows, _swiglu(x[rows], *ws) * w[rows, slot, None])
        return out

    def forward(self, x, meta=None):
        w, ids = self.route(x)
        if not self.ep:
            y = self._local_experts(x, ids, w)
            if self.shared:
                y = y + _swiglu(x, *self.shared)
            return self.comm.all_reduce("tp", y)
        if self.dispatch == "alltoall":
            y = self._ep_alltoall(x, w, ids)
        else:
            y = self._ep_allgather(x, w, ids)
        if self.shared:
            y = y + self.comm.all_reduce("tp", _swiglu(x, *self.shared))
        return y

    def _ep_allgather(self, x, w, ids):
        """Dispatch by all-gathering every EP rank's tokens, compute the local experts on all
        of them, combine by all-reduce and keep our own rows (works on gloo, which has no
        reduce_scatter)."""
        c = self.comm
        N = x.shape[0]
        sizes = c.all_gather("ep", torch.tensor([N], dtype=torch.long, device=x.device))
        sizes = [int(s.item()) for s in sizes]
        nmax = max(sizes)
        pad = nmax - N
        xp = F.pad(x, (0, 0, 0, pad))
        idp = F.pad(ids, (0, 0, 0, pad), value=-1)
        wp = F.pad(w, (0, 0, 0, pad))
        xa = torch.cat(c.all_gather("ep", xp))
        ida = torch.cat(c.all_gather("ep", idp))
        wa = torch.cat(c.all_gather("ep", wp))
        ya = c.all_reduce("ep", self._local_experts(xa, ida, wa))
        me = c.index("ep")
        return ya[me * nmax: me * nmax + N]

    def _ep_alltoall(self, x, w, ids):
        """True dispatch/combine: each (token, expert) pair travels to the expert's owner and
        its output travels back (all_to_all_single with uneven splits)."""
        c = self.comm
        n_ep = c.size("ep")
        N, k = ids.shape
        tok = torch.arange(N, device=x.device).repeat_interleave(k)
        exp = ids.reshape(-1)
        wt = w.reshape(-1)
        dest = self.owner[exp]
        order = torch.sort(dest, stable=True)[1]            # group pairs by destination rank
        tok, exp, wt = tok[order], exp[order], wt[order]
        send = torch.bincount(dest, minlength=n_ep)
        recv = c.all_to_all("ep", send, [1] * n_ep, [1] * n_ep)
        send_l, recv_l = send.tolist(), recv.tolist()
        rx = c.all_to_all("ep", x[tok], recv_l, send_l)
        re = c.all_to_all("ep", exp, recv_l, send_l)
        ry = self._local_experts(rx, re)
        back = c.all_to_all("ep", ry, send_l, recv_l)
        out = torch.zeros_like(x)
        out.index_add_(0, tok, back * wt[:, None])
        return out


class Layer:
    def __init__(self, plan: Plan, rank: int, layer: int, src, comm: Comm, dispatch: str):
        m = plan.model
        p = f"model.layers.{layer}."
        self.eps = m.norm_eps
        self.ln1 = src.get(p + "input_layernorm.weight", (m.hidden,))
        self.ln2 = src.get(p + "post_attention_layernorm.weight", (m.hidden,))
        self.attn = (MLAttention if m.attention == "mla" else Attention)(plan, rank, layer, src, comm)
        self.mlp = MoE(plan, rank, layer, src, comm, dispatch) if m.is_moe_layer(layer) else DenseFFN(plan, rank, layer, src, comm)

    def weights(self):
        return [self.ln1, self.ln2] + self.attn.weights() + self.mlp.weights()

    def forward(self, x, meta, cache):
        x = x + self.attn.forward(rms_norm(x, self.ln1, self.eps), meta, cache)
        return x + self.mlp.forward(rms_norm(x, self.ln2, self.eps), meta)


class ShardModel:
    """The layers, and embedding / head where this rank's stage has them."""

    def __init__(self, plan: Plan, rank: int, src, comm: Comm, dtype: torch.dtype, device: torch.device,
                 dispatch: str = "allgather"):
        m = plan.model
        r = plan.rank_info(rank)
        self.plan, self.m, self.r, self.comm = plan, m, r, comm
        self.dtype, self.device = dtype, device
        self.first, self.last = r.pp == 0, r.pp == plan.pp - 1
        self.layer_ids = list(range(*r.layers))
        self.layers = [Layer(plan, rank, l, src, comm, dispatch) for l in self.layer_ids]
        v0, v1 = r.vocab
        self.v0, self.v1 = v0, v1
        H, V = m.hidden, m.vocab

        def vocab_rows(name):
            # Rows past the real vocabulary are padding (zeros) and never win the argmax.
            real = src.get(name, (V, H), [(min(v0, V), min(v1, V)), (0, H)])
            if real.shape[0] < v1 - v0:
                real = torch.cat([real, real.new_zeros(v1 - v0 - real.shape[0], H)])
            return real

        self.embed = vocab_rows("model.embed_tokens.weight") if self.first or (self.last and m.tied_embeddings) else None
        if self.last:
            self.norm = src.get("model.norm.weight", (H,))
            self.head = self.embed if m.tied_embeddings else vocab_rows("lm_head.weight")
        else:
            self.norm = self.head = None
        self.rope_dim = m.mla.qk_rope_head_dim if m.mla is not None else m.head_dim
        # TP ranks' vocab slices in TP order, for reassembling logits.
        self.vocab_widths = [plan.rank_info(g).vocab[1] - plan.rank_info(g).vocab[0] for g in comm.members["tp"]]

    def weight_bytes(self) -> int:
        ws = [w for l in self.layers for w in l.weights()]
        for t in (self.embed, self.norm, self.head):
            if t is not None and all(t is not u for u in ws):
                ws.append(t)
        return sum(t.numel() * t.element_size() for t in ws)

    def cache_shapes(self, block_size: int):
        return [l.attn.cache_shapes(block_size) for l in self.layers]

    def embed_tokens(self, ids: torch.Tensor) -> torch.Tensor:
        """Vocabulary-parallel lookup: foreign ids give zeros, the TP all-reduce fills them in."""
        ids = ids.reshape(-1)
        mine = (ids >= self.v0) & (ids < self.v1)
        local = torch.where(mine, ids - self.v0, torch.zeros_like(ids))
        x = self.embed.index_select(0, local) * mine[:, None].to(self.embed.dtype)
        return self.comm.all_reduce("tp", x)

    def forward_layers(self, x: torch.Tensor, meta: StepMeta, caches) -> torch.Tensor:
        meta.cos, meta.sin = rope_cos_sin(meta.positions, self.rope_dim, self.m.rope_theta, x.dtype)
        for layer, cache in zip(self.layers, caches):
            x = layer.forward(x, meta, cache)
        return x

    def logits(self, h: torch.Tensor) -> torch.Tensor:
        """[n, hidden] -> [n, vocab] full logits on every TP rank of the last stage."""
        h = rms_norm(h, self.norm, self.m.norm_eps)
        part = F.linear(h, self.head)
        widths = self.vocab_widths
        if len(widths) > 1:
            wmax = max(widths)
            parts = self.comm.all_gather("tp", F.pad(part, (0, wmax - part.shape[1])))
            part = torch.cat([p[:, :w] for p, w in zip(parts, widths)], dim=1)
        return part[:, :self.m.vocab]


# --------------------------------------------------------------------------- KV cache

class KVCache:
    """Paged KV cache of this rank's layers: per layer, per cached tensor, a pool
    [num_blocks, heads, block_size, dim]; sequences own blocks through a block table."""

    def __init__(self, model: ShardModel, num_blocks: int, block_size: int, dtype: torch.dtype,
                 device: torch.device, shuffle_seed: int | None = None):
        self.block_size, self.num_blocks = block_size, num_blocks
        self.pools = [[torch.zeros((num_blocks,) + s, dtype=dtype, device=device) for s in shapes]
                      for shapes in model.cache_shapes(block_size)]
        order = list(range(num_blocks))
        if shuffle_seed is not None:
            # Scatter blocks over the pool so block tables are non-trivial (exercises paging).
            g = torch.Generator().manual_seed(shuffle_seed)
            order = torch.randperm(num_blocks, generator=g).tolist()
        self.free = order
        self.device = device

    def bytes(self) -> int:
        return sum(t.numel() * t.element_size() for l in self.pools for t in l)

    def bytes_per_token(self) -> int:
        return sum(t[0].numel() * t.element_size() for l in self.pools for t in l) // self.block_size

    def allocate(self, n_seqs: int, tokens: int) -> tuple[torch.Tensor, int, int]:
        """Block table [n_seqs, blocks_per_seq] for sequences of up to `tokens` tokens; also
        (stride, base) if sequence b got exactly blocks base + [b*stride, (b+1)*stride)
        (stride 0 otherwise), which lets decode read the pool as a view."""
        per = (tokens + self.block_size - 1) // self.block_size
        need = n_seqs * per
        if need > len(self.free):
            raise RuntimeError(f"KV cache too small: need {need} blocks of {self.block_size} tokens, "
                               f"{len(self.free)} free of {self.num_blocks}")
        ids = self.free[:need]
        self.free = self.free[need:]
        table = torch.tensor(ids, dtype=torch.long).view(n_seqs, per)
        contig = per if ids == list(range(ids[0], ids[0] + need)) else 0
        return table.to(self.device), contig, ids[0]


def make_meta(table: torch.Tensor, contig: int, base: int, start: list[int], T: int, block_size: int) -> StepMeta:
    B = len(start)
    dev = table.device
    pos = torch.tensor([s + i for s in start for i in range(T)], dtype=torch.long, device=dev)
    seq = torch.arange(B, device=dev).repeat_interleave(T)
    blocks = table[seq, pos // block_size]
    return StepMeta(B=B, T=T, start=list(start), positions=pos, blocks=blocks, offsets=pos % block_size,
                    block_table=table, contig_stride=contig, contig_base=base, block_size=block_size)
