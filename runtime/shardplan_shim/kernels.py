"""Attention kernels of the partitioned model over the paged KV pool, and RMSNorm.

Pool layout [num_blocks, block_size, heads, dim]: a sequence whose blocks are consecutive is a
contiguous [L, heads, dim] slab, and a batch of such sequences a strided view [B, heads, L, dim]
of the pool, which scaled_dot_product_attention (torch >= 2) reads in place.

Decode (one new token per sequence): the g query heads sharing a KV head are g query rows of
that KV head, so decode is plain attention of [B, kvh, g, d] queries over [B, kvh, L, d] keys,
without repeating KV heads and without a causal mask. A sliding window keeps the last `window`
keys (the query's own and window - 1 before it); attention sinks (one logit per head) join the
softmax as an extra column that is dropped afterwards, which SDPA cannot express, so those run
on the matmul path. On CUDA the first decode step of each shape times the SDPA backends and the
matmul version and keeps the fastest that agrees with matmul (`AttentionKernels.tuning`).
"""

from __future__ import annotations

import math
import time
import warnings

import torch
import torch.nn.functional as F


def torch_version() -> tuple[int, int]:
    parts = []
    for p in torch.__version__.split("+")[0].split(".")[:2]:
        parts.append(int("".join(ch for ch in p if ch.isdigit()) or "0"))
    return (parts + [0, 0])[0], (parts + [0, 0])[1]


# torch >= 2.0 has F.scaled_dot_product_attention; `scale=` came in 2.1, `torch.nn.attention.
# sdpa_kernel` in 2.3 and `enable_gqa=` in 2.5. On torch 1.x only the matmul path exists.
HAS_SDPA = hasattr(F, "scaled_dot_product_attention")
SDPA_SCALE = torch_version() >= (2, 1)
SDPA_GQA = torch_version() >= (2, 5)
SDPA_BACKENDS = {"sdpa-flash": "FLASH_ATTENTION", "sdpa-efficient": "EFFICIENT_ATTENTION", "sdpa-cudnn": "CUDNN_ATTENTION"}
IMPLS = ("auto", "sdpa", "matmul") + tuple(SDPA_BACKENDS)


def rms_norm(x: torch.Tensor, w: torch.Tensor, eps: float) -> torch.Tensor:
    # Accumulate in at least fp32 (as HF does) so bf16 runs stay stable.
    xf = x.float() if x.dtype in (torch.bfloat16, torch.float16) else x
    return (xf * torch.rsqrt(xf.pow(2).mean(-1, keepdim=True) + eps)).to(x.dtype) * w


def softmax_dtype(dt: torch.dtype) -> torch.dtype:
    return torch.float32 if dt in (torch.bfloat16, torch.float16) else dt


def _sdpa(q, k, v, scale: float, attn_mask=None, is_causal: bool = False, enable_gqa: bool = False):
    kw = {"enable_gqa": True} if enable_gqa else {}
    if SDPA_SCALE:
        kw["scale"] = scale
    elif abs(scale * math.sqrt(q.shape[-1]) - 1.0) > 1e-12:
        q = q * (scale * math.sqrt(q.shape[-1]))    # torch 2.0: the scale is always 1/sqrt(d)
    return F.scaled_dot_product_attention(q, k, v, attn_mask=attn_mask, is_causal=is_causal, **kw)


def _sdpa_forced(backend: str, q, k, v, scale: float, attn_mask=None):
    from torch.nn.attention import SDPBackend, sdpa_kernel
    with sdpa_kernel(getattr(SDPBackend, SDPA_BACKENDS[backend])):
        return _sdpa(q, k, v, scale, attn_mask=attn_mask)


def _backends() -> list[str]:
    try:
        from torch.nn.attention import SDPBackend  # noqa: F401
    except ImportError:
        return []
    return [n for n, a in SDPA_BACKENDS.items() if hasattr(SDPBackend, a)]


