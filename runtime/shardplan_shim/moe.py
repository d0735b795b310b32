"""The mixture-of-experts block of the partitioned model.

Router (replicated): logits -> scores (softmax over experts, or a sigmoid each) -> choice scores
(plus DeepSeek-V3's correction bias) -> optional group limit (only the topk_group groups with the
best group scores stay eligible; a group scores its best expert, or with a correction bias the
sum of its two best) -> top-k experts, weighted by their scores, renormalised (norm_topk_prob)
and multiplied by the routed scaling factor.

Experts: this rank holds the experts its rank-table row lists, each the `expert_ffn` slice of its
width. The ranks of one MoE group (plan.moe_groups: the TP group, or the stage's dp x tp ranks)
hold one copy of every expert between them. When they all belong to one DP replica they see the
same tokens, and each computes its experts on all
of them and the group sums (an all-reduce, together with the TP-split shared experts). When the
group spans DP replicas (EP over attention-DP), tokens are dispatched: `allgather` gathers every
member's tokens, computes the local experts on all and reduces, keeping its own rows (works on
gloo, which has no reduce-scatter); `alltoall` sends each (token, expert) pair to the expert's
owner and the outputs back (whole experts only: one owner each).
"""

from __future__ import annotations

import torch
import torch.nn as nn
import torch.nn.functional as F

from .kernels import softmax_dtype
from .mlp import GatedMLP, load_gated


def _param(t):
    return None if t is None else nn.Parameter(t, requires_grad=False)


class Router(nn.Module):
    def __init__(self, m, layer: int, load, names):
        super().__init__()
        mo = self.mo = m.moe
        self.weight = _param(load.tensor(names.router(layer) + ".weight", (mo.experts, m.hidden)))
        self.bias = _param(load.tensor(names.router(layer) + ".bias", (mo.experts,))) if mo.router_bias else None
        self.correction = _param(load.tensor(names.correction_bias(layer), (mo.experts,))) if mo.correction_bias else None

    def forward(self, x: torch.Tensor):
        mo = self.mo
        logits = F.linear(x, self.weight, self.bias).to(softmax_dtype(x.dtype))
        scores = torch.softmax(logits, dim=-1) if mo.scoring == "softmax" else torch.sigmoid(logits)
        choice = scores if self.correction is None else scores + self.correction.to(scores.dtype)
        if mo.n_group > 1:
            grouped = choice.view(x.shape[0], mo.n_group, -1)
            gscore = grouped.topk(2, dim=-1)[0].sum(-1) if self.correction is not None else grouped.max(-1)[0]
            keep = torch.zeros_like(gscore, dtype=torch.bool).scatter_(1, gscore.topk(mo.topk_group, dim=-1)[1], True)
            choice = grouped.masked_fill(~keep[..., None], float("-inf")).view_as(choice)
        ids = choice.topk(mo.top_k, dim=-1)[1]
        w = scores.gather(1, ids)
        if mo.norm_topk_prob:
            w = w / w.sum(-1, keepdim=True)
        return (w * mo.routed_scaling_factor).to(x.dtype), ids


def _runs(experts: list[int]) -> list[tuple[int, int]]:
    out = []
    for e in sorted(experts):
        if out and out[-1][1] == e:
            out[-1] = (out[-1][0], e + 1)
        else:
            out.append((e, e + 1))
    return out


def _gpt_oss_experts(m, info, layer, load, names) -> dict[int, GatedMLP]:
    """gpt-oss's fused expert tensors; gate and up are interleaved along 2 x width (gate at even
    rows), so width slice [a, b) is rows [2a, 2b), regrouped into [gate; up]."""
    E, H, I = m.moe.experts, m.hidden, m.moe.expert_ffn
    a, b = info.expert_ffn
    p = names.fused_experts(layer)
    out = {}
    for e0, e1 in _runs(info.experts):
        lead = [(e0, e1)]
        if m.quantised("experts"):
            gu = load.mxfp4(p + "gate_up_proj", (E,), 2 * I, H, lead, (2 * a, 2 * b), (0, H))
            dn = load.mxfp4(p + "down_proj", (E,), H, I, lead, (0, H), (a, b))
        else:          # unquantised checkpoints store [E, in, out]
            gu = load.tensor(p + "gate_up_proj", (E, H, 2 * I), [(e0, e1), (0, H), (2 * a, 2 * b)]).transpose(1, 2)
            dn = load.tensor(p + "down_proj", (E, I, H), [(e0, e1), (a, b), (0, H)]).transpose(1, 2)
        bias = m.moe.expert_bias
        gb = load.tensor(p + "gate_up_proj_bias", (E, 2 * I), [(e0, e1), (2 * a, 2 * b)]) if bias else None
        db = load.tensor(p + "down_proj_bias", (E, H), [(e0, e1), (0, H)]) if bias else None
        for i, e in enumerate(range(e0, e1)):
            # The down bias is added once per expert: by the holder of the width's first slice.
            out[e] = GatedMLP(torch.cat([gu[i, 0::2], gu[i, 1::2]]).contiguous(), dn[i].contiguous(), m.swiglu_limit,
                              torch.cat([gb[i, 0::2], gb[i, 1::2]]) if bias else None, db[i] if bias and a == 0 else None)
    return out


