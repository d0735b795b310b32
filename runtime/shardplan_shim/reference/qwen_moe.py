"""Qwen2-MoE and Qwen3-MoE, as transformers' modeling_qwen2_moe / modeling_qwen3_moe define them.

Attention is Qwen2's (q/k/v biases) or Qwen3's (per-head q/k RMSNorm). Every layer's MLP is a
sparse block: routing weights = softmax(gate(x)) over all experts, the top-k kept, renormalised
when config.norm_topk_prob; out = sum_k w_k * down(silu(gate_proj x) * up_proj x). Qwen2-MoE adds
a shared expert scaled by sigmoid(shared_expert_gate(x)).
"""

from __future__ import annotations

import torch

from .llama import LlamaLM
from .qwen3 import Qwen3LM


class _SparseBlock:
    def load_mlp(self, d, i):
        cfg, mo = self.cfg, self.cfg.moe
        if mo.dense_layers:
            raise ValueError(f"{cfg.family} has no leading dense layers")
        p = f"model.layers.{i}.mlp."
        H, I = cfg.hidden, mo.expert_ffn
        d["router"] = self.w(p + "gate.weight", (mo.experts, H))
        d["experts"] = [tuple(self.w.linear(p + f"experts.{e}.{n}_proj", *shape, "experts")
                              for n, shape in (("gate", (I, H)), ("up", (I, H)), ("down", (H, I))))
                        for e in range(mo.experts)]
        d["shared"] = None
        if cfg.family == "qwen2_moe" and mo.shared_ffn:
            S = mo.shared_ffn
            d["shared"] = tuple(self.w.linear(p + f"shared_expert.{n}_proj", *shape, "shared_experts")
                                for n, shape in (("gate", (S, H)), ("up", (S, H)), ("down", (H, S))))
            d["shared_gate"] = self.w(p + "shared_expert_gate.weight", (1, H))

    @staticmethod
    def _swiglu(h, gate, up, down):
        g = h @ gate.T
        return (g * torch.sigmoid(g) * (h @ up.T)) @ down.T

    def mlp(self, d, i, h):
        mo = self.cfg.moe
        probs = torch.softmax(h @ d["router"].T, dim=-1)
        top, idx = torch.topk(probs, mo.top_k, dim=-1)
        if mo.norm_topk_prob:
            top = top / top.sum(-1, keepdim=True)
        weight = torch.zeros_like(probs).scatter(-1, idx, top)
        out = torch.zeros_like(h)
        for e, ws in enumerate(d["experts"]):
            out = out + weight[..., e:e + 1] * self._swiglu(h, *ws)
        if d["shared"] is not None:
            out = out + torch.sigmoid(h @ d["shared_gate"].T) * self._swiglu(h, *d["shared"])
        return out


class Qwen2MoeLM(_SparseBlock, LlamaLM):
    pass


class Qwen3MoeLM(_SparseBlock, Qwen3LM):
    pass
