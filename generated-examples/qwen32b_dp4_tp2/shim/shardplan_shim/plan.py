"""Loading, validating and scaling a compiled plan (plan.json, see docs/plan-ir.md).

The shim trusts the ranges the compiler wrote into the rank table (it never re-derives
a partitioning on its own), but it checks them: a plan whose ranges do not tile the
model, or whose groups disagree with the rank coordinates, would silently compute
garbage, so it is rejected with a message naming the first inconsistency.
"""

from __future__ import annotations

import copy
import json
import math
from dataclasses import dataclass, field


class PlanError(ValueError):
    """The plan file is missing, malformed or internally inconsistent."""


# --------------------------------------------------------------------------- model config

@dataclass
class MLAConfig:
    q_lora_rank: int
    kv_lora_rank: int
    qk_nope_head_dim: int
    qk_rope_head_dim: int
    v_head_dim: int


@dataclass
class MoEConfig:
    experts: int
    shared_experts: int
    top_k: int
    expert_ffn: int
    dense_layers: int
    norm_topk_prob: bool


@dataclass
class ModelConfig:
    name: str
    layers: int
    hidden: int
    heads: int
    kv_heads: int
    head_dim: int
    ffn: int
    vocab: int
    tied_embeddings: bool
    attention: str
    qkv_bias: bool
    mla: MLAConfig | None
    moe: MoEConfig | None
    weight_dtype: str
    kv_dtype: str
    rope_theta: float
    norm_eps: float

    def is_moe_layer(self, layer: int) -> bool:
        return self.moe is not None and layer >= self.moe.dense_layers


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

    # Convenience look-ups used all over the runtime.
    def rank_info(self, rank: int) -> RankInfo:
        return self.ranks[rank]

    def global_rank(self, dp: int, pp: int, tp: int) -> int:
        return dp * (self.pp * self.tp) + pp * self.tp + tp

    def group_of(self, kind: str, rank: int) -> list[int]:
        for g in self.groups.get(kind, []):
            if rank in g:
                return g
        return [rank]

    @property
    def padded_vocab(self) -> int:
        return max(r.vocab[1] for r in self.ranks)

    @property
    def expert_ffn_per_tp(self) -> int:
        """Intermediate size of each routed expert held on a rank.

        With EP the experts are whole (vLLM does not TP-split EP experts); without EP every
        rank holds every expert, split evenly by TP.  The rank table has no range for this,
        so it is the one size the shim derives (and checks for divisibility)."""
        assert self.model.moe is not None
        return self.model.moe.expert_ffn if self.ep > 1 else self.model.moe.expert_ffn // self.tp


# --------------------------------------------------------------------------- parsing

def _req(d: dict, key: str, where: str):
    if not isinstance(d, dict) or key not in d:
        raise PlanError(f"{where}: missing key '{key}'")
    return d[key]


def _int(d: dict, key: str, where: str, minimum: int | None = 0) -> int:
    v = _req(d, key, where)
    if isinstance(v, bool) or not isinstance(v, int):
        raise PlanError(f"{where}.{key}: expected an integer, got {v!r}")
    if minimum is not None and v < minimum:
        raise PlanError(f"{where}.{key}: must be >= {minimum}, got {v}")
    return v


def _range(d: dict, key: str, where: str) -> tuple[int, int]:
    v = _req(d, key, where)
    if (not isinstance(v, list) or len(v) != 2 or not all(isinstance(x, int) and not isinstance(x, bool) for x in v)
            or v[0] < 0 or v[1] < v[0]):
        raise PlanError(f"{where}.{key}: expected a half-open range [start, end], got {v!r}")
    return (v[0], v[1])


