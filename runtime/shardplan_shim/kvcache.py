"""The paged KV cache of this rank's layers and the per-step metadata attention reads.

Per layer and cached tensor one pool [num_blocks, block_size, heads, dim] (MLA: one "head"
holding the latent and the rope key); sequences own blocks through a block table and new
tokens are written with one indexed store per tensor.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import torch


@dataclass
class StepMeta:
    """One forward step of one micro-batch: B sequences, T new tokens each."""
    B: int
    T: int
    start: list[int]               # tokens already cached per sequence
    positions: torch.Tensor        # [B*T] absolute positions
    blocks: torch.Tensor           # [B*T] cache block of each new token
    offsets: torch.Tensor          # [B*T] slot inside that block
    block_table: torch.Tensor      # [B, max_blocks]
    contig_stride: int             # >0: sequence b owns blocks base + [b*stride, (b+1)*stride) (zero-copy view)
    contig_base: int
    block_size: int
    rope: dict = field(default_factory=dict)      # rotary table -> (cos, sin) of this step's positions
    _masks: dict = field(default_factory=dict)

    @property
    def lens(self) -> list[int]:
        return [s + self.T for s in self.start]

    def rotary(self, table, dtype):
        """cos/sin of this step's positions for a rotary table, computed once per step."""
        key = (id(table), dtype)
        if key not in self.rope:
            self.rope[key] = table.cos_sin(self.positions, dtype)
        return self.rope[key]

    def decode_mask(self, window: int, device) -> torch.Tensor | None:
        """[B, 1, 1, Lmax] True where sequence b's decode query sees key j: j < len_b, and within
        the window when there is one. None when no key is hidden (every sequence equally long and
        no window cuts it), so the fused kernels run unmasked. Shared by the step's layers."""
        lens = self.lens
        if all(n == lens[0] for n in lens) and (not window or lens[0] <= window):
            return None
        if window not in self._masks:
            lim = torch.tensor(lens, device=device).view(-1, 1, 1, 1)
            j = torch.arange(max(lens), device=device).view(1, 1, 1, -1)
            m = j < lim
            if window:
                m = m & (j >= lim - window)
            self._masks[window] = m
        return self._masks[window]


def write_cache(cache: torch.Tensor, meta: StepMeta, vals: torch.Tensor):
    """cache [nb, bs, heads, d]; vals [N, heads, d] for the step's new tokens."""
    cache[meta.blocks, meta.offsets] = vals.to(cache.dtype)


class KVCache:
    """Per layer, per cached tensor, a pool [num_blocks, block_size, heads, dim]."""

    def __init__(self, shapes: list[list[tuple[int, ...]]], num_blocks: int, block_size: int, dtype: torch.dtype,
                 device: torch.device, shuffle_seed: int | None = None):
        self.block_size, self.num_blocks = block_size, num_blocks
        self.pools = [[torch.zeros((num_blocks,) + s, dtype=dtype, device=device) for s in layer] for layer in shapes]
        order = list(range(num_blocks))
        if shuffle_seed is not None:
            # Scatter blocks over the pool so block tables are non-trivial (exercises paging).
            g = torch.Generator().manual_seed(shuffle_seed)
            order = torch.randperm(num_blocks, generator=g).tolist()
        self.free = order
        self.device = device

    def bytes(self) -> int:
        return sum(t.numel() * t.element_size() for layer in self.pools for t in layer)

    def allocate(self, n_seqs: int, tokens: int) -> tuple[torch.Tensor, int, int]:
        """Block table [n_seqs, blocks_per_seq] for sequences of up to `tokens` tokens; also
        (stride, base) if sequence b got exactly blocks base + [b*stride, (b+1)*stride)
        (stride 0 otherwise), which lets decode read the pool as a view."""
        per = (tokens + self.block_size - 1) // self.block_size
        need = n_seqs * per
        if need > len(self.free):
            raise RuntimeError(f"KV cache too small: need {need} blocks of {self.block_size} tokens, "
                               f"{len(self.free)} free of {self.num_blocks}")
        ids, self.free = self.free[:need], self.free[need:]
        table = torch.tensor(ids, dtype=torch.long).view(n_seqs, per)
        contig = per if ids == list(range(ids[0], ids[0] + need)) else 0
        return table.to(self.device), contig, ids[0]


def make_meta(table: torch.Tensor, contig: int, base: int, start: list[int], T: int, block_size: int) -> StepMeta:
    B = len(start)
    dev = table.device
    pos = torch.tensor([s + i for s in start for i in range(T)], dtype=torch.long, device=dev)
    seq = torch.arange(B, device=dev).repeat_interleave(T)
    return StepMeta(B=B, T=T, start=list(start), positions=pos, blocks=table[seq, pos // block_size],
                    offsets=pos % block_size, block_table=table, contig_stride=contig, contig_base=base,
                    block_size=block_size)
