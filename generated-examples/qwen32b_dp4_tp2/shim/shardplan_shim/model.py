"""This rank's shard of the model and its paged KV cache.

Hidden states inside a stage are a flat [N, hidden] tensor of N = batch * T tokens
(sequence-major); `StepMeta` carries the per-sequence structure attention needs.

Partitioning (vLLM-style, ranges come from the plan's rank table):
  embedding / LM head  rows split by vocabulary ('vocab'); lookup masks foreign ids and
                       all-reduces, the head all-gathers its logit slices.
  attention            query heads 'q_heads', KV heads 'kv_heads' (replicated when tp >
                       kv_heads); o_proj is row-parallel -> all-reduce over TP.
  MLA                  latent projections (q_a, kv_a) replicated, so the latent KV cache is
                       whole on every TP rank; q_b / kv_b / o_proj split by heads; decode
                       absorbs kv_b into the query/output and attends over the latent cache.
  dense FFN            gate/up column-parallel, down row-parallel over 'ffn' -> all-reduce.
  MoE                  router replicated; ep == 1: every expert split over TP like a dense
                       FFN; ep > 1: whole experts per EP rank ('experts'), tokens dispatched
                       to their owners and combined back; shared experts split over TP.
"""

from __future__ import annotations

import math
import os
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
    decode_mask: torch.Tensor | None = None

    @property
    def lens(self) -> list[int]:
        return [s + self.T for s in self.start]


# --------------------------------------------------------------------------- attention kernels
#
# Paged KV pool layout: [num_blocks, block_size, heads, dim].  A sequence whose blocks are
# consecutive in the pool is then a contiguous [L, heads, dim] slab, and a batch of such
# sequences (the bench and `--kv-layout contiguous`) is a strided view [B, heads, L, dim]
# of the pool, which scaled_dot_product_attention reads in place (its kernels take any
# strides except on the last dimension).

def _torch_version() -> tuple[int, int]:
    parts = []
    for p in torch.__version__.split("+")[0].split(".")[:2]:
        digits = "".join(ch for ch in p if ch.isdigit()) or "0"
        parts.append(int(digits))
    return (parts + [0, 0])[0], (parts + [0, 0])[1]


TORCH_VERSION = _torch_version()
# torch >= 2.0 has F.scaled_dot_product_attention (fused flash / memory-efficient / cuDNN
# kernels on CUDA); `scale=` came in 2.1, `torch.nn.attention.sdpa_kernel` in 2.3 and
# `enable_gqa=` in 2.5.  On torch 1.x only the plain-matmul implementation exists.
HAS_SDPA = hasattr(F, "scaled_dot_product_attention")
SDPA_SCALE = TORCH_VERSION >= (2, 1)
SDPA_GQA = TORCH_VERSION >= (2, 5)
# Decode implementations: "sdpa" (SDPA picks its backend), "sdpa-<backend>" (forced),
# "matmul".  SHARDPLAN_SHIM_ATTN selects one, or "auto" (default): on CUDA the first decode
# step of each shape times every implementation that accepts the call and agrees with the
# matmul one, and keeps the fastest (DECODE_TUNING records the times); elsewhere "sdpa".
SDPA_BACKENDS = {"sdpa-flash": "FLASH_ATTENTION", "sdpa-efficient": "EFFICIENT_ATTENTION",
                 "sdpa-cudnn": "CUDNN_ATTENTION"}
DECODE_TUNING: dict[str, dict] = {}
_DECODE_CHOICE: dict[tuple, str] = {}
_TUNE_SHIFT = 0


def attention_impl() -> str:
    """The configured decode implementation: 'auto', 'sdpa', 'sdpa-<backend>' or 'matmul'
    (read at call time so tests and benchmarks can switch it)."""
    want = os.environ.get("SHARDPLAN_SHIM_ATTN", "auto")
    if want == "matmul" or not HAS_SDPA:
        return "matmul"
    if want != "auto" and want != "sdpa" and want not in SDPA_BACKENDS:
        raise ValueError(f"SHARDPLAN_SHIM_ATTN={want!r}: expected auto, sdpa, matmul or one of {sorted(SDPA_BACKENDS)}")
    return want


def _sdpa(q, k, v, scale: float, attn_mask=None, is_causal: bool = False, enable_gqa: bool = False):
    kw = {}
    if enable_gqa:
        kw["enable_gqa"] = True
    if SDPA_SCALE:
        kw["scale"] = scale
    elif abs(scale * math.sqrt(q.shape[-1]) - 1.0) > 1e-12:
        q = q * (scale * math.sqrt(q.shape[-1]))    # torch 2.0: the default scale is 1/sqrt(d)
    return F.scaled_dot_product_attention(q, k, v, attn_mask=attn_mask, is_causal=is_causal, **kw)


