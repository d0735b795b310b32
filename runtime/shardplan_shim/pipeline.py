"""Pipeline execution of several micro-batches through this rank's stage.

Every stage walks the same (step, micro-batch) order. Activations go forward with isend, so a
stage starts the next micro-batch while the following stage still works on the previous one
(several micro-batches in flight); greedy tokens go from the last stage back to the first the
same way, so decode step t+1 of micro-batch m can start on stage 0 as soon as step t of m has
left the last stage.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from .kvcache import KVCache, make_meta


@dataclass
class MicroBatch:
    table: torch.Tensor        # block table [B, blocks]
    contig: int
    base: int
    start: list[int]           # tokens cached so far, per sequence

    @property
    def B(self) -> int:
        return len(self.start)


def split_even(n: int, parts: int) -> list[tuple[int, int]]:
    """[0, n) into `parts` contiguous nearly equal ranges (the first ones get the remainder)."""
    out, pos = [], 0
    for i in range(parts):
        k = n // parts + (1 if i < n % parts else 0)
        out.append((pos, pos + k))
        pos += k
    return out


def make_micro_batches(cache: KVCache, n_seqs: int, tokens: int, n_mb: int, start: int = 0) -> list[MicroBatch]:
    mbs = []
    for a, b in split_even(n_seqs, max(1, min(n_mb, n_seqs))):
        table, contig, base = cache.allocate(b - a, tokens)
        mbs.append(MicroBatch(table, contig, base, [start] * (b - a)))
    return mbs


class Pipeline:
    def __init__(self, plan, rank: int, model, comm, cache: KVCache):
        r = plan.rank_info(rank)
        self.model, self.comm, self.cache = model, comm, cache
        self.first, self.last, self.pp = model.first, model.last, plan.pp
        self.prev = plan.global_rank(r.dp, r.pp - 1, r.tp) if not self.first else None
        self.next = plan.global_rank(r.dp, r.pp + 1, r.tp) if not self.last else None
        self.head_rank = plan.global_rank(r.dp, 0, r.tp)
        self.tail_rank = plan.global_rank(r.dp, plan.pp - 1, r.tp)
        self.device = model.device

    def run(self, mbs: list[MicroBatch], first_tokens, T0: int, n_steps: int, all_logits_first: bool = False,
            record=None, on_output=None, on_step_end=None):
        """Step 0 feeds T0 tokens per sequence (the prompt; only the first stage needs first_tokens),
        later steps the previous greedy token. On the last stage record(t, m, logits[B, T|1, V],
        tokens[B]) is called; on every stage on_output(t, m, x[B*T, hidden]) gets the stage's output."""
        M, H = len(mbs), self.model.m.hidden
        pending, next_tok = [], [None] * M
        bs = self.cache.block_size
        for t in range(n_steps):
            T = T0 if t == 0 else 1
            for m, mb in enumerate(mbs):
                tag = (t * M + m) * 2
                if self.first:
                    if t == 0:
                        ids = first_tokens[m].to(self.device)
                    elif self.pp == 1:
                        ids = next_tok[m]
                    else:
                        ids = self.comm.recv(torch.empty(mb.B, dtype=torch.long, device=self.device), self.tail_rank, tag + 1)
                    x = self.model.embed_tokens(ids)
                else:
                    x = self.comm.recv(torch.empty(mb.B * T, H, dtype=self.model.dtype, device=self.device), self.prev, tag)
                meta = make_meta(mb.table, mb.contig, mb.base, mb.start, T, bs)
                x = self.model(x, meta, self.cache.pools)
                mb.start = [s + T for s in mb.start]
                if on_output is not None:
                    on_output(t, m, x)
                if self.last:
                    h = x.view(mb.B, T, H)
                    if all_logits_first and t == 0:
                        logits = self.model.logits(h.reshape(mb.B * T, H)).view(mb.B, T, -1)
                    else:
                        logits = self.model.logits(h[:, -1].contiguous()).view(mb.B, 1, -1)
                    tok = logits[:, -1].argmax(-1)
                    if record is not None:
                        record(t, m, logits, tok)
                    if t < n_steps - 1:
                        if self.pp == 1:
                            next_tok[m] = tok
                        else:
                            pending.append(self.comm.isend(tok.contiguous(), self.head_rank, ((t + 1) * M + m) * 2 + 1))
                else:
                    pending.append(self.comm.isend(x.contiguous(), self.next, tag))
            pending = [p for p in pending if not p.is_completed()]
            if on_step_end is not None:
                on_step_end(t)
        for p in pending:
            p.wait()
