"""Mixtral, as transformers' modeling_mixtral defines it: Mistral's attention, and a sparse MoE
block: router logits = gate(x); routing weights = softmax over all experts, the top-k kept and
renormalised to sum to 1; out = sum_k w_k * w2(silu(w1 x) * w3 x) of the chosen experts."""

from __future__ import annotations

import torch

from .llama import LlamaLM


class MixtralLM(LlamaLM):
    def load_mlp(self, d, i):
        cfg, mo = self.cfg, self.cfg.moe
        p = f"model.layers.{i}.block_sparse_moe."
        H, I = cfg.hidden, mo.expert_ffn
        d["router"] = self.w(p + "gate.weight", (mo.experts, H))
        d["experts"] = [(self.w.linear(p + f"experts.{e}.w1", I, H, "experts"), self.w.linear(p + f"experts.{e}.w3", I, H, "experts"),
                         self.w.linear(p + f"experts.{e}.w2", H, I, "experts")) for e in range(mo.experts)]

    def mlp(self, d, i, h):
        mo = self.cfg.moe
        probs = torch.softmax(h @ d["router"].T, dim=-1)
        top, idx = torch.topk(probs, mo.top_k, dim=-1)
        top = top / top.sum(-1, keepdim=True)
        dense = torch.zeros_like(probs).scatter(-1, idx, top)              # [B, L, E]: weight of every expert
        out = torch.zeros_like(h)
        for e, (w1, w3, w2) in enumerate(d["experts"]):
            g = h @ w1.T
            out = out + dense[..., e:e + 1] * ((g * torch.sigmoid(g) * (h @ w3.T)) @ w2.T)
        return out