def _sdpa_forced(backend: str, q, k, v, scale: float, attn_mask=None):
    from torch.nn.attention import SDPBackend, sdpa_kernel
    with sdpa_kernel(getattr(SDPBackend, SDPA_BACKENDS[backend])):
        return _sdpa(q, k, v, scale, attn_mask=attn_mask)


def sdpa_backends_available() -> list[str]:
    try:
        from torch.nn.attention import SDPBackend, sdpa_kernel  # noqa: F401
    except ImportError:
        return []
    return [n for n, a in SDPA_BACKENDS.items() if hasattr(SDPBackend, a)]


def _seq_keys(cache: torch.Tensor, table_row: torch.Tensor, L: int, bs: int) -> torch.Tensor:
    """One sequence's cached entries: cache [nb, bs, heads, d] -> [heads, L, d] (a view of
    the gathered blocks)."""
    nb = (L + bs - 1) // bs
    kb = cache.index_select(0, table_row[:nb])                 # [nb, bs, heads, d]
    return kb.view(nb * bs, *kb.shape[2:])[:L].transpose(0, 1)


def _softmax_dtype(dt: torch.dtype) -> torch.dtype:
    return torch.float32 if dt in (torch.bfloat16, torch.float16) else dt


def _prefill_sdpa_ok(q: torch.Tensor, meta: StepMeta) -> bool:
    # Fused causal prefill: whole prompts (square causal mask), GQA without copying KV heads
    # (enable_gqa, torch >= 2.5), on CUDA in 16-bit (the flash kernel; elsewhere SDPA would
    # fall back to its math kernel, which materialises the scores anyway).
    return (attention_impl() != "matmul" and SDPA_GQA and q.is_cuda and q.dtype in (torch.bfloat16, torch.float16)
            and all(s == 0 for s in meta.start))


def attend_per_sequence(q: torch.Tensor, kc: torch.Tensor, vc: torch.Tensor, meta: StepMeta, scale: float,
                        q_chunk: int = 1024):
    """Causal attention of T new queries per sequence over the paged cache, one sequence at
    a time (bounds the score memory to one sequence; used for prefill).
    q: [B*T, kvh, g, d]  ->  [B*T, kvh, g, dv]"""
    out = []
    T, bs = meta.T, meta.block_size
    kvh, g, d = q.shape[1:]
    fused = _prefill_sdpa_ok(q, meta)
    for b in range(meta.B):
        L = meta.start[b] + T
        k = _seq_keys(kc, meta.block_table[b], L, bs)          # [kvh, L, d]
        v = _seq_keys(vc, meta.block_table[b], L, bs)
        if fused:
            qb = q[b * T:(b + 1) * T].reshape(T, kvh * g, d).transpose(0, 1)   # [kvh*g, T, d]
            o = _sdpa(qb[None], k[None], v[None], scale, is_causal=True, enable_gqa=True)[0]
            out.append(o.transpose(0, 1).reshape(T, kvh, g, -1))
            continue
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


def decode_kv(cache: torch.Tensor, meta: StepMeta) -> torch.Tensor:
    """Every sequence's cached entries for a decode step: cache [nb, bs, heads, d] ->
    [B, heads, Lmax, d].  A strided view of the pool (no copy) when each sequence owns
    consecutive blocks; otherwise one index_select of the blocks in use."""
    B, bs = meta.B, meta.block_size
    Lmax = max(meta.lens)
    if meta.contig_stride:
        n = meta.contig_stride
        kv = cache.narrow(0, meta.contig_base, B * n).view(B, n * bs, *cache.shape[2:])
    else:
        n = (Lmax + bs - 1) // bs
        kv = cache.index_select(0, meta.block_table[:, :n].reshape(-1)).view(B, n * bs, *cache.shape[2:])
    return kv[:, :Lmax].transpose(1, 2)


def _decode_mask(meta: StepMeta, device) -> torch.Tensor | None:
    """[B, 1, 1, Lmax] bool, True where a cached token exists; None when every sequence has
    the same length (the common case: no mask, so the flash kernel can be used).  Built
    once per step and shared by all layers."""
    lens = meta.lens
    if all(n == lens[0] for n in lens):
        return None
    if meta.decode_mask is None:
        lim = torch.tensor(lens, device=device).view(-1, 1, 1, 1)
        meta.decode_mask = torch.arange(max(lens), device=device).view(1, 1, 1, -1) < lim
    return meta.decode_mask


