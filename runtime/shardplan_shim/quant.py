"""How the partitioned model reads its weights: a linear layer's slice, dequantised from the
checkpoint's format into the compute dtype.

Formats (docs/plan-ir.md, model.quantization.scheme):
  fp8_block   `W.weight` e4m3 [out, in], `W.weight_scale_inv` fp32 [ceil(out/b), ceil(in/b)]:
              W = e4m3 * scale_inv of the (out/b, in/b) tile (DeepSeek-V3, Qwen3-FP8).
  fp8_tensor  `W.weight` e4m3, `W.weight_scale` fp32 scalar (ModelOpt FP8).
  mxfp4       `W_blocks` u8 [.., out, in/32, 16] two e2m1 codes per byte, low nibble first;
              `W_scales` u8 [.., out, in/32] e8m0 (2^(s-127)) per 32 inputs (gpt-oss experts).
  nvfp4       `W.weight` u8 [out, in/2] e2m1 pairs, `W.weight_scale` e4m3 [out, in/16],
              `W.weight_scale_2` fp32 scalar (ModelOpt NVFP4).
A slice that cuts a scale block or group reads the whole block's scale and keeps its part.
torch 1.13 has no float8 dtype, so codes are decoded from their bits through a table.
"""

from __future__ import annotations

import torch


def e4m3_table() -> torch.Tensor:
    """The 256 values of float8 e4m3fn (bias 7, no infinities, S.1111.111 is NaN)."""
    out = []
    for code in range(256):
        sign = -1.0 if code & 0x80 else 1.0
        exp, man = (code >> 3) & 0xF, code & 0x7
        if exp == 0xF and man == 0x7:
            out.append(float("nan"))
        elif exp == 0:
            out.append(sign * (man / 8.0) * 2.0 ** -6)
        else:
            out.append(sign * (1.0 + man / 8.0) * 2.0 ** (exp - 7))
    return torch.tensor(out, dtype=torch.float64)


def e2m1_table() -> torch.Tensor:
    """The 16 values of fp4 e2m1 (bias 1): 0, 0.5, 1, 1.5, 2, 3, 4, 6 and their negatives."""
    out = []
    for code in range(16):
        sign = -1.0 if code & 0x8 else 1.0
        exp, man = (code >> 1) & 0x3, code & 0x1
        out.append(sign * (man * 0.5 if exp == 0 else (1.0 + man / 2.0) * 2.0 ** (exp - 1)))
    return torch.tensor(out, dtype=torch.float64)


def _expand(scales: torch.Tensor, sizes: tuple[int, ...], starts: tuple[int, ...], lengths: tuple[int, ...]) -> torch.Tensor:
    """Repeat each scale over its tile along the last len(sizes) dims, then crop to the slice."""
    s = scales
    nd = len(sizes)
    for i, (b, a, n) in enumerate(zip(sizes, starts, lengths)):
        dim = s.dim() - nd + i
        s = s.repeat_interleave(b, dim=dim).narrow(dim, a % b, n)
    return s


def _unpack_fp4(packed: torch.Tensor, high_first: bool) -> torch.Tensor:
    """u8 [..., n] -> codes [..., 2n]: element 2i in the low nibble of byte i (high_first swaps: a mutation)."""
    lo, hi = packed & 0x0F, packed >> 4
    if high_first:
        lo, hi = hi, lo
    return torch.stack([lo, hi], dim=-1).flatten(-2).long()


