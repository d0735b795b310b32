"""This rank's shard of the model: its decoder layers, and the embedding / final norm / LM head
where its stage has them.

Hidden states inside a stage are a flat [N, hidden] tensor of N = batch * T tokens
(sequence-major); `StepMeta` (kvcache.py) carries the per-sequence structure attention needs.
Embedding and LM head are split by vocabulary ('vocab' range, padded): the lookup masks foreign
ids and all-reduces over TP, the head all-gathers its logit slices. Every range comes from the
plan's rank table; nothing is re-derived here.
"""

from __future__ import annotations

import torch
import torch.nn as nn
import torch.nn.functional as F

from .attention import GQAttention, MLAttention
from .kernels import rms_norm
from .mlp import DenseMLP
from .moe import MoE
from .names import Names
from .rope import RotaryTable


def _param(t):
    return None if t is None else nn.Parameter(t, requires_grad=False)


class DecoderLayer(nn.Module):
    def __init__(self, plan, m, info, layer: int, load, names, comm, rotary, kernels, dispatch: str):
        super().__init__()
        p = names.layer(layer)
        self.eps = m.norm_eps
        self.ln1 = _param(load.tensor(p + "input_layernorm.weight", (m.hidden,)))
        self.ln2 = _param(load.tensor(p + "post_attention_layernorm.weight", (m.hidden,)))
        attn = MLAttention if m.attention == "mla" else GQAttention
        self.attn = attn(m, info, layer, load, names, comm, rotary, kernels)
        self.mlp = MoE(plan, m, info, layer, load, names, comm, dispatch) if m.is_moe_layer(layer) \
            else DenseMLP(m, info, layer, load, names, comm)

    def forward(self, x, meta, cache):
        x = x + self.attn(rms_norm(x, self.ln1, self.eps), meta, cache)
        return x + self.mlp(rms_norm(x, self.ln2, self.eps), meta)


class ShardModel(nn.Module):
    def __init__(self, plan, rank: int, model_config, load, comm, kernels, dispatch: str = "allgather"):
        super().__init__()
        m = self.m = model_config
        r = self.r = plan.rank_info(rank)
        self.comm, self.dtype, self.device = comm, load.dtype, load.device
        self.first, self.last = r.pp == 0, r.pp == plan.pp - 1
        names = Names(m.family)
        rope_dim = m.mla.qk_rope_head_dim if m.mla is not None else m.head_dim
        self.rotary = RotaryTable(rope_dim, m.rope_theta, m.rope_scaling, m.rope_interleave)
        self.layer_ids = list(range(*r.layers))
        self.layers = nn.ModuleList([DecoderLayer(plan, m, r, l, load, names, comm, self.rotary, kernels, dispatch)
                                     for l in self.layer_ids])
        self.v0, self.v1 = r.vocab
        H, V = m.hidden, m.vocab

        def vocab_rows(name):
            # Rows past the real vocabulary are padding (zeros) and never win the argmax.
            real = load.tensor(name, (V, H), [(min(self.v0, V), min(self.v1, V)), (0, H)])
            pad = self.v1 - self.v0 - real.shape[0]
            return torch.cat([real, real.new_zeros(pad, H)]) if pad else real

        self.embed = _param(vocab_rows(names.embed)) if self.first or (self.last and m.tied_embeddings) else None
        self.norm = _param(load.tensor(names.norm, (H,))) if self.last else None
        self.head = (self.embed if m.tied_embeddings else _param(vocab_rows(names.head))) if self.last else None
        # TP ranks' vocab slices in TP order, for reassembling logits.
        self.vocab_widths = [plan.rank_info(g).vocab[1] - plan.rank_info(g).vocab[0] for g in comm.members["tp"]]

    def weight_bytes(self) -> int:
        """Bytes of the weights this rank holds (in the compute dtype; a tied head counted once)."""
        return sum(p.numel() * p.element_size() for p in self.parameters())

    def embed_bytes(self) -> int:
        return 0 if self.embed is None else self.embed.numel() * self.embed.element_size()

    def cache_shapes(self, block_size: int):
        return [l.attn.cache_shapes(block_size) for l in self.layers]

    def shapes(self) -> str:
        parts = [f"layers [{self.r.layers[0]}, {self.r.layers[1]})"]
        if self.layers:
            parts.append(self.layers[0].attn.shapes())
            kinds = {type(l.mlp).__name__: l.mlp.shapes() for l in self.layers}
            parts += [v for _, v in sorted(kinds.items())]
        if self.embed is not None or self.head is not None:
            parts.append(f"vocab [{self.v0}, {self.v1})" + (" embed" if self.first else "") + (" head" if self.last else ""))
        return "; ".join(parts)

    def embed_tokens(self, ids: torch.Tensor) -> torch.Tensor:
        """Vocabulary-parallel lookup: foreign ids give zeros, the TP all-reduce fills them in."""
        ids = ids.reshape(-1)
        mine = (ids >= self.v0) & (ids < self.v1)
        local = torch.where(mine, ids - self.v0, torch.zeros_like(ids))
        x = self.embed.index_select(0, local) * mine[:, None].to(self.embed.dtype)
        return self.comm.all_reduce("tp", x)

    def forward(self, x: torch.Tensor, meta, caches) -> torch.Tensor:
        for layer, cache in zip(self.layers, caches):
            x = layer(x, meta, cache)
        return x

    def logits(self, h: torch.Tensor) -> torch.Tensor:
        """[n, hidden] -> [n, vocab] full logits on every TP rank of the last stage."""
        part = F.linear(rms_norm(h, self.norm, self.m.norm_eps), self.head)
        widths = self.vocab_widths
        if len(widths) > 1:
            wmax = max(widths)
            parts = self.comm.all_gather("tp", F.pad(part, (0, wmax - part.shape[1])))
            part = torch.cat([p[:, :w] for p, w in zip(parts, widths)], dim=1)
        return part[:, :self.m.vocab]
