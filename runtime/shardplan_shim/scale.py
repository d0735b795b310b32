"""A scaled-down copy of a plan, for `verify`.

It keeps what determines the partitioning and the architecture: the ranks, their groups and
coordinates, head, KV-head and expert counts, top-k and expert groups, every range over heads
and experts, which stage holds which kind of layer (dense or MoE, sliding or full attention),
and every feature flag. It shrinks sizes: hidden 64, head_dim 16, FFN, vocabulary, expert and
MLA widths, and at most `layers_per_stage` layers per stage. Ranges over scaled dimensions are
rescaled exactly (a size is picked so that every split point maps to an integer).

Three lengths are shrunk so that a handful of verify tokens exercise what they govern: the
sliding window (4 tokens), RoPE scaling's original context (16 tokens: the scaled band then
covers dimensions that rotate within a few positions), and FP8 scale blocks (8).
"""

from __future__ import annotations

import copy
import math

from .config import PlanError
from .plan import Plan, parse_plan

SCALED_WINDOW = 4
SCALED_ROPE_CONTEXT = 16
SCALED_FP8_BLOCK = 8


def _unit(total: int, boundaries: list[int]) -> int:
    g = total
    for b in boundaries:
        g = math.gcd(g, b)
    return total // g


def _scale_dim(total: int, boundaries: list[int], target: int, what: str, multiple: int = 1, max_units: int = 4096) -> int:
    """A smaller size for a dimension such that every plan boundary maps to an integer (the
    split points are b_i / total, so the size must be a multiple of total / gcd(boundaries))
    and, for packed quantisation groups, a multiple of `multiple`."""
    if total <= target and total % multiple == 0:
        return total
    unit = _unit(total, boundaries)
    if unit > max_units:
        raise PlanError(f"cannot scale {what}: its split points need a multiple of {unit}")
    unit = unit * multiple // math.gcd(unit, multiple)
    return unit * max(1, target // unit)


def _kept_layers(plan: Plan, a: int, b: int, n: int) -> list[int]:
    """Up to n of the stage's layers [a, b): one of each kind first (dense/MoE x sliding/full),
    in order, then the next ones."""
    m = plan.model
    kind = lambda l: (m.is_moe_layer(l), m.is_sliding(l))
    kept, kinds = [], set()
    for l in range(a, b):
        if len(kept) < n and kind(l) not in kinds:
            kept.append(l)
            kinds.add(kind(l))
    for l in range(a, b):
        if len(kept) >= n:
            break
        if l not in kept:
            kept.append(l)
    return sorted(kept)


def scaled_plan(plan: Plan, hidden: int = 64, head_dim: int = 16, ffn: int = 128, vocab: int = 256,
                expert_ffn: int = 32, layers_per_stage: int = 2) -> Plan:
    raw = copy.deepcopy(plan.raw)
    m = raw["model"]
    mc = plan.model
    q = mc.quant
    group = q.group if q is not None and q.scheme in ("mxfp4", "nvfp4") else 1
    m["hidden"] = max(min(mc.hidden, hidden), group)
    hd = min(mc.head_dim, head_dim)
    m["head_dim"] = hd - (hd % 2)
    new_ffn = _scale_dim(mc.ffn, [b for r in plan.ranks for b in r.ffn], ffn, "ffn", group) if mc.ffn > 0 else 0
    m["ffn"] = new_ffn
    # Vocabulary (padded): scale the padded size, then keep a proportional amount of padding.
    vp = plan.padded_vocab
    new_vp = _scale_dim(vp, [b for r in plan.ranks for b in r.vocab], vocab, "vocab")
    pad = vp - mc.vocab
    m["vocab"] = new_vp - (min(math.ceil(pad * new_vp / vp), new_vp - 2) if pad else 0)
    ef = sf = 0
    if mc.moe is not None:
        mo = m["moe"]
        ef = _scale_dim(mc.moe.expert_ffn, [b for r in plan.ranks for b in r.expert_ffn], expert_ffn, "expert_ffn", group)
        mo["expert_ffn"] = ef
        if mc.moe.shared_ffn:
            sf = _scale_dim(mc.moe.shared_ffn, [b for r in plan.ranks for b in r.shared_ffn],
                            expert_ffn * max(1, mc.moe.shared_experts), "shared_ffn", group)
        mo["shared_ffn"] = sf
    if mc.mla is not None:
        x = m["mla"]
        for k, v in (("q_lora_rank", 32), ("kv_lora_rank", 32), ("qk_nope_head_dim", 16), ("qk_rope_head_dim", 8),
                     ("v_head_dim", 16)):
            x[k] = min(x[k], v)
        m["head_dim"] = x["qk_nope_head_dim"] + x["qk_rope_head_dim"]
    if mc.sliding_window:
        m["sliding_window"] = min(mc.sliding_window, SCALED_WINDOW)
    if mc.rope_scaling is not None and mc.rope_scaling.type != "linear":
        m["rope_scaling"]["original_max_position"] = min(mc.rope_scaling.original_max_position, SCALED_ROPE_CONTEXT)
    if q is not None and q.scheme == "fp8_block":
        m["quantization"]["block"] = min(q.block, SCALED_FP8_BLOCK)
    # Layers: every stage keeps representatives of its kinds of layer, in order.
    kept: list[int] = []
    stage = {}
    for p in range(plan.pp):
        a, b = plan.stage_layers(p)
        ls = _kept_layers(plan, a, b, layers_per_stage)
        stage[p] = (len(kept), len(kept) + len(ls))
        kept += ls
    if not kept:
        raise PlanError("the scaled plan has no layers (--verify-layers 0?)")
    m["layers"] = len(kept)
    m["layer_types"] = [mc.layer_types[l] for l in kept]
    if mc.moe is not None:
        m["moe"]["dense_layers"] = sum(1 for l in kept if not mc.is_moe_layer(l))

    def rescale(rg, old, new):
        return [rg[0] * new // old, rg[1] * new // old] if old else [0, 0]

    stage_dense = {p: any(not mc.is_moe_layer(l) for l in kept[a:b]) for p, (a, b) in stage.items()}
    for r, rr in zip(plan.ranks, raw["ranks"]):
        rr["layers"] = list(stage[r.pp])
        # A stage whose kept layers are all MoE holds no dense FFN slice (as the compiler writes it).
        rr["ffn"] = rescale(r.ffn, mc.ffn, new_ffn) if stage_dense[r.pp] else [0, 0]
        rr["vocab"] = rescale(r.vocab, vp, new_vp)
        if mc.moe is not None:
            rr["expert_ffn"] = rescale(r.expert_ffn, mc.moe.expert_ffn, ef)
            rr["shared_ffn"] = rescale(r.shared_ffn, mc.moe.shared_ffn, sf)
    return parse_plan(raw)