def _masked_softmax_attend(s, v, mask, sinks):
    """s [..., L] scores (already scaled), mask True where a key is visible, sinks [..., 1] or None."""
    if mask is not None:
        s = s.masked_fill(~mask, float("-inf"))
    if sinks is not None:
        s = torch.cat([s, sinks.to(s.dtype).expand(*s.shape[:-1], 1)], dim=-1)
        p = torch.softmax(s, dim=-1)[..., :-1]
    else:
        p = torch.softmax(s, dim=-1)
    return torch.matmul(p.to(v.dtype), v)


def seq_keys(cache: torch.Tensor, table_row: torch.Tensor, L: int, bs: int) -> torch.Tensor:
    """One sequence's cached entries: cache [nb, bs, heads, d] -> [heads, L, d]."""
    nb = (L + bs - 1) // bs
    kb = cache.index_select(0, table_row[:nb])
    return kb.view(nb * bs, *kb.shape[2:])[:L].transpose(0, 1)


def decode_kv(cache: torch.Tensor, meta) -> torch.Tensor:
    """Every sequence's cached entries for a decode step: [B, heads, Lmax, d], a strided view of
    the pool when each sequence owns consecutive blocks, else one index_select of the blocks."""
    B, bs, Lmax = meta.B, meta.block_size, max(meta.lens)
    if meta.contig_stride:
        n = meta.contig_stride
        kv = cache.narrow(0, meta.contig_base, B * n).view(B, n * bs, *cache.shape[2:])
    else:
        n = (Lmax + bs - 1) // bs
        kv = cache.index_select(0, meta.block_table[:, :n].reshape(-1)).view(B, n * bs, *cache.shape[2:])
    return kv[:, :Lmax].transpose(1, 2)