def parse_model(m: dict) -> ModelConfig:
    w = "model"
    attention = _req(m, "attention", w)
    if attention not in ("mha", "gqa", "mla"):
        raise PlanError(f"model.attention: unknown kind {attention!r} (expected mha, gqa or mla)")
    mla = None
    if m.get("mla") is not None:
        x = m["mla"]
        mla = MLAConfig(_int(x, "q_lora_rank", "model.mla"), _int(x, "kv_lora_rank", "model.mla", 1),
                        _int(x, "qk_nope_head_dim", "model.mla", 1), _int(x, "qk_rope_head_dim", "model.mla", 2),
                        _int(x, "v_head_dim", "model.mla", 1))
        if mla.qk_rope_head_dim % 2:
            raise PlanError("model.mla.qk_rope_head_dim must be even (RoPE rotates pairs)")
    if attention == "mla" and mla is None:
        raise PlanError("model.attention is 'mla' but model.mla is null")
    moe = None
    if m.get("moe") is not None:
        x = m["moe"]
        moe = MoEConfig(_int(x, "experts", "model.moe", 1), _int(x, "shared_experts", "model.moe"),
                        _int(x, "top_k", "model.moe", 1), _int(x, "expert_ffn", "model.moe", 1),
                        _int(x, "dense_layers", "model.moe"), bool(x.get("norm_topk_prob", True)))
        if moe.top_k > moe.experts:
            raise PlanError(f"model.moe.top_k ({moe.top_k}) exceeds experts ({moe.experts})")
    cfg = ModelConfig(
        name=str(m.get("name", "model")), layers=_int(m, "layers", w, 1), hidden=_int(m, "hidden", w, 1),
        heads=_int(m, "heads", w, 1), kv_heads=_int(m, "kv_heads", w, 1), head_dim=_int(m, "head_dim", w, 1),
        ffn=_int(m, "ffn", w, 0), vocab=_int(m, "vocab", w, 1), tied_embeddings=bool(m.get("tied_embeddings", False)),
        attention=attention, qkv_bias=bool(m.get("qkv_bias", False)), mla=mla, moe=moe,
        weight_dtype=str(m.get("weight_dtype", "bf16")), kv_dtype=str(m.get("kv_dtype", "bf16")),
        rope_theta=float(m.get("rope_theta", 10000.0)), norm_eps=float(m.get("norm_eps", 1e-6)))
    if attention != "mla":
        if cfg.heads % cfg.kv_heads:
            raise PlanError(f"model.heads ({cfg.heads}) is not a multiple of kv_heads ({cfg.kv_heads})")
        if cfg.head_dim % 2:
            raise PlanError("model.head_dim must be even (RoPE rotates pairs)")
    if moe is not None and moe.dense_layers > cfg.layers:
        raise PlanError("model.moe.dense_layers exceeds model.layers")
    return cfg


def parse_plan(raw: dict) -> Plan:
    if not isinstance(raw, dict):
        raise PlanError("plan: top level must be a JSON object")
    if raw.get("format") != "shardplan-plan":
        raise PlanError(f"plan.format: expected 'shardplan-plan', got {raw.get('format')!r}")
    if raw.get("version") != 1:
        raise PlanError(f"plan.version: only version 1 is supported, got {raw.get('version')!r}")
    model = parse_model(_req(raw, "model", "plan"))
    par = _req(raw, "parallel", "plan")
    dp, tp, pp = _int(par, "dp", "parallel", 1), _int(par, "tp", "parallel", 1), _int(par, "pp", "parallel", 1)
    ep = _int(par, "ep", "parallel", 1) if "ep" in par else 1
    ws = _int(par, "world_size", "parallel", 1)
    eng = raw.get("engine") or {}
    block_size = int(eng.get("block_size", 16))
    if block_size < 1:
        raise PlanError("engine.block_size must be >= 1")
    ranks = []
    for i, r in enumerate(_req(raw, "ranks", "plan")):
        w = f"ranks[{i}]"
        experts = r.get("experts", [])
        if not isinstance(experts, list) or not all(isinstance(e, int) and not isinstance(e, bool) for e in experts):
            raise PlanError(f"{w}.experts: expected a list of expert indices, got {experts!r}")
        ranks.append(RankInfo(
            rank=_int(r, "rank", w), dp=_int(r, "dp", w), pp=_int(r, "pp", w), tp=_int(r, "tp", w),
            ep=int(r.get("ep", 0)), layers=_range(r, "layers", w), q_heads=_range(r, "q_heads", w),
            kv_heads=_range(r, "kv_heads", w), ffn=_range(r, "ffn", w), experts=list(experts),
            vocab=_range(r, "vocab", w), memory=dict(r.get("memory") or {}), host=str(r.get("host", "")),
            local_gpu=int(r.get("local_gpu", 0))))
    groups_raw = raw.get("groups") or {}
    groups: dict[str, list[list[int]]] = {}
    for kind in ("tp", "pp", "dp", "ep"):
        gl = groups_raw.get(kind)
        if gl is None:
            continue
        if not isinstance(gl, list) or not all(isinstance(g, list) and all(isinstance(x, int) for x in g) for g in gl):
            raise PlanError(f"groups.{kind}: expected a list of lists of global ranks")
        groups[kind] = [list(g) for g in gl]
    plan = Plan(raw=raw, name=str(raw.get("plan", "plan")), model=model, dp=dp, tp=tp, pp=pp, ep=ep,
                world_size=ws, block_size=block_size, engine=dict(eng), ranks=ranks, groups=groups)
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

