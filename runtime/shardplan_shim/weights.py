"""Where weights come from: a deterministic synthetic checkpoint, or a safetensors one.

Both are asked for a tensor by its Hugging Face name, its full shape, the box (per-dimension
half-open ranges) wanted, and the kind of data the checkpoint stores there:
  float  weights and biases in a floating dtype (returned as float64 / the compute dtype)
  fp8    e4m3 codes (uint8)        u8   packed fp4 codes or e8m0 exponents (uint8)
  f32    fp32 quantisation scales
so that the partitioned model and the reference both read exactly what a real checkpoint of
the plan's format holds, and each dequantises it with its own code.
"""

from __future__ import annotations

import math
import zlib

import torch

from .safetensors_io import Checkpoint, SafetensorsError

_ITEMSIZE = {"fp8": 1, "u8": 1, "f32": 4}


def _seed(base: int, name: str) -> int:
    # crc32 is stable across processes and Python versions (hash() is salted per process).
    return (zlib.crc32(name.encode()) ^ (base * 0x9E3779B1)) & 0x7FFFFFFF


def _kind(name: str) -> str:
    if name.endswith("norm.weight") or "layernorm" in name:
        return "norm"
    if name.endswith("sinks"):
        return "sink"
    if name.endswith("bias"):
        return "bias"
    if "embed_tokens" in name:
        return "embed"
    return "linear"


class SyntheticSource:
    """A synthetic checkpoint. exact=True generates each FULL tensor from a seed derived from its
    name and slices it, so any partitioning sees identical values (what verify compares);
    exact=False (bench at real shapes) generates only the box, on the device: fast and light,
    values then depend on the partitioning, which timing does not care about."""

    def __init__(self, seed: int, dtype: torch.dtype, device: torch.device, exact: bool = True, stored_float_bytes: int = 2):
        self.seed, self.dtype, self.device, self.exact = seed, dtype, torch.device(device), exact
        self.float_bytes = stored_float_bytes
        self.bytes_read = 0
        self.description = f"synthetic(seed={seed}, {'exact' if exact else 'per-shard'})"

    def get(self, name: str, shape: tuple[int, ...], box=None, kind: str = "float", fan_in: int = 0) -> torch.Tensor:
        box = list(box) if box is not None else [(0, s) for s in shape]
        box += [(0, s) for s in shape[len(box):]]
        out_shape = [b - a for a, b in box]
        self.bytes_read += math.prod(out_shape) * _ITEMSIZE.get(kind, self.float_bytes)
        if self.exact:
            g = torch.Generator().manual_seed(_seed(self.seed, name))
            t = self._make(name, list(shape), kind, g, torch.device("cpu"), torch.float64, fan_in)
            return t[tuple(slice(a, b) for a, b in box)].contiguous()
        g = torch.Generator(device=self.device).manual_seed(_seed(self.seed, name + repr(box)))
        return self._make(name, out_shape, kind, g, self.device, self.dtype, fan_in)

    @staticmethod
    def _make(name, shape, kind, g, device, dtype, fan_in):
        fan_in = fan_in or (shape[-1] if shape else 1)
        if kind == "fp8":
            # Moderate e4m3 codes (|x| in [1/4, 7.5]): sign, exponent field 5..9, any mantissa.
            pos = name.endswith("weight_scale")
            sign = torch.zeros(shape, dtype=torch.long, device=device) if pos else \
                torch.randint(0, 2, shape, generator=g, device=device)
            exp = torch.randint(5, 10, shape, generator=g, device=device)
            man = torch.randint(0, 8, shape, generator=g, device=device)
            return (sign * 128 + exp * 8 + man).to(torch.uint8)
        if kind == "u8":
            if name.endswith("_scales"):
                # e8m0 exponents keeping e2m1 values (mean |x| ~2.6) at about 1/sqrt(fan_in).
                e = 127 - round(math.log2(2.6 * math.sqrt(fan_in)))
                return torch.randint(e - 1, e + 2, shape, generator=g, device=device).to(torch.uint8)
            return torch.randint(0, 256, shape, generator=g, device=device).to(torch.uint8)
        if kind == "f32":
            u = torch.rand(shape, generator=g, device=device, dtype=torch.float64)
            return (torch.pow(2.0, 2 * u - 1) / (2.5 * math.sqrt(fan_in))).to(torch.float32)
        k = _kind(name)
        t = torch.randn(shape, generator=g, device=device, dtype=torch.float64 if device.type == "cpu" else dtype)
        # Scales keep activations O(1) through the layers so logits are well separated (greedy
        # decoding then has no near-ties that rounding could flip).
        if k == "norm":
            t = 1.0 + 0.1 * t
        elif k in ("bias", "sink"):
            t = (0.1 if k == "bias" else 1.0) * t
        elif k == "linear":
            t = t / math.sqrt(fan_in)
        return t.to(dtype)


class CheckpointSource:
    """Slices of a Hugging Face safetensors checkpoint, read without loading whole tensors."""

    _STORED = {"float": ("F64", "F32", "F16", "BF16"), "fp8": ("F8_E4M3",), "u8": ("U8",), "f32": ("F32",)}

    def __init__(self, path: str, dtype: torch.dtype, device: torch.device):
        self.ckpt = Checkpoint(path)
        self.dtype, self.device = dtype, torch.device(device)
        self.bytes_read = 0
        self.description = f"checkpoint({path})"

    def has(self, name: str) -> bool:
        return self.ckpt.has(name)

    def get(self, name: str, shape: tuple[int, ...], box=None, kind: str = "float", fan_in: int = 0) -> torch.Tensor:
        got = tuple(self.ckpt.shape(name))
        if got != tuple(shape):
            raise SafetensorsError(f"{self.ckpt.path}: tensor '{name}' has shape {list(got)}, "
                                   f"the plan's model needs {list(shape)}")
        stored = self.ckpt.dtype_name(name)
        if stored not in self._STORED[kind]:
            raise SafetensorsError(f"{self.ckpt.path}: tensor '{name}' is {stored}; the plan's quantisation expects "
                                   f"{' or '.join(self._STORED[kind])}")
        t = self.ckpt.read(name, box)
        self.bytes_read += t.numel() * t.element_size()
        return t if kind != "float" else t.to(device=self.device, dtype=self.dtype)