class AttentionKernels:
    """The decode and prefill attention of one model, with its own autotune record."""

    def __init__(self, impl: str = "auto"):
        if impl not in IMPLS:
            raise ValueError(f"attention implementation {impl!r}: expected one of {', '.join(IMPLS)}")
        self.impl = "matmul" if not HAS_SDPA else impl
        self.tuning: dict[str, dict] = {}
        self._choice: dict[tuple, str] = {}
        self._shift = 0

    # ------------------------------------------------------------------ decode
    def decode(self, q, k, v, meta, scale: float, window: int = 0, sinks=None):
        """q [B, kvh, g, d], k/v [B, kvh, Lmax, d] (views from decode_kv), sinks [kvh, g] -> [B, kvh, g, dv]."""
        lens = meta.lens
        Lmax = k.shape[2]
        if window and all(n == lens[0] for n in lens) and Lmax > window:
            k, v = k[:, :, Lmax - window:], v[:, :, Lmax - window:]        # the window of every sequence
            mask = None
        else:
            mask = meta.decode_mask(window, q.device)
        if sinks is not None:
            s = torch.matmul(q, k.transpose(-1, -2)).to(softmax_dtype(q.dtype)) * scale
            return _masked_softmax_attend(s, v, mask, sinks[None, :, :, None])
        impl = self.impl
        if impl == "auto":
            if not q.is_cuda:
                impl = "sdpa"
            else:
                key = (str(q.device), q.dtype, tuple(q.shape), k.shape[-1], v.shape[-1], mask is None)
                if key not in self._choice:
                    self._choice[key] = self._autotune(q, k, v, scale, mask)
                impl = self._choice[key]
        return self._run(impl, q, k, v, scale, mask)

    @staticmethod
    def _matmul(q, k, v, scale, mask):
        # One KV head at a time: k[:, h] is [B, L, d] with row stride heads*d, read in place.
        out = []
        for h in range(k.shape[1]):
            s = torch.matmul(q[:, h], k[:, h].transpose(1, 2)).to(softmax_dtype(q.dtype)) * scale
            out.append(_masked_softmax_attend(s, v[:, h], None if mask is None else mask[:, 0], None))
        return torch.stack(out, 1)

    def _run(self, impl, q, k, v, scale, mask):
        if impl == "matmul":
            return self._matmul(q, k, v, scale, mask)
        if impl == "sdpa":
            return _sdpa(q, k, v, scale, attn_mask=mask)
        return _sdpa_forced(impl, q, k, v, scale, attn_mask=mask)

    def _autotune(self, q, k, v, scale, mask) -> str:
        """Time each implementation on this call's tensors; keep the fastest of those that accept it
        and match the matmul result. Timed calls use key lengths no call used before, as decode does
        (one more cached token every step): a backend that builds a plan per shape (cuDNN) pays for
        that on every real step, which a fixed-shape timing would hide."""
        ref = self._matmul(q, k, v, scale, mask).float()
        half = q.dtype in (torch.bfloat16, torch.float16)
        tol = (2e-2 if half else 1e-6) * float(ref.abs().max()) + (1e-3 if half else 1e-9)
        times: dict[str, object] = {}
        best = ("matmul", float("inf"))
        L = k.shape[2]
        for impl in (_backends() or ["sdpa"]) + ["matmul"]:
            try:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")        # a refusing backend warns, then raises
                    err = float((self._run(impl, q, k, v, scale, mask).float() - ref).abs().max())
                    if not err <= tol:
                        times[impl] = f"mismatch {err:.3g}"
                        continue
                    lens = [max(1, L - 1 - (self._shift + i) % max(1, L - 1)) for i in range(3)]
                    self._shift += 3
                    torch.cuda.synchronize(q.device)
                    t0 = time.perf_counter()
                    for n in lens:
                        self._run(impl, q, k[:, :, :n], v[:, :, :n], scale, None if mask is None else mask[..., :n])
                    torch.cuda.synchronize(q.device)
                    t = (time.perf_counter() - t0) / len(lens)
            except Exception as e:  # noqa: BLE001 - a backend that refuses these inputs is skipped
                times[impl] = "unsupported: " + " ".join(str(e).split())[:120]
                continue
            times[impl] = t
            if t < best[1]:
                best = (impl, t)
        B, kvh, g, d = q.shape
        self.tuning[f"B={B} kv_heads={kvh} group={g} d={d} dv={v.shape[-1]} L={L} "
                    f"{str(q.dtype).replace('torch.', '')} mask={mask is not None}"] = {"choice": best[0], "times_s": times}
        return best[0]

    # ------------------------------------------------------------------ prefill
    def prefill(self, q, kc, vc, meta, scale: float, window: int = 0, sinks=None, q_chunk: int = 1024):
        """Causal attention of T new queries per sequence over the paged cache, one sequence at a
        time (bounds the score memory). q [B*T, kvh, g, d] -> [B*T, kvh, g, dv]"""
        out = []
        T, bs = meta.T, meta.block_size
        kvh, g, d = q.shape[1:]
        fused = (self.impl != "matmul" and SDPA_GQA and q.is_cuda and q.dtype in (torch.bfloat16, torch.float16)
                 and not window and sinks is None and all(s == 0 for s in meta.start))
        for b in range(meta.B):
            L = meta.start[b] + T
            k = seq_keys(kc, meta.block_table[b], L, bs)          # [kvh, L, d]
            v = seq_keys(vc, meta.block_table[b], L, bs)
            if fused:
                qb = q[b * T:(b + 1) * T].reshape(T, kvh * g, d).transpose(0, 1)
                o = _sdpa(qb[None], k[None], v[None], scale, is_causal=True, enable_gqa=True)[0]
                out.append(o.transpose(0, 1).reshape(T, kvh, g, -1))
                continue
            kT = k.unsqueeze(1).transpose(-1, -2)
            kpos = torch.arange(L, device=q.device)[None, :]
            for c0 in range(0, T, q_chunk):             # the fp32 scores of a 4k prompt are otherwise GiBs
                c1 = min(T, c0 + q_chunk)
                qb = q[b * T + c0:b * T + c1].permute(1, 2, 0, 3)     # [kvh, g, c, d]
                s = torch.matmul(qb, kT).to(softmax_dtype(q.dtype)) * scale
                qpos = torch.arange(meta.start[b] + c0, meta.start[b] + c1, device=q.device)[:, None]
                visible = kpos <= qpos
                if window:
                    visible = visible & (qpos - kpos < window)
                o = _masked_softmax_attend(s, v.unsqueeze(1), visible, None if sinks is None else sinks[:, :, None, None])
                out.append(o.permute(2, 0, 1, 3))
        return torch.cat(out, 0)
