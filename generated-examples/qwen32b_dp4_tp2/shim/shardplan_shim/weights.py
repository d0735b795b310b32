"""Where weights come from: deterministic synthetic tensors or a safetensors checkpoint.

Tensor names follow the Hugging Face layout (Llama for dense/GQA, DeepSeek-V2/V3 for MLA
and MoE) so a real checkpoint and the synthetic generator are interchangeable: the model
asks a source for `name` with its full logical shape and the box (per-dimension
half-open ranges) this rank holds.
"""

from __future__ import annotations

import math
import zlib

import torch

from .safetensors_io import Checkpoint, SafetensorsError


def _seed(base: int, name: str) -> int:
    # crc32 is stable across processes and Python versions (hash() is salted per process).
    return (zlib.crc32(name.encode()) ^ (base * 0x9E3779B1)) & 0x7FFFFFFF


def _kind(name: str) -> str:
    if name.endswith("norm.weight") or "layernorm" in name:
        return "norm"
    if name.endswith(".bias"):
        return "bias"
    if "embed_tokens" in name:
        return "embed"
    return "linear"


class SyntheticSource:
    """Deterministic random weights.

    exact=True generates every FULL tensor from a seed derived from its name (the name
    encodes the layer) and slices it, so any partitioning of the model sees identical
    values, which is what `verify` compares.  exact=False (bench at real shapes) generates
    each shard directly on the device: fast and memory-light, but values then depend on
    the partitioning, which does not matter for timing."""

    def __init__(self, seed: int, dtype: torch.dtype, device: torch.device, exact: bool = True):
        self.seed, self.dtype, self.device, self.exact = seed, dtype, torch.device(device), exact
        self.description = f"synthetic(seed={seed}, {'exact' if exact else 'per-shard'})"

    def get(self, name: str, shape: tuple[int, ...], box: list[tuple[int, int]] | None = None) -> torch.Tensor:
        box = box or [(0, s) for s in shape]
        kind = _kind(name)
        if self.exact:
            g = torch.Generator().manual_seed(_seed(self.seed, name))
            full = torch.randn(*shape, generator=g, dtype=torch.float64)
            t = full[tuple(slice(a, b) for a, b in box)]
            t = self._scale(t, kind, shape)
            return t.to(device=self.device, dtype=self.dtype).contiguous()
        out_shape = [b - a for a, b in box]
        if kind == "norm":
            return torch.ones(out_shape, dtype=self.dtype, device=self.device)
        g = torch.Generator(device=self.device).manual_seed(_seed(self.seed, name + repr(box)))
        t = torch.empty(out_shape, dtype=self.dtype, device=self.device)
        std = {"bias": 0.02, "embed": 1.0}.get(kind, 1.0 / math.sqrt(shape[-1]))
        t.normal_(0.0, std, generator=g)
        return t

    @staticmethod
    def _scale(t: torch.Tensor, kind: str, shape) -> torch.Tensor:
        # Scales keep activations O(1) through the layers so logits are well separated
        # (greedy decoding then has no near-ties that rounding could flip).
        if kind == "norm":
            return 1.0 + 0.1 * t
        if kind == "bias":
            return 0.1 * t
        if kind == "embed":
            return t
        return t / math.sqrt(shape[-1])


class CheckpointSource:
    """Slices of a Hugging Face safetensors checkpoint, read without loading whole tensors."""

    def __init__(self, path: str, dtype: torch.dtype, device: torch.device):
        self.ckpt = Checkpoint(path)
        self.dtype, self.device = dtype, torch.device(device)
        self.description = f"checkpoint({path})"

    def has(self, name: str) -> bool:
        return self.ckpt.has(name)

    def get(self, name: str, shape: tuple[int, ...], box: list[tuple[int, int]] | None = None) -> torch.Tensor:
        got = tuple(self.ckpt.shape(name))
        if got != tuple(shape):
            raise SafetensorsError(f"{self.ckpt.path}: tensor '{name}' has shape {list(got)}, "
                                   f"the plan's model needs {list(shape)}")
        t = self.ckpt.read(name, box)
        return t.to(device=self.device, dtype=self.dtype)


def synthetic_checkpoint_tensors(names_shapes: dict[str, tuple[int, ...]], seed: int,
                                 dtype: torch.dtype = torch.float32) -> dict[str, torch.Tensor]:
    """Full synthetic tensors for writing a test checkpoint."""
    src = SyntheticSource(seed, dtype, torch.device("cpu"), exact=True)
    return {n: src.get(n, s) for n, s in names_shapes.items()}
