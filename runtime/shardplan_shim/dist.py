"""Process groups of a plan and the collectives the model uses, with timing.

Every collective goes through `Comm` so that (a) groups of size 1 cost nothing and need
no communicator, and (b) bench can report the time spent communicating."""

from __future__ import annotations

import datetime
import os
import time

import torch
import torch.distributed as dist

from .plan import Plan


def init_distributed(rank: int, world_size: int, backend: str, timeout_s: float, init_method: str = "env://") -> None:
    # NCCL only honours the process-group timeout when async error handling is on; without it
    # a dead peer leaves the survivors hanging forever inside a collective.
    os.environ.setdefault("NCCL_ASYNC_ERROR_HANDLING", "1")          # torch < 2.2
    os.environ.setdefault("TORCH_NCCL_ASYNC_ERROR_HANDLING", "1")    # torch >= 2.2
    dist.init_process_group(backend=backend, init_method=init_method, rank=rank, world_size=world_size,
                            timeout=datetime.timedelta(seconds=timeout_s))


class Comm:
    """This rank's communicators: its TP group and its MoE group (plan.moe_groups: the ranks that
    together hold one copy of a MoE layer's experts; usually the TP group itself). Pipeline
    stages talk point to point by global rank."""
    KINDS = ("tp", "moe")

    def __init__(self, plan: Plan, rank: int, backend: str, device: torch.device, timeout_s: float,
                 drop_tp_allreduce: bool = False):
        self.plan, self.rank, self.device = plan, rank, device
        # Test hook (--mutate tp_allreduce): TP partial sums are left unreduced, which verify must catch.
        self.drop_tp_allreduce = drop_tp_allreduce
        # gloo (torch 1.13) has no bfloat16 kernels: such tensors travel as float32 there.
        self.widen_bf16 = backend == "gloo"
        self.is_cuda = device.type == "cuda"
        self.members: dict[str, list[int]] = {}
        self.pg: dict[str, object] = {}
        timeout = datetime.timedelta(seconds=timeout_s)
        # new_group is collective over the whole world: every rank creates every group, in the
        # same order (plan order), even the ones it is not part of.
        for kind in self.KINDS:
            groups = plan.moe_groups if kind == "moe" else plan.groups[kind]
            if kind == "moe" and groups == plan.groups["tp"]:
                self.members["moe"], self.pg["moe"] = self.members["tp"], self.pg["tp"]
                continue
            for g in groups:
                pg = dist.new_group(ranks=g, timeout=timeout, backend=backend) if len(g) > 1 else None
                if rank in g:
                    self.members[kind] = list(g)
                    self.pg[kind] = pg
        self.timing = False
        self._events: list = []
        self._cpu_time = 0.0

    # ------------------------------------------------------------------ group info
    def size(self, kind: str) -> int:
        return len(self.members[kind])

    def index(self, kind: str) -> int:
        return self.members[kind].index(self.rank)

    # ------------------------------------------------------------------ timing
    def _start(self):
        if not self.timing:
            return None
        if self.is_cuda:
            ev = torch.cuda.Event(enable_timing=True)
            ev.record()
            return ev
        return time.perf_counter()

    def _stop(self, token):
        if token is None:
            return
        if self.is_cuda:
            ev = torch.cuda.Event(enable_timing=True)
            ev.record()
            self._events.append((token, ev))
        else:
            self._cpu_time += time.perf_counter() - token

    def take_time(self) -> float:
        """Seconds spent in collectives since the last call (synchronises CUDA)."""
        t = self._cpu_time
        if self._events:
            torch.cuda.synchronize(self.device)
            t += sum(a.elapsed_time(b) for a, b in self._events) / 1e3
        self._events.clear()
        self._cpu_time = 0.0
        return t

    def _wire(self, x: torch.Tensor) -> torch.Tensor:
        return x.float() if self.widen_bf16 and x.dtype == torch.bfloat16 else x.contiguous()

    # ------------------------------------------------------------------ collectives
    def all_reduce(self, kind: str, x: torch.Tensor) -> torch.Tensor:
        if self.size(kind) == 1 or (kind == "tp" and self.drop_tp_allreduce):
            return x
        w = self._wire(x)
        tok = self._start()
        dist.all_reduce(w, group=self.pg[kind])
        self._stop(tok)
        return w.to(x.dtype) if w.dtype != x.dtype else w

    def all_gather(self, kind: str, x: torch.Tensor) -> list[torch.Tensor]:
        if self.size(kind) == 1:
            return [x]
        w = self._wire(x)
        # gloo (torch 1.13) fills all_gather / all_to_all outputs outside the caller's inference
        # mode, which inference tensors refuse: the output buffers are ordinary tensors.
        with torch.inference_mode(False):
            out = [torch.empty_like(w) for _ in range(self.size(kind))]
        tok = self._start()
        dist.all_gather(out, w, group=self.pg[kind])
        self._stop(tok)
        return [o.to(x.dtype) for o in out] if w.dtype != x.dtype else out

    def all_to_all(self, kind: str, x: torch.Tensor, out_splits: list[int], in_splits: list[int]) -> torch.Tensor:
        w = self._wire(x)
        with torch.inference_mode(False):
            out = w.new_empty((sum(out_splits),) + tuple(x.shape[1:]))
        tok = self._start()
        dist.all_to_all_single(out, w, out_splits, in_splits, group=self.pg[kind])
        self._stop(tok)
        return out.to(x.dtype)

    def isend(self, x: torch.Tensor, dst: int, tag: int):
        w = self._wire(x)
        tok = self._start()
        h = dist.isend(w, dst, tag=tag)
        self._stop(tok)
        return _Pending(h, w)

    def recv(self, x: torch.Tensor, src: int, tag: int) -> torch.Tensor:
        w = self._wire(x)
        tok = self._start()
        dist.recv(w, src, tag=tag)
        self._stop(tok)
        return w.to(x.dtype) if w.dtype != x.dtype else w

    def send(self, x: torch.Tensor, dst: int, tag: int = 0):
        dist.send(self._wire(x), dst, tag=tag)

    def world_reduce(self, x: torch.Tensor, op) -> torch.Tensor:
        """All-reduce over the whole world (used for the verdict, not timed)."""
        if dist.get_world_size() > 1:
            dist.all_reduce(x, op=op)
        return x


class _Pending:
    """An isend in flight; holds the sent buffer so it stays alive until completion."""

    def __init__(self, work, buf):
        self.work, self.buf = work, buf

    def is_completed(self) -> bool:
        return self.work.is_completed()

    def wait(self):
        self.work.wait()