def _decode_matmul(q, k, v, scale: float, mask):
    # Plain matmuls, one KV head at a time: k[:, h] is [B, L, d] with row stride heads*d,
    # which batched GEMMs read in place.
    out = []
    for h in range(k.shape[1]):
        s = torch.matmul(q[:, h], k[:, h].transpose(1, 2)).to(_softmax_dtype(q.dtype)) * scale   # [B, g, L]
        if mask is not None:
            s = s.masked_fill(~mask[:, 0], float("-inf"))
        p = torch.softmax(s, dim=-1).to(v.dtype)
        out.append(torch.matmul(p, v[:, h]))                                                       # [B, g, dv]
    return torch.stack(out, 1)


def _decode_run(impl: str, q, k, v, scale: float, mask):
    if impl == "matmul":
        return _decode_matmul(q, k, v, scale, mask)
    if impl == "sdpa":
        return _sdpa(q, k, v, scale, attn_mask=mask)
    return _sdpa_forced(impl, q, k, v, scale, attn_mask=mask)


def _decode_autotune(q, k, v, scale: float, mask) -> str:
    """Time each implementation on this call's tensors; keep the fastest of those that accept
    it and match the matmul result.  The timed calls use key lengths that no call used before
    (three per implementation), as decode does (one more cached token every step): a backend
    that builds and caches a plan per shape (cuDNN) pays for that on every real step, which a
    fixed-shape timing -- or one reusing another candidate's shapes -- would hide."""
    global _TUNE_SHIFT
    import time
    import warnings
    ref = _decode_matmul(q, k, v, scale, mask).float()
    half = q.dtype in (torch.bfloat16, torch.float16)
    tol = (2e-2 if half else 1e-6) * float(ref.abs().max()) + (1e-3 if half else 1e-9)
    times: dict[str, object] = {}
    best = ("matmul", float("inf"))
    L = k.shape[2]
    forced = sdpa_backends_available()
    for impl in (forced or ["sdpa"]) + ["matmul"]:     # plain "sdpa" is one of the forced ones
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")        # a refusing backend warns, then raises
                out = _decode_run(impl, q, k, v, scale, mask)
                err = float((out.float() - ref).abs().max())
                if not err <= tol:
                    times[impl] = f"mismatch {err:.3g}"
                    continue
                lens = [max(1, L - 1 - (_TUNE_SHIFT + i) % max(1, L - 1)) for i in range(3)]
                _TUNE_SHIFT += 3
                torch.cuda.synchronize(q.device)
                t0 = time.perf_counter()
                for n in lens:
                    _decode_run(impl, q, k[:, :, :n], v[:, :, :n], scale, None if mask is None else mask[..., :n])
                torch.cuda.synchronize(q.device)
                t = (time.perf_counter() - t0) / len(lens)
        except Exception as e:  # noqa: BLE001 - a backend that refuses these inputs is skipped
            times[impl] = "unsupported: " + " ".join(str(e).split())[:120]
            continue
        times[impl] = t
        if t < best[1]:
            best = (impl, t)
    B, kvh, g, d = q.shape
    DECODE_TUNING[f"B={B} kv_heads={kvh} group={g} d={d} dv={v.shape[-1]} L={k.shape[2]} "
                  f"{str(q.dtype).replace('torch.', '')} mask={mask is not None}"] = {"choice": best[0], "times_s": times}
    return best[0]


def attend_decode(q: torch.Tensor, k: torch.Tensor, v: torch.Tensor, meta: StepMeta, scale: float) -> torch.Tensor:
    """Decode (T == 1) for the whole batch at once.

    q [B, kvh, g, d]: the g query heads sharing a KV head act as g query rows of that KV
    head, so this is plain (non-GQA) attention of g queries over the sequence's keys, with no
    causal mask (the new token sees everything cached), and KV heads are never repeated.
    k [B, kvh, Lmax, d], v [B, kvh, Lmax, dv] (views from decode_kv)  ->  [B, kvh, g, dv]"""
    mask = _decode_mask(meta, q.device)
    impl = attention_impl()
    if impl == "auto":
        if not q.is_cuda:
            impl = "sdpa"
        else:
            key = (str(q.device), q.dtype, tuple(q.shape), k.shape[-1], v.shape[-1], mask is None)
            impl = _DECODE_CHOICE.get(key) or _DECODE_CHOICE.setdefault(key, _decode_autotune(q, k, v, scale, mask))
    return _decode_run(impl, q, k, v, scale, mask)


