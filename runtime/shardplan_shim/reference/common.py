"""What the reference families share: the unpartitioned causal-LM skeleton (embedding, decoder
loop, final norm, head, greedy decoding by recomputation), RMSNorm, rotary embeddings with their
long-context scalings, causal attention, and the checkpoint formats' dequantisation.

Nothing here is imported from the partitioned model, and it is written differently on purpose
(no KV cache, no paging, no head or vocabulary split, KV heads repeated, every expert computed on
every token, adjacent-pair RoPE as complex multiplication, FP8/FP4 decoded arithmetically), so a
mistake in one is not mirrored by the other.
"""

from __future__ import annotations

import math

import torch

F64 = torch.float64


def rms(x: torch.Tensor, w: torch.Tensor, eps: float) -> torch.Tensor:
    return w * (x / torch.sqrt((x * x).mean(dim=-1, keepdim=True) + eps))


# --------------------------------------------------------------------------- rotary embeddings

def _yarn_mscale(scale, m=1.0):
    return 1.0 if scale <= 1 else 0.1 * m * math.log(scale) + 1.0


def rope_frequencies(dim: int, cfg) -> tuple[list[float], float]:
    """Per pair i the angle per position, and the factor on cos/sin (transformers'
    modeling_rope_utils: default, linear, llama3, yarn), computed one frequency at a time."""
    theta, sc = cfg.rope_theta, cfg.rope_scaling
    base = [1.0 / theta ** (2 * i / dim) for i in range(dim // 2)]
    if sc is None:
        return base, 1.0
    if sc.type == "linear":
        return [f / sc.factor for f in base], 1.0
    if sc.type == "llama3":
        out = []
        for f in base:
            wl = 2 * math.pi / f
            if wl < sc.original_max_position / sc.high_freq_factor:
                out.append(f)
            elif wl > sc.original_max_position / sc.low_freq_factor:
                out.append(f / sc.factor)
            else:
                t = (sc.original_max_position / wl - sc.low_freq_factor) / (sc.high_freq_factor - sc.low_freq_factor)
                out.append((1 - t) * f / sc.factor + t * f)
        return out, 1.0
    # yarn
    def corr(rot):
        return (dim * math.log(sc.original_max_position / (rot * 2 * math.pi))) / (2 * math.log(theta))
    low, high = corr(sc.beta_fast), corr(sc.beta_slow)
    if sc.truncate:
        low, high = math.floor(low), math.ceil(high)
    low, high = max(low, 0), min(high, dim - 1)
    if low == high:
        high += 0.001
    out = []
    for i, f in enumerate(base):
        ramp = min(1.0, max(0.0, (i - low) / (high - low)))
        extrapolate = 1.0 - ramp
        out.append(f / sc.factor * (1 - extrapolate) + f * extrapolate)
    if sc.mscale and sc.mscale_all_dim:
        factor = _yarn_mscale(sc.factor, sc.mscale) / _yarn_mscale(sc.factor, sc.mscale_all_dim)
    else:
        factor = _yarn_mscale(sc.factor)
    return out, factor


def rope_halves(x: torch.Tensor, pos: torch.Tensor, cfg) -> torch.Tensor:
    """x [B, heads, L, d], the head's two halves rotated together (Llama's rotate_half)."""
    d = x.shape[-1]
    freqs, att = rope_frequencies(d, cfg)
    ang = pos.to(F64)[:, None] * torch.tensor(freqs, dtype=F64)[None, :]
    cos, sin = torch.cos(ang) * att, torch.sin(ang) * att                    # [L, d/2]
    a, b = x[..., : d // 2], x[..., d // 2:]
    return torch.cat([a * cos - b * sin, b * cos + a * sin], dim=-1)


def rope_pairs(x: torch.Tensor, pos: torch.Tensor, cfg) -> torch.Tensor:
    """x [B, heads, L, d], adjacent dimensions (2i, 2i+1) as one complex number turned by
    position x frequency i (DeepSeek's checkpoints, its reference code's freqs_cis)."""
    d = x.shape[-1]
    freqs, att = rope_frequencies(d, cfg)
    ang = pos.to(F64)[:, None] * torch.tensor(freqs, dtype=F64)[None, :]
    turn = torch.polar(torch.full_like(ang, att), ang)                       # [L, d/2] complex
    z = torch.view_as_complex(x.to(F64).reshape(*x.shape[:-1], d // 2, 2).contiguous())
    return torch.view_as_real(z * turn).reshape(x.shape)


# --------------------------------------------------------------------------- attention

def causal_attention(q, k, v, scale: float, window: int = 0, sinks: torch.Tensor | None = None):
    """q [B, h, L, d], k/v [B, h, L, d] (KV already repeated per query head). Query i sees keys
    j <= i, and with a window only i - j < window; sinks [h] join the softmax as one more logit."""
    L = q.shape[2]
    i = torch.arange(L)[:, None]
    j = torch.arange(L)[None, :]
    allowed = (j <= i) & ((i - j < window) if window else torch.ones(L, L, dtype=torch.bool))
    s = (q @ k.transpose(-1, -2)) * scale
    s = torch.where(allowed, s, torch.tensor(float("-inf"), dtype=s.dtype))
    if sinks is not None:
        s = torch.cat([s, sinks.view(1, -1, 1, 1).expand(s.shape[0], -1, L, 1).to(s.dtype)], dim=-1)
        p = torch.softmax(s, dim=-1)[..., :L]
    else:
        p = torch.softmax(s, dim=-1)
    return p @ v


def repeat_kv(x: torch.Tensor, n: int) -> torch.Tensor:
    """[B, kv, L, d] -> [B, kv * n, L, d]: each KV head serves n consecutive query heads."""
    B, kv, L, d = x.shape
    return x[:, :, None].expand(B, kv, n, L, d).reshape(B, kv * n, L, d)


# --------------------------------------------------------------------------- checkpoint formats

def e4m3(codes: torch.Tensor) -> torch.Tensor:
    """float8 e4m3fn bytes -> values: sign, 4-bit exponent (bias 7, subnormal at 0), 3-bit mantissa."""
    c = codes.to(torch.int64)
    sign = 1.0 - 2.0 * ((c >> 7) & 1).to(F64)
    e = (c >> 3) & 15
    mant = (c & 7).to(F64)
    normal = torch.ldexp(1.0 + mant / 8.0, (e - 7).to(torch.int32))
    sub = torch.ldexp(mant / 8.0, torch.full_like(e, -6, dtype=torch.int32))
    v = sign * torch.where(e == 0, sub, normal)
    return torch.where((e == 15) & ((c & 7) == 7), torch.tensor(float("nan"), dtype=F64), v)


def e2m1(nibbles: torch.Tensor) -> torch.Tensor:
    """fp4 e2m1 codes (0..15) -> values: sign, 2-bit exponent (bias 1), 1-bit mantissa."""
    c = nibbles.to(torch.int64)
    sign = 1.0 - 2.0 * ((c >> 3) & 1).to(F64)
    e = (c >> 1) & 3
    mant = (c & 1).to(F64)
    v = torch.where(e == 0, mant * 0.5, torch.ldexp(1.0 + mant / 2.0, (e - 1).to(torch.int32)))
    return sign * v


def fp4_pairs(packed: torch.Tensor) -> torch.Tensor:
    """u8 [..., n] -> values [..., 2n]: the low nibble holds the even element."""
    lo = e2m1(packed % 16)
    hi = e2m1(packed // 16)
    return torch.stack([lo, hi], dim=-1).reshape(*packed.shape[:-1], packed.shape[-1] * 2)


def block_scaled(values: torch.Tensor, scale_inv: torch.Tensor, block: int) -> torch.Tensor:
    """[out, in] values times the fp32 scale of their block x block tile (tiles at the edge may be partial)."""
    out, inp = values.shape
    po, pi = -(-out // block) * block, -(-inp // block) * block
    padded = torch.zeros(po, pi, dtype=F64)
    padded[:out, :inp] = values
    tiles = padded.view(po // block, block, pi // block, block) * scale_inv.to(F64)[:, None, :, None]
    return tiles.reshape(po, pi)[:out, :inp]


class Weights:
    """Full tensors of the reference, dequantised as the plan's checkpoint format says."""

    def __init__(self, cfg, src):
        self.cfg, self.src = cfg, src

    def __call__(self, name, shape):
        return self.src.get(name, tuple(shape)).to(F64)

    def linear(self, name: str, out: int, inp: int, part: str) -> torch.Tensor:
        q = self.cfg.quant
        if q is None or q.scheme not in ("fp8_block", "fp8_tensor", "nvfp4") or part not in q.parts:
            return self(name + ".weight", (out, inp))
        if q.scheme == "fp8_block":
            b = q.block
            s = self.src.get(name + ".weight_scale_inv", (-(-out // b), -(-inp // b)), None, "f32", inp)
            return block_scaled(e4m3(self.src.get(name + ".weight", (out, inp), None, "fp8")), s, b)
        if q.scheme == "fp8_tensor":
            s = self.src.get(name + ".weight_scale", (), None, "f32", inp).to(F64)
            return e4m3(self.src.get(name + ".weight", (out, inp), None, "fp8")) * s
        g = q.group
        vals = fp4_pairs(self.src.get(name + ".weight", (out, inp // 2), None, "u8"))
        gs = e4m3(self.src.get(name + ".weight_scale", (out, inp // g), None, "fp8", inp))
        s2 = self.src.get(name + ".weight_scale_2", (), None, "f32", inp * 4).to(F64)
        return (vals.view(out, inp // g, g) * gs[..., None]).reshape(out, inp) * s2

    def mxfp4(self, name: str, lead: int, out: int, inp: int) -> torch.Tensor:
        """`name_blocks` [lead, out, in/32, 16] and `name_scales` [lead, out, in/32] -> [lead, out, in]."""
        blocks = self.src.get(name + "_blocks", (lead, out, inp // 32, 16), None, "u8")
        scales = self.src.get(name + "_scales", (lead, out, inp // 32), None, "u8", inp).to(F64)
        vals = fp4_pairs(blocks)                                          # [lead, out, in/32, 32]
        return (vals * torch.pow(torch.tensor(2.0, dtype=F64), scales - 127)[..., None]).reshape(lead, out, inp)


class CausalLM:
    """Embedding -> decoder layers -> norm -> LM head, recomputed over the whole sequence."""

    def __init__(self, cfg, src):
        self.cfg = cfg
        self.w = Weights(cfg, src)
        V, H = cfg.vocab, cfg.hidden
        self.embed = self.w("model.embed_tokens.weight", (V, H))
        self.norm = self.w("model.norm.weight", (H,))
        self.head = self.embed if cfg.tied_embeddings else self.w("lm_head.weight", (V, H))

    def layer(self, i: int, x: torch.Tensor, pos: torch.Tensor) -> torch.Tensor:
        raise NotImplementedError

    def forward(self, tokens: torch.Tensor, after: tuple[int, ...] = ()):
        """tokens [B, L] -> (logits [B, L, vocab], {n: hidden states after the first n layers})."""
        x = self.embed[tokens]
        pos = torch.arange(tokens.shape[1])
        hidden = {0: x} if 0 in after else {}
        for i in range(self.cfg.layers):
            x = self.layer(i, x, pos)
            if i + 1 in after:
                hidden[i + 1] = x
        return rms(x, self.norm, self.cfg.norm_eps) @ self.head.T, hidden

    def greedy(self, prompt: torch.Tensor, n: int) -> torch.Tensor:
        seq, out = prompt, []
        for _ in range(n):
            nxt = self.forward(seq)[0][:, -1].argmax(-1)
            out.append(nxt)
            seq = torch.cat([seq, nxt[:, None]], 1)
        return torch.stack(out, 1)