def _check_tiling(ranges: list[tuple[int, int]], total: int | None, what: str, allow_over: bool = False) -> int:
    """Ranges (in group order) must be contiguous, start at 0 and end at `total`."""
    pos = 0
    for i, (a, b) in enumerate(ranges):
        if a != pos:
            raise PlanError(f"{what}: range #{i} {[a, b]} does not start where the previous one ended ({pos})")
        if b <= a:
            raise PlanError(f"{what}: range #{i} {[a, b]} is empty")
        pos = b
    if total is not None and (pos < total or (pos > total and not allow_over)):
        raise PlanError(f"{what}: ranges cover [0, {pos}) but the model has {total}")
    return pos


def validate(plan: Plan) -> None:
    m = plan.model
    if plan.world_size != plan.dp * plan.tp * plan.pp:
        raise PlanError(f"parallel.world_size ({plan.world_size}) != dp*tp*pp ({plan.dp * plan.tp * plan.pp})")
    if len(plan.ranks) != plan.world_size:
        raise PlanError(f"ranks: {len(plan.ranks)} entries but world_size is {plan.world_size}")
    if plan.ep > 1:
        if m.moe is None:
            raise PlanError("parallel.ep > 1 but the model has no MoE")
        if plan.ep != plan.dp * plan.tp:
            raise PlanError(f"parallel.ep ({plan.ep}) must equal dp*tp ({plan.dp * plan.tp}) (EP spans one PP stage)")
    for i, r in enumerate(plan.ranks):
        if r.rank != i:
            raise PlanError(f"ranks[{i}].rank is {r.rank}; ranks must be ordered by global rank")
        if not (r.dp < plan.dp and r.pp < plan.pp and r.tp < plan.tp):
            raise PlanError(f"ranks[{i}]: coordinates dp={r.dp} pp={r.pp} tp={r.tp} out of bounds")
        if plan.global_rank(r.dp, r.pp, r.tp) != i:
            raise PlanError(f"ranks[{i}]: dp={r.dp} pp={r.pp} tp={r.tp} should be global rank "
                            f"{plan.global_rank(r.dp, r.pp, r.tp)} (dp outermost, then pp, then tp)")

    # Groups must be exactly what the coordinates imply; missing groups are filled in so the
    # rest of the runtime can rely on them.
    def expected(kind):
        out = []
        if kind == "tp":
            for d in range(plan.dp):
                for p in range(plan.pp):
                    out.append([plan.global_rank(d, p, t) for t in range(plan.tp)])
        elif kind == "pp":
            for d in range(plan.dp):
                for t in range(plan.tp):
                    out.append([plan.global_rank(d, p, t) for p in range(plan.pp)])
        elif kind == "dp":
            for p in range(plan.pp):
                for t in range(plan.tp):
                    out.append([plan.global_rank(d, p, t) for d in range(plan.dp)])
        elif kind == "ep":
            if plan.ep > 1:
                for p in range(plan.pp):
                    out.append([plan.global_rank(d, p, t) for d in range(plan.dp) for t in range(plan.tp)])
            else:
                out = [[r] for r in range(plan.world_size)]
        return out

    for kind in ("tp", "pp", "dp", "ep"):
        exp = expected(kind)
        if kind not in plan.groups:
            plan.groups[kind] = exp
            continue
        got = plan.groups[kind]
        if kind == "ep":
            # EP groups follow the engine's layout (vLLM: the dp x tp ranks of a stage; SGLang and
            # TRT-LLM: inside the TP or attention-DP group; without EP: the TP group), so only
            # check that they partition the ranks of each stage into equal groups.
            _check_partition(plan, got)
            continue
        if sorted(sorted(g) for g in got) != sorted(sorted(g) for g in exp):
            raise PlanError(f"groups.{kind}: {got} does not match the rank coordinates (expected {exp})")
        if kind != "ep":
            # Order inside TP/PP/DP groups is semantic (tp/pp/dp index); EP order only needs to
            # be consistent and is taken from the plan.
            for g in got:
                key = {"tp": "tp", "pp": "pp", "dp": "dp"}[kind]
                idx = [getattr(plan.ranks[x], key) for x in g]
                if idx != sorted(idx):
                    raise PlanError(f"groups.{kind}: group {g} is not ordered by {key} index")

    # Layers: identical within a stage, tiling [0, layers) along each pipeline.
    for g in plan.groups["pp"]:
        _check_tiling([plan.ranks[x].layers for x in g], m.layers, f"layers along pp group {g}")
    heads = m.heads
    for g in plan.groups["tp"]:
        rs = [plan.ranks[x] for x in g]
        for r in rs:
            if r.layers != rs[0].layers:
                raise PlanError(f"ranks {rs[0].rank} and {r.rank} are in one TP group but hold different layers")
        _check_tiling([r.q_heads for r in rs], heads, f"q_heads along tp group {g}")
        if m.attention != "mla":
            kv = m.kv_heads
            if plan.tp <= kv:
                _check_tiling([r.kv_heads for r in rs], kv, f"kv_heads along tp group {g}")
            group = heads // kv
            for r in rs:
                # Every local query head must find its KV head locally.
                need = {q // group for q in range(*r.q_heads)}
                if not all(r.kv_heads[0] <= h < r.kv_heads[1] for h in need):
                    raise PlanError(f"ranks[{r.rank}]: q_heads {list(r.q_heads)} need kv heads {sorted(need)} "
                                    f"but the rank holds kv_heads {list(r.kv_heads)}")
                if plan.tp > kv:
                    h = (r.tp * kv) // plan.tp
                    if r.kv_heads != (h, h + 1):
                        raise PlanError(f"ranks[{r.rank}]: with tp ({plan.tp}) > kv_heads ({kv}) the rank must hold "
                                        f"the replicated kv head [{h}, {h + 1}], plan says {list(r.kv_heads)}")
        if m.ffn > 0 and (m.moe is None or m.moe.dense_layers > 0):
            _check_tiling([r.ffn for r in rs], m.ffn, f"ffn along tp group {g}")
        vp = _check_tiling([r.vocab for r in rs], m.vocab, f"vocab along tp group {g}", allow_over=True)
        if vp != plan.padded_vocab:
            raise PlanError(f"vocab along tp group {g}: padded vocab {vp} differs from other groups")
    if m.moe is not None:
        E = m.moe.experts
        if plan.ep > 1:
            for g in plan.groups["ep"]:
                seen = []
                for x in g:
                    seen += plan.ranks[x].experts
                if sorted(seen) != list(range(E)):
                    raise PlanError(f"experts along ep group {g}: {sorted(seen)} is not a partition of 0..{E - 1}")
            # TP ranks inside one EP group must not hold the same expert (whole experts with EP).
        else:
            for r in plan.ranks:
                if r.experts and sorted(r.experts) != list(range(E)):
                    raise PlanError(f"ranks[{r.rank}].experts: with ep=1 every rank holds all {E} experts")
                # An empty list with ep=1 is read as "all experts" (the compiler may omit them).
                r.experts = list(range(E))
            if m.moe.expert_ffn % plan.tp:
                raise PlanError(f"model.moe.expert_ffn ({m.moe.expert_ffn}) is not divisible by tp ({plan.tp})")
        if m.moe.shared_experts and (m.moe.shared_experts * m.moe.expert_ffn) % plan.tp:
            raise PlanError("shared expert intermediate size is not divisible by tp")
    if m.mla is not None and m.mla.q_lora_rank == 0 and m.attention != "mla":
        pass


# --------------------------------------------------------------------------- scaling (verify)

def _scale_dim(total: int, boundaries: list[int], target: int, what: str, max_units: int = 4096) -> int:
    """Pick a smaller size for a dimension so that every plan boundary maps to an integer.

    The plan's split points are b_i / total of the dimension; a scaled size s keeps them
    exact iff total/gcd(boundaries, total) divides s."""
    if total <= target:
        return total
    g = total
    for b in boundaries:
        g = math.gcd(g, b)
    unit = total // g
    if unit > max_units:
        raise PlanError(f"cannot scale {what}: its split points need a multiple of {unit}")
    return unit * max(1, target // unit)


def scaled_plan(plan: Plan, hidden: int = 64, head_dim: int = 16, ffn: int = 128, vocab: int = 256,
                expert_ffn: int = 32, layers_per_stage: int = 2) -> Plan:
    """A scaled-down copy of the plan for `verify`.

    Keeps what determines the partitioning structure (head, KV-head and expert counts,
    top-k, TP/PP/DP/EP degrees and every range over heads/experts) and shrinks the sizes
    (hidden, head_dim, ffn, vocab, expert_ffn, MLA ranks, layers per stage).  Ranges over
    scaled dimensions are rescaled proportionally, exactly."""
    raw = copy.deepcopy(plan.raw)
    m = raw["model"]
    mc = plan.model
    m["hidden"] = min(mc.hidden, hidden)
    hd = min(mc.head_dim, head_dim)
    m["head_dim"] = hd - (hd % 2)
    # ffn
    franges = [r.ffn for r in plan.ranks]
    if mc.ffn > 0:
        new_ffn = _scale_dim(mc.ffn, [b for rg in franges for b in rg], ffn, "ffn")
        m["ffn"] = new_ffn
    else:
        new_ffn = 0
    # vocab (padded): scale the padded size, then keep a proportional amount of padding.
    vp = plan.padded_vocab
    new_vp = _scale_dim(vp, [b for r in plan.ranks for b in r.vocab], vocab, "vocab")
    pad = vp - mc.vocab
    new_pad = min(math.ceil(pad * new_vp / vp), new_vp - 2) if pad else 0
    m["vocab"] = new_vp - new_pad
    if mc.moe is not None:
        mo = m["moe"]
        unit = plan.tp * max(1, mc.moe.shared_experts)
        mo["expert_ffn"] = min(mc.moe.expert_ffn, max(unit, expert_ffn - expert_ffn % unit))
    if mc.mla is not None:
        x = m["mla"]
        x["q_lora_rank"] = min(mc.mla.q_lora_rank, 32)
        x["kv_lora_rank"] = min(mc.mla.kv_lora_rank, 32)
        x["qk_nope_head_dim"] = min(mc.mla.qk_nope_head_dim, 16)
        x["qk_rope_head_dim"] = min(mc.mla.qk_rope_head_dim, 8)
        x["v_head_dim"] = min(mc.mla.v_head_dim, 16)
    # Layers: every stage keeps min(its layers, layers_per_stage).
    stage_ranges = {}
    for r in plan.ranks:
        stage_ranges[r.pp] = r.layers
    new_stage = {}
    pos = 0
    for p in range(plan.pp):
        a, b = stage_ranges[p]
        n = min(b - a, layers_per_stage)
        new_stage[p] = (pos, pos + n)
        pos += n
    m["layers"] = pos
    if mc.moe is not None:
        # Keep one dense layer in front when the model has any and there is room for MoE after it.
        m["moe"]["dense_layers"] = min(mc.moe.dense_layers, 1) if pos >= 2 else 0

    def rescale(rg, old, new):
        return [rg[0] * new // old, rg[1] * new // old]

    for r, rr in zip(plan.ranks, raw["ranks"]):
        rr["layers"] = list(new_stage[r.pp])
        if mc.ffn > 0:
            rr["ffn"] = rescale(r.ffn, mc.ffn, new_ffn)
        rr["vocab"] = rescale(r.vocab, vp, new_vp)
    return parse_plan(raw)


def _check_partition(plan, groups) -> None:
    """groups.ep must split every rank into exactly one group, groups of one size, each inside one PP stage."""
    seen = {}
    sizes = set()
    for g in groups:
        sizes.add(len(g))
        stages = set()
        for r in g:
            if not isinstance(r, int) or not 0 <= r < plan.world_size:
                raise PlanError(f"groups.ep: rank {r!r} outside the world of {plan.world_size}")
            if r in seen:
                raise PlanError(f"groups.ep: rank {r} is in two groups")
            seen[r] = True
            stages.add((r // plan.tp) % plan.pp)
        if len(stages) > 1:
            raise PlanError(f"groups.ep: group {g} spans pipeline stages {sorted(stages)}")
    if len(seen) != plan.world_size:
        missing = [r for r in range(plan.world_size) if r not in seen]
        raise PlanError(f"groups.ep: ranks {missing[:8]} are in no group")
    if len(sizes) > 1:
        raise PlanError(f"groups.ep: groups of different sizes {sorted(sizes)}")
