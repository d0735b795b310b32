"""Qwen3 (dense), as transformers' modeling_qwen3 defines it: Llama's decoder, with each head's
query and key RMS-normalised over head_dim (q_norm, k_norm) after the projections and before
RoPE; attention_bias biases q, k, v and o."""

from __future__ import annotations

from .common import rms
from .llama import LlamaLM


class Qwen3LM(LlamaLM):
    def extra_attention(self, d, prefix):
        hd = self.cfg.head_dim
        d["q_norm"] = self.w(prefix + "q_norm.weight", (hd,))
        d["k_norm"] = self.w(prefix + "k_norm.weight", (hd,))

    def qk(self, d, q, k):
        eps = self.cfg.norm_eps
        return rms(q, d["q_norm"], eps), rms(k, d["k_norm"], eps)
