"""Rotary position embeddings of the partitioned model: frequencies with the checkpoint's
long-context scaling (linear, Llama 3.1's, YaRN), cos/sin tables, and their application in
the two layouts checkpoints use (the head's two halves, or adjacent pairs as DeepSeek stores
them)."""

from __future__ import annotations

import math

import torch

from .config import RopeScaling


def _yarn_mscale(scale: float, m: float = 1.0) -> float:
    return 1.0 if scale <= 1 else 0.1 * m * math.log(scale) + 1.0


def frequencies(dim: int, theta: float, sc: RopeScaling | None) -> tuple[torch.Tensor, float]:
    """Inverse frequencies [dim/2] (float64) and the factor cos and sin are multiplied by."""
    exps = torch.arange(0, dim, 2, dtype=torch.float64) / dim
    inv = theta ** -exps
    if sc is None:
        return inv, 1.0
    if sc.type == "linear":
        return inv / sc.factor, 1.0
    if sc.type == "llama3":
        # Wavelengths beyond the original context / low_freq_factor are stretched by `factor`, those
        # below context / high_freq_factor kept, and the band between blended linearly in 1/wavelength.
        wavelen = 2 * math.pi / inv
        lo_wl = sc.original_max_position / sc.low_freq_factor
        hi_wl = sc.original_max_position / sc.high_freq_factor
        smooth = (sc.original_max_position / wavelen - sc.low_freq_factor) / (sc.high_freq_factor - sc.low_freq_factor)
        blended = (1 - smooth) * inv / sc.factor + smooth * inv
        out = torch.where(wavelen > lo_wl, inv / sc.factor, torch.where(wavelen < hi_wl, inv, blended))
        return out, 1.0
    # YaRN: dimension d rotates `orig * inv[d] / 2pi` times over the original context; those that
    # rotate more than beta_fast times keep their frequency, fewer than beta_slow are interpolated
    # (divided by factor), with a linear ramp between.
    def turns_to_dim(turns: float) -> float:
        return dim * math.log(sc.original_max_position / (turns * 2 * math.pi)) / (2 * math.log(theta))

    lo, hi = turns_to_dim(sc.beta_fast), turns_to_dim(sc.beta_slow)
    if sc.truncate:
        lo, hi = math.floor(lo), math.ceil(hi)
    lo, hi = max(lo, 0), min(hi, dim - 1)
    if hi == lo:
        hi += 0.001
    ramp = ((torch.arange(dim // 2, dtype=torch.float64) - lo) / (hi - lo)).clamp(0, 1)
    keep = 1 - ramp
    out = inv / sc.factor * (1 - keep) + inv * keep
    if sc.mscale and sc.mscale_all_dim:
        attn = _yarn_mscale(sc.factor, sc.mscale) / _yarn_mscale(sc.factor, sc.mscale_all_dim)
    else:
        attn = _yarn_mscale(sc.factor)
    return out, attn


def mla_softmax_scale(qk_head_dim: int, sc: RopeScaling | None) -> float:
    """DeepSeek's attention scale: 1/sqrt(d), times mscale(factor, mscale_all_dim)^2 under YaRN."""
    s = qk_head_dim ** -0.5
    if sc is not None and sc.type == "yarn" and sc.mscale_all_dim:
        s *= _yarn_mscale(sc.factor, sc.mscale_all_dim) ** 2
    return s


class RotaryTable:
    """cos/sin [N, dim] for a step's positions (two halves layout), built once per step."""

    def __init__(self, dim: int, theta: float, scaling: RopeScaling | None, interleave: bool):
        self.dim, self.interleave = dim, interleave
        self.inv, self.attn = frequencies(dim, theta, scaling)

    def cos_sin(self, positions: torch.Tensor, dtype: torch.dtype):
        f = positions.to(torch.float64)[:, None] * self.inv.to(positions.device)[None, :]
        emb = torch.cat([f, f], dim=-1)
        return (emb.cos() * self.attn).to(dtype), (emb.sin() * self.attn).to(dtype)

    def apply(self, x: torch.Tensor, cos: torch.Tensor, sin: torch.Tensor) -> torch.Tensor:
        """x [N, heads, dim] -> rotated. Interleaved checkpoints pair dimensions (2i, 2i+1); they
        are regrouped into halves first (the same dot products, since q and k move alike)."""
        if self.interleave:
            x = torch.cat([x[..., 0::2], x[..., 1::2]], dim=-1)
        h = x.shape[-1] // 2
        rot = torch.cat([-x[..., h:], x[..., :h]], dim=-1)
        return x * cos[:, None, :] + rot * sin[:, None, :]