class Loader:
    """Reads this rank's slices of weights through a weight source (synthetic or checkpoint).
    `box` = per-dimension half-open ranges of the full tensor; None = whole."""

    def __init__(self, model, source, dtype: torch.dtype, device: torch.device, mutations: frozenset = frozenset()):
        self.m, self.src, self.dtype, self.device = model, source, dtype, device
        self.ignore_scales = "quant_scales" in mutations
        self.high_nibble_first = "fp4_nibbles" in mutations

    def _raw(self, name, shape, box, kind, fan_in=0):
        return self.src.get(name, tuple(shape), box, kind, fan_in)

    def tensor(self, name: str, shape, box=None) -> torch.Tensor:
        """An unquantised tensor (norms, biases, embeddings, router, unquantised linears)."""
        return self._raw(name, shape, box, "float").to(device=self.device, dtype=self.dtype)

    def linear(self, name: str, out: int, inp: int, rows=None, cols=None, part: str = "attention") -> torch.Tensor:
        """Slice [rows, cols] of the linear layer `name` ([out, in]), in the compute dtype."""
        rows, cols = rows or (0, out), cols or (0, inp)
        box = [rows, cols]
        q = self.m.quant
        if not self.m.quantised(part):
            return self.tensor(name + ".weight", (out, inp), box)
        if q.scheme == "fp8_block":
            b = q.block
            codes = self._raw(name + ".weight", (out, inp), box, "fp8")
            grid = ((rows[0] // b, -(-rows[1] // b)), (cols[0] // b, -(-cols[1] // b)))
            s = self._raw(name + ".weight_scale_inv", (-(-out // b), -(-inp // b)), list(grid), "f32", inp).double()
            w = e4m3_table().to(codes.device)[codes.long()]
            if not self.ignore_scales:
                w = w * _expand(s, (b, b), (rows[0], cols[0]), (rows[1] - rows[0], cols[1] - cols[0]))
        elif q.scheme == "fp8_tensor":
            codes = self._raw(name + ".weight", (out, inp), box, "fp8")
            w = e4m3_table().to(codes.device)[codes.long()]
            if not self.ignore_scales:
                w = w * self._raw(name + ".weight_scale", (), None, "f32", inp).double()
        elif q.scheme == "nvfp4":
            g = q.group
            c0, c1 = (cols[0] // 2) * 2, -(-cols[1] // 2) * 2
            packed = self._raw(name + ".weight", (out, inp // 2), [rows, (c0 // 2, c1 // 2)], "u8")
            w = e2m1_table().to(packed.device)[_unpack_fp4(packed, self.high_nibble_first)].narrow(1, cols[0] - c0, cols[1] - cols[0])
            if not self.ignore_scales:
                sc = self._raw(name + ".weight_scale", (out, inp // g), [rows, (cols[0] // g, -(-cols[1] // g))], "fp8", inp)
                gs = e4m3_table().to(sc.device)[sc.long()]
                w = w * _expand(gs, (g,), (cols[0],), (cols[1] - cols[0],))
                w = w * self._raw(name + ".weight_scale_2", (), None, "f32", inp * 4).double()
        else:
            raise ValueError(f"{name}: scheme {q.scheme} has no per-layer linear layout here")
        return w.to(device=self.device, dtype=self.dtype)

    def mxfp4(self, name: str, lead: tuple[int, ...], out: int, inp: int, lead_box, rows, cols) -> torch.Tensor:
        """gpt-oss's fused expert tensors `name_blocks` [*lead, out, in/32, 16] and `name_scales`
        [*lead, out, in/32] -> [*lead slice, rows, cols] (the [out, in] layout F.linear takes)."""
        g = 32
        g0, g1 = cols[0] // g, -(-cols[1] // g)
        box = list(lead_box) + [rows, (g0, g1)]
        blocks = self._raw(name + "_blocks", tuple(lead) + (out, inp // g, 16), box + [(0, 16)], "u8")
        w = e2m1_table().to(blocks.device)[_unpack_fp4(blocks, self.high_nibble_first)]   # [..., rows, groups, 32]
        if not self.ignore_scales:
            e = self._raw(name + "_scales", tuple(lead) + (out, inp // g), box, "u8", inp).double()
            w = w * torch.pow(2.0, e - 127)[..., None]
        w = w.flatten(-2).narrow(-1, cols[0] - g0 * g, cols[1] - cols[0])
        return w.to(device=self.device, dtype=self.dtype)
