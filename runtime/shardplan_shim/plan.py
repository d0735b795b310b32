"""Loading and validating a compiled plan (plan.json, see docs/plan-ir.md).

The shim trusts the ranges the compiler wrote into the rank table (it never re-derives a
partitioning on its own), but it checks them: ranges that do not tile the model, or groups
that disagree with the rank coordinates, would silently compute garbage, so such a plan is
rejected with a message naming the first inconsistency. Empty ranges are part of the
contract: a stage without the embedding or LM head has vocab [0, 0], one without dense layers
ffn [0, 0] (vLLM's PPMissingLayer), MLA has no KV-head range.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from .config import ModelConfig, PlanError, parse_model, req, req_int

__all__ = ["Plan", "PlanError", "RankInfo", "load_plan", "parse_plan"]


@dataclass
class RankInfo:
    rank: int
    dp: int
    pp: int
    tp: int
    ep: int
    layers: tuple[int, int]
    q_heads: tuple[int, int]
    kv_heads: tuple[int, int]
    ffn: tuple[int, int]
    experts: list[int]
    expert_ffn: tuple[int, int]
    shared_ffn: tuple[int, int]
    vocab: tuple[int, int]
    memory: dict = field(default_factory=dict)
    host: str = ""
    local_gpu: int = 0


@dataclass
class Plan:
    raw: dict
    name: str
    model: ModelConfig
    dp: int
    tp: int
    pp: int
    ep: int
    world_size: int
    block_size: int
    engine: dict
    ranks: list[RankInfo]
    groups: dict[str, list[list[int]]]
    moe_groups: list[list[int]] = field(default_factory=list)

    def rank_info(self, rank: int) -> RankInfo:
        return self.ranks[rank]

    def global_rank(self, dp: int, pp: int, tp: int) -> int:
        return dp * (self.pp * self.tp) + pp * self.tp + tp

    def group_of(self, kind: str, rank: int) -> list[int]:
        for g in self.groups.get(kind, []):
            if rank in g:
                return g
        return [rank]

    def stage_layers(self, pp: int) -> tuple[int, int]:
        return self.ranks[self.global_rank(0, pp, 0)].layers

    @property
    def padded_vocab(self) -> int:
        return max(r.vocab[1] for r in self.ranks)


def _range(d: dict, key: str, where: str) -> tuple[int, int]:
    v = req(d, key, where)
    if (not isinstance(v, list) or len(v) != 2 or not all(isinstance(x, int) and not isinstance(x, bool) for x in v)
            or v[0] < 0 or v[1] < v[0]):
        raise PlanError(f"{where}.{key}: expected a half-open range [start, end], got {v!r}")
    return (v[0], v[1])


def engine_block_size(eng: dict) -> int:
    """The KV block (page) size: the engine setting whose role is block_size (vLLM block_size, SGLang
    page_size, TensorRT-LLM tokens_per_block), with the effective value plan.json records."""
    settings = eng.get("settings")
    if not isinstance(settings, dict):
        raise PlanError("engine.settings: expected an object of the engine's effective settings")
    for name, st in sorted(settings.items()):
        if isinstance(st, dict) and st.get("role") == "block_size":
            v = st.get("value")
            if not isinstance(v, int) or isinstance(v, bool) or v < 1:
                raise PlanError(f"engine.settings.{name}.value: expected an integer >= 1, got {v!r}")
            return v
    raise PlanError("engine.settings: no setting with role block_size")


def parse_plan(raw: dict) -> Plan:
    if not isinstance(raw, dict):
        raise PlanError("plan: top level must be a JSON object")
    if raw.get("format") != "shardplan-plan":
        raise PlanError(f"plan.format: expected 'shardplan-plan', got {raw.get('format')!r}")
    if raw.get("version") != 1:
        raise PlanError(f"plan.version: only version 1 is supported, got {raw.get('version')!r}")
    model = parse_model(req(raw, "model", "plan"))
    par = req(raw, "parallel", "plan")
    dp, tp, pp = req_int(par, "dp", "parallel", 1), req_int(par, "tp", "parallel", 1), req_int(par, "pp", "parallel", 1)
    ep, ws = req_int(par, "ep", "parallel", 1), req_int(par, "world_size", "parallel", 1)
    eng = req(raw, "engine", "plan")
    block_size = engine_block_size(eng)
    ranks = []
    for i, r in enumerate(req(raw, "ranks", "plan")):
        w = f"ranks[{i}]"
        experts = req(r, "experts", w)
        if not isinstance(experts, list) or not all(isinstance(e, int) and not isinstance(e, bool) for e in experts):
            raise PlanError(f"{w}.experts: expected a list of expert indices, got {experts!r}")
        ranks.append(RankInfo(
            rank=req_int(r, "rank", w), dp=req_int(r, "dp", w), pp=req_int(r, "pp", w), tp=req_int(r, "tp", w),
            ep=req_int(r, "ep", w), layers=_range(r, "layers", w), q_heads=_range(r, "q_heads", w),
            kv_heads=_range(r, "kv_heads", w), ffn=_range(r, "ffn", w), experts=list(experts),
            expert_ffn=_range(r, "expert_ffn", w), shared_ffn=_range(r, "shared_ffn", w), vocab=_range(r, "vocab", w),
            memory=dict(r.get("memory") or {}), host=str(r.get("host", "")), local_gpu=int(r.get("local_gpu", 0))))
    groups: dict[str, list[list[int]]] = {}
    for kind in ("tp", "pp", "dp", "ep"):
        gl = req(req(raw, "groups", "plan"), kind, "groups")
        if not isinstance(gl, list) or not all(isinstance(g, list) and g and all(isinstance(x, int) for x in g) for g in gl):
            raise PlanError(f"groups.{kind}: expected a list of non-empty lists of global ranks")
        groups[kind] = [list(g) for g in gl]
    plan = Plan(raw=raw, name=str(raw.get("plan", "plan")), model=model, dp=dp, tp=tp, pp=pp, ep=ep, world_size=ws,
                block_size=block_size, engine=dict(eng), ranks=ranks, groups=groups)
    validate(plan)
    return plan


def load_plan(path: str) -> Plan:
    try:
        with open(path, "r", encoding="utf-8") as f:
            raw = json.load(f)
    except FileNotFoundError:
        raise PlanError(f"plan file not found: {path}") from None
    except json.JSONDecodeError as e:
        raise PlanError(f"{path}: not valid JSON ({e})") from None
    try:
        return parse_plan(raw)
    except PlanError as e:
        raise PlanError(f"{path}: {e}") from None


# --------------------------------------------------------------------------- validation

def _tiling(ranges: list[tuple[int, int]], total: int, what: str, allow_over: bool = False, allow_empty: bool = False) -> int:
    """Ranges (in group order) must be contiguous, start at 0 and end at `total`."""
    pos = 0
    for i, (a, b) in enumerate(ranges):
        if a != pos:
            raise PlanError(f"{what}: range #{i} {[a, b]} does not start where the previous one ended ({pos})")
        if b <= a and not allow_empty:
            raise PlanError(f"{what}: range #{i} {[a, b]} is empty")
        pos = b
    if pos < total or (pos > total and not allow_over):
        raise PlanError(f"{what}: ranges cover [0, {pos}) but the model has {total}")
    return pos


def _expected_groups(plan: Plan, kind: str) -> list[list[int]]:
    g = plan.global_rank
    if kind == "tp":
        return [[g(d, p, t) for t in range(plan.tp)] for d in range(plan.dp) for p in range(plan.pp)]
    if kind == "pp":
        return [[g(d, p, t) for p in range(plan.pp)] for d in range(plan.dp) for t in range(plan.tp)]
    return [[g(d, p, t) for d in range(plan.dp)] for p in range(plan.pp) for t in range(plan.tp)]


def validate(plan: Plan) -> None:
    m = plan.model
    if plan.world_size != plan.dp * plan.tp * plan.pp:
        raise PlanError(f"parallel.world_size ({plan.world_size}) != dp*tp*pp ({plan.dp * plan.tp * plan.pp})")
    if len(plan.ranks) != plan.world_size:
        raise PlanError(f"ranks: {len(plan.ranks)} entries but world_size is {plan.world_size}")
    if plan.ep > 1 and m.moe is None:
        raise PlanError("parallel.ep > 1 but the model has no MoE")
    for i, r in enumerate(plan.ranks):
        if r.rank != i:
            raise PlanError(f"ranks[{i}].rank is {r.rank}; ranks must be ordered by global rank")
        if not (r.dp < plan.dp and r.pp < plan.pp and r.tp < plan.tp):
            raise PlanError(f"ranks[{i}]: coordinates dp={r.dp} pp={r.pp} tp={r.tp} out of bounds")
        if plan.global_rank(r.dp, r.pp, r.tp) != i:
            raise PlanError(f"ranks[{i}]: dp={r.dp} pp={r.pp} tp={r.tp} should be global rank "
                            f"{plan.global_rank(r.dp, r.pp, r.tp)} (dp outermost, then pp, then tp)")
    for kind in ("tp", "pp", "dp"):
        # Order inside TP/PP/DP groups is semantic (the tp/pp/dp index), so it must match exactly.
        exp = _expected_groups(plan, kind)
        if sorted(plan.groups[kind]) != sorted(exp):
            raise PlanError(f"groups.{kind}: {plan.groups[kind]} does not match the rank coordinates (expected {exp})")
    _check_ep_groups(plan)
    for g in plan.groups["pp"]:
        _tiling([plan.ranks[x].layers for x in g], m.layers, f"layers along pp group {g}", allow_empty=True)
    vp = plan.padded_vocab
    for g in plan.groups["tp"]:
        rs = [plan.ranks[x] for x in g]
        first, last = rs[0].pp == 0, rs[0].pp == plan.pp - 1
        for r in rs:
            if r.layers != rs[0].layers:
                raise PlanError(f"ranks {rs[0].rank} and {r.rank} are in one TP group but hold different layers")
        _tiling([r.q_heads for r in rs], m.heads, f"q_heads along tp group {g}")
        if m.attention != "mla":
            _check_kv_heads(plan, rs)
        layers = range(*rs[0].layers)
        dense = [l for l in layers if not m.is_moe_layer(l)]
        if dense and m.ffn > 0:
            _tiling([r.ffn for r in rs], m.ffn, f"ffn along tp group {g}")
        elif any(r.ffn[1] > r.ffn[0] for r in rs):
            raise PlanError(f"ffn along tp group {g}: the stage has no dense layer but ranks hold ffn slices")
        if len(dense) < len(layers) and m.moe.shared_ffn > 0:
            _tiling([r.shared_ffn for r in rs], m.moe.shared_ffn, f"shared_ffn along tp group {g}")
        if first or last:
            got = _tiling([r.vocab for r in rs], m.vocab, f"vocab along tp group {g}", allow_over=True)
            if got != vp:
                raise PlanError(f"vocab along tp group {g}: padded vocab {got} differs from other groups ({vp})")
        elif any(r.vocab[1] > r.vocab[0] for r in rs):
            raise PlanError(f"vocab along tp group {g}: a middle stage holds no embedding or LM head but ranks hold vocab rows")
    plan.moe_groups = _moe_groups(plan)


def _check_kv_heads(plan: Plan, rs: list[RankInfo]) -> None:
    m = plan.model
    kv, group = m.kv_heads, m.heads // m.kv_heads
    if plan.tp <= kv:
        _tiling([r.kv_heads for r in rs], kv, f"kv_heads along tp group {[r.rank for r in rs]}")
    for r in rs:
        # Every local query head must find its KV head locally (KV heads replicated when tp > kv_heads).
        need = {q // group for q in range(*r.q_heads)}
        if not all(r.kv_heads[0] <= h < r.kv_heads[1] for h in need):
            raise PlanError(f"ranks[{r.rank}]: q_heads {list(r.q_heads)} need kv heads {sorted(need)} "
                            f"but the rank holds kv_heads {list(r.kv_heads)}")


def _check_ep_groups(plan: Plan) -> None:
    """groups.ep partitions every stage's ranks into groups of one size (its meaning varies by
    engine, so only that is checked; the shim computes MoE layers over plan.moe_groups)."""
    seen: dict[int, int] = {}
    sizes = set()
    for gi, g in enumerate(plan.groups["ep"]):
        sizes.add(len(g))
        for r in g:
            if not 0 <= r < plan.world_size:
                raise PlanError(f"groups.ep: rank {r} outside the world of {plan.world_size}")
            if r in seen:
                raise PlanError(f"groups.ep: rank {r} is in two groups")
            seen[r] = gi
        stages = {plan.ranks[r].pp for r in g}
        if len(stages) > 1:
            raise PlanError(f"groups.ep: group {g} spans pipeline stages {sorted(stages)}")
    if len(seen) != plan.world_size:
        missing = [r for r in range(plan.world_size) if r not in seen]
        raise PlanError(f"groups.ep: ranks {missing[:8]} are in no group")
    if len(sizes) > 1:
        raise PlanError(f"groups.ep: groups of different sizes {sorted(sizes)}")


def _covers(plan: Plan, g: list[int]) -> str | None:
    """Why the ranks g do not hold one whole copy of the routed experts (None if they do): every
    expert held, and the expert_ffn slices of its holders tiling its width."""
    m = plan.model
    E, width = m.moe.experts, m.moe.expert_ffn
    slices: dict[int, list[tuple[int, int]]] = {e: [] for e in range(E)}
    for r in g:
        for e in plan.ranks[r].experts:
            if not 0 <= e < E:
                return f"ranks[{r}] lists expert {e}, outside 0..{E - 1}"
            slices[e].append(plan.ranks[r].expert_ffn)
    for e, sl in slices.items():
        pos = 0
        for a, b in sorted(sl):
            if a != pos or b <= a:
                return f"the expert_ffn slices of expert {e} are {sorted(sl)}, not a tiling of [0, {width})"
            pos = b
        if pos != width:
            return f"expert {e} is held by no rank" if not sl else f"the slices of expert {e} end at {pos}, not {width}"
    return None


def _moe_groups(plan: Plan) -> list[list[int]]:
    """The ranks that together hold one copy of a MoE layer's experts: the TP group when it does
    (no EP; EP inside the TP group), else the dp x tp ranks of the stage (EP or expert width split
    over attention-DP replicas, as vLLM does with DP)."""
    m = plan.model
    if m.moe is None:
        return plan.groups["tp"]
    moe_stage = lambda g: any(m.is_moe_layer(l) for l in range(*plan.ranks[g[0]].layers))
    tp = [g for g in plan.groups["tp"] if moe_stage(g)]
    if all(_covers(plan, g) is None for g in tp):
        return plan.groups["tp"]
    stages = [[r.rank for r in plan.ranks if r.pp == p] for p in range(plan.pp)]
    for g in stages:
        if moe_stage(g):
            why = _covers(plan, g)
            if why is not None:
                raise PlanError(f"experts of stage {plan.ranks[g[0]].pp}: {why}")
    return stages
