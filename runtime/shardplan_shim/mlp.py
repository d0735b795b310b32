"""Gated feed-forward blocks of the partitioned model.

A gated MLP holds [gate; up] as one column-parallel matrix (one GEMM per step) and a
row-parallel down projection; the caller reduces the partial sums. The activation is SwiGLU
(silu(gate) * up), or gpt-oss's clamped form: gate clamped above at `limit`, up to ±limit,
gate * sigmoid(1.702 * gate) * (up + 1); gpt-oss experts also carry biases.
"""

from __future__ import annotations

import torch
import torch.nn as nn
import torch.nn.functional as F

GPT_OSS_ALPHA = 1.702


def _param(t):
    return None if t is None else nn.Parameter(t, requires_grad=False)


class GatedMLP(nn.Module):
    """down(act(gate(x)), up(x)) for one slice [a, b) of the intermediate width."""

    def __init__(self, gate_up: torch.Tensor, down: torch.Tensor, limit: float = 0.0,
                 gate_up_bias: torch.Tensor | None = None, down_bias: torch.Tensor | None = None):
        super().__init__()
        self.n = gate_up.shape[0] // 2
        self.gate_up, self.down = _param(gate_up), _param(down)
        self.gate_up_bias, self.down_bias = _param(gate_up_bias), _param(down_bias)
        self.limit = limit

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        gu = F.linear(x, self.gate_up, self.gate_up_bias)
        g, u = gu[:, :self.n], gu[:, self.n:]
        if self.limit:
            g = g.clamp(max=self.limit)
            u = u.clamp(min=-self.limit, max=self.limit)
            h = g * torch.sigmoid(GPT_OSS_ALPHA * g) * (u + 1)
        else:
            h = F.silu(g) * u
        return F.linear(h, self.down, self.down_bias)


def load_gated(load, names3: tuple[str, str, str], inter: int, hidden: int, a: int, b: int, part: str, limit: float = 0.0) -> GatedMLP:
    """A gated MLP from separate gate/up/down linears (Llama, Qwen, Mixtral, DeepSeek layouts)."""
    gate, up, down = names3
    gu = torch.cat([load.linear(gate, inter, hidden, (a, b), None, part), load.linear(up, inter, hidden, (a, b), None, part)])
    return GatedMLP(gu, load.linear(down, hidden, inter, None, (a, b), part), limit)


class DenseMLP(nn.Module):
    """The dense FFN of a layer, its width split over TP ('ffn' range), reduced over TP."""

    def __init__(self, m, info, layer: int, load, names, comm):
        super().__init__()
        a, b = info.ffn
        p = names.mlp(layer)
        self.comm = comm
        self.mlp = load_gated(load, (p + "gate_proj", p + "up_proj", p + "down_proj"), m.ffn, m.hidden, a, b, "dense_ffn")

    def shapes(self) -> str:
        return f"ffn {self.mlp.n}"

    def forward(self, x, meta=None):
        return self.comm.all_reduce("tp", self.mlp(x))