def write_cache(cache: torch.Tensor, meta: StepMeta, vals: torch.Tensor):
    """cache [nb, bs, heads, d]; vals [N, heads, d] for the new tokens."""
    cache[meta.blocks, meta.offsets] = vals.to(cache.dtype)


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
        # q, k and v projections as one [hq + 2 hkv heads, H] matrix: one GEMM per step, and the
        # rotary embedding of q and k in one go (fewer kernel launches per layer).
        self.wqkv = torch.cat([src.get(p + "q_proj.weight", (m.heads * hd, H), [(q0 * hd, q1 * hd), (0, H)]),
                               src.get(p + "k_proj.weight", (m.kv_heads * hd, H), [(k0 * hd, k1 * hd), (0, H)]),
                               src.get(p + "v_proj.weight", (m.kv_heads * hd, H), [(k0 * hd, k1 * hd), (0, H)])])
        self.wo = src.get(p + "o_proj.weight", (H, m.heads * hd), [(0, H), (q0 * hd, q1 * hd)])
        if m.qkv_bias:
            self.bqkv = torch.cat([src.get(p + "q_proj.bias", (m.heads * hd,), [(q0 * hd, q1 * hd)]),
                                   src.get(p + "k_proj.bias", (m.kv_heads * hd,), [(k0 * hd, k1 * hd)]),
                                   src.get(p + "v_proj.bias", (m.kv_heads * hd,), [(k0 * hd, k1 * hd)])])
        else:
            self.bqkv = None
        self.scale = 1.0 / math.sqrt(hd)

    def weights(self):
        return [t for t in (self.wqkv, self.wo, self.bqkv) if t is not None]

    def cache_shapes(self, block_size: int):
        return [(block_size, self.hkv, self.hd), (block_size, self.hkv, self.hd)]

    def forward(self, x: torch.Tensor, meta: StepMeta, cache: list[torch.Tensor]) -> torch.Tensor:
        N = x.shape[0]
        qkv = F.linear(x, self.wqkv, self.bqkv).view(N, self.hq + 2 * self.hkv, self.hd)
        qk = apply_rope(qkv[:, :self.hq + self.hkv], meta.cos, meta.sin)
        q, k, v = qk[:, :self.hq], qk[:, self.hq:], qkv[:, self.hq + self.hkv:]
        kc, vc = cache
        write_cache(kc, meta, k)
        write_cache(vc, meta, v)
        q = q.view(N, self.hkv, self.g, self.hd)
        if meta.T == 1:
            o = attend_decode(q, decode_kv(kc, meta), decode_kv(vc, meta), meta, self.scale)
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
        return [(block_size, 1, self.c.kv_lora_rank + self.c.qk_rope_head_dim)]

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
        if meta.T == 1:
            o = self._decode_absorbed(q, lc, meta)
            return self.comm.all_reduce("tp", F.linear(o, self.wo))
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

    def _decode_absorbed(self, q: torch.Tensor, lc: torch.Tensor, meta: StepMeta) -> torch.Tensor:
        """Decode with kv_b absorbed into the query and the output (DeepSeek-V2 sec. 2.1.2):
        q_nope . (W_uk c) = (W_uk^T q_nope) . c and sum p (W_uv c) = W_uv (sum p c), so every
        local head attends directly over the cached [latent | rope key] rows -- one shared KV
        "head", the hl query heads as hl query rows -- without expanding the latent cache to
        per-head keys and values.  q [B, hl, dqk] -> [B, hl * v_head_dim]"""
        c = self.c
        nope, kvl = c.qk_nope_head_dim, c.kv_lora_rank
        w = self.kv_b.view(self.hl, nope + c.v_head_dim, kvl)
        q_lat = torch.einsum("bhn,hnc->bhc", q[..., :nope], w[:, :nope])
        qa = torch.cat([q_lat, q[..., nope:]], dim=-1)[:, None]             # [B, 1, hl, kvl + rope]
        kv = decode_kv(lc, meta)                                            # [B, 1, L, kvl + rope]
        o_lat = attend_decode(qa, kv, kv[..., :kvl], meta, self.scale)[:, 0]  # [B, hl, kvl]
        return torch.einsum("bhc,hvc->bhv", o_lat, w[:, nope:]).reshape(q.shape[0], -1)


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
        wg, wu, self.wd = _ffn_weights(src, f"model.layers.{layer}.mlp.", m.ffn, m.hidden, a, b)
        self.wgu = torch.cat([wg, wu])            # gate and up as one GEMM
        self.n = b - a

    def weights(self):
        return [self.wgu, self.wd]

    def forward(self, x, meta=None):
        gu = F.linear(x, self.wgu)
        return self.comm.all_reduce("tp", F.linear(F.silu(gu[:, :self.n]) * gu[:, self.n:], self.wd))


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
    [num_blocks, block_size, heads, dim]; sequences own blocks through a block table."""

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