class MoE(nn.Module):
    def __init__(self, plan, m, info, layer: int, load, names, comm, dispatch: str):
        super().__init__()
        mo = m.moe
        self.comm, self.router = comm, Router(m, layer, load, names)
        a, b = info.expert_ffn
        if m.family == "gpt_oss":
            experts = _gpt_oss_experts(m, info, layer, load, names)
        else:
            experts = {e: load_gated(load, names.expert(layer, e), mo.expert_ffn, m.hidden, a, b, "experts", m.swiglu_limit)
                       for e in sorted(info.experts)}
        self.local = sorted(experts)
        self.experts = nn.ModuleList([experts[e] for e in self.local])
        self.shared = self.shared_gate = None
        if mo.shared_ffn:
            s0, s1 = info.shared_ffn
            p = names.shared(layer)
            self.shared = load_gated(load, (p + "gate_proj", p + "up_proj", p + "down_proj"), mo.shared_ffn, m.hidden, s0, s1,
                                     "shared_experts")
            if mo.shared_expert_gate:
                self.shared_gate = _param(load.tensor(names.shared_gate(layer), (1, m.hidden)))
        group = comm.members["moe"]
        self.same_tokens = len({plan.rank_info(r).dp for r in group}) == 1
        holders = [0] * mo.experts
        owner = [0] * mo.experts
        for i, r in enumerate(group):
            for e in plan.rank_info(r).experts:
                holders[e] += 1
                owner[e] = i
        self.dispatch = dispatch if all(h == 1 for h in holders) else "allgather"
        self.owner = torch.tensor(owner, dtype=torch.long, device=self.router.weight.device)
        self.tp_is_moe = sorted(group) == sorted(comm.members["tp"])

    def shapes(self) -> str:
        width = self.experts[0].n if len(self.experts) else 0
        return (f"{len(self.local)} experts [{self.local[0]}..{self.local[-1]}] x {width}" if self.local else "no experts") + \
            (f", shared {self.shared.n}" if self.shared is not None else "")

    def _shared(self, x):
        y = self.shared(x)
        return y if self.shared_gate is None else y * torch.sigmoid(F.linear(x, self.shared_gate))

    def _local_experts(self, x, ids, w=None):
        """Sum over this rank's experts of w * expert(x) for the (token, slot) pairs routed to
        them; with w None every row goes to exactly one expert (alltoall), unweighted."""
        out = torch.zeros_like(x)
        for e, mlp in zip(self.local, self.experts):
            if w is None:
                rows = (ids == e).nonzero(as_tuple=True)[0]
                if rows.numel():
                    out.index_copy_(0, rows, mlp(x[rows]))
                continue
            rows, slot = (ids == e).nonzero(as_tuple=True)
            if rows.numel():
                out.index_add_(0, rows, mlp(x[rows]) * w[rows, slot, None])
        return out

    def forward(self, x, meta=None):
        w, ids = self.router(x)
        if self.same_tokens:
            y = self._local_experts(x, ids, w)
            if self.shared is not None and self.tp_is_moe:
                return self.comm.all_reduce("tp", y + self._shared(x))      # one reduction for both
            y = self.comm.all_reduce("moe", y)
        elif self.dispatch == "alltoall":
            y = self._alltoall(x, w, ids)
        else:
            y = self._allgather(x, w, ids)
        if self.shared is not None:
            y = y + self.comm.all_reduce("tp", self._shared(x))
        return y

    def _allgather(self, x, w, ids):
        c = self.comm
        N = x.shape[0]
        sizes = [int(s.item()) for s in c.all_gather("moe", torch.tensor([N], dtype=torch.long, device=x.device))]
        nmax = max(sizes)
        pad = nmax - N
        xa = torch.cat(c.all_gather("moe", F.pad(x, (0, 0, 0, pad))))
        ida = torch.cat(c.all_gather("moe", F.pad(ids, (0, 0, 0, pad), value=-1)))
        wa = torch.cat(c.all_gather("moe", F.pad(w, (0, 0, 0, pad))))
        ya = c.all_reduce("moe", self._local_experts(xa, ida, wa))
        me = c.index("moe")
        return ya[me * nmax: me * nmax + N]

    def _alltoall(self, x, w, ids):
        c = self.comm
        n_ep = c.size("moe")
        N, k = ids.shape
        tok = torch.arange(N, device=x.device).repeat_interleave(k)
        exp, wt = ids.reshape(-1), w.reshape(-1)
        dest = self.owner[exp]
        order = torch.sort(dest, stable=True)[1]            # group pairs by destination rank
        tok, exp, wt = tok[order], exp[order], wt[order]
        send = torch.bincount(dest, minlength=n_ep)
        recv = c.all_to_all("moe", send, [1] * n_ep, [1] * n_ep)
        send_l, recv_l = send.tolist(), recv.tolist()
        ry = self._local_experts(c.all_to_all("moe", x[tok], recv_l, send_l), c.all_to_all("moe", exp, recv_l, send_l))
        back = c.all_to_all("moe", ry, send_l, recv_l)
        out = torch.zeros_like(x)
        out.index_add_(0, tok, back * wt[:, None])
        return out
