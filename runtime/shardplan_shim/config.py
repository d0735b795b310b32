"""The model section of plan.json (docs/plan-ir.md): what the shim needs to build a model as
its family defines it.

Every key is required: a plan.json written by an older compiler lacks some, and computing a
model without, say, its RoPE scaling or routing would verify something else than what the
engine runs, so such a plan is refused with a message to recompile it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

FAMILIES = ("llama", "qwen2", "qwen3", "qwen2_moe", "qwen3_moe", "mixtral", "deepseek_v2", "deepseek_v3", "gpt_oss")
SCHEMES = ("fp8_block", "fp8_tensor", "mxfp4", "nvfp4")


class PlanError(ValueError):
    """The plan file is missing, malformed or internally inconsistent."""


@dataclass(frozen=True)
class MLAConfig:
    q_lora_rank: int
    kv_lora_rank: int
    qk_nope_head_dim: int
    qk_rope_head_dim: int
    v_head_dim: int


@dataclass(frozen=True)
class MoEConfig:
    experts: int
    shared_experts: int
    shared_ffn: int
    top_k: int
    expert_ffn: int
    dense_layers: int
    expert_bias: bool
    router_bias: bool
    shared_expert_gate: bool
    scoring: str                 # softmax | sigmoid
    norm_topk_prob: bool
    n_group: int
    topk_group: int
    correction_bias: bool
    routed_scaling_factor: float


@dataclass(frozen=True)
class RopeScaling:
    type: str                    # linear | llama3 | yarn
    factor: float
    original_max_position: int = 0
    low_freq_factor: float = 0.0
    high_freq_factor: float = 0.0
    beta_fast: float = 0.0
    beta_slow: float = 0.0
    mscale: float = 0.0
    mscale_all_dim: float = 0.0
    truncate: bool = True


@dataclass(frozen=True)
class QuantConfig:
    scheme: str                  # fp8_block | fp8_tensor | mxfp4 | nvfp4 (others: computed unquantised)
    weights: str
    block: int
    group: int
    parts: tuple[str, ...]


@dataclass(frozen=True)
class ModelConfig:
    name: str
    family: str
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
    o_bias: bool
    qk_norm: bool
    attention_sinks: bool
    sliding_window: int
    layer_types: tuple[str, ...]
    swiglu_limit: float
    mla: MLAConfig | None
    moe: MoEConfig | None
    rope_theta: float
    rope_interleave: bool
    rope_scaling: RopeScaling | None
    dtype: str
    weight_dtype: str
    quant: QuantConfig | None
    kv_dtype: str
    norm_eps: float
    notes: tuple[str, ...] = field(default=())

    def is_moe_layer(self, layer: int) -> bool:
        return self.moe is not None and layer >= self.moe.dense_layers

    def is_sliding(self, layer: int) -> bool:
        return self.sliding_window > 0 and self.layer_types[layer] == "sliding_attention"

    def quantised(self, part: str) -> bool:
        """Is `part` (attention, dense_ffn, experts, shared_experts) stored in a checkpoint format the shim decodes?"""
        return self.quant is not None and self.quant.scheme in SCHEMES and part in self.quant.parts


# --------------------------------------------------------------------------- parsing

def req(d: dict, key: str, where: str):
    if not isinstance(d, dict) or key not in d:
        raise PlanError(f"{where}: missing key '{key}' (a plan.json from an older compiler? compile the plan again)")
    return d[key]


def req_int(d: dict, key: str, where: str, minimum: int | None = 0) -> int:
    v = req(d, key, where)
    if isinstance(v, bool) or not isinstance(v, int):
        raise PlanError(f"{where}.{key}: expected an integer, got {v!r}")
    if minimum is not None and v < minimum:
        raise PlanError(f"{where}.{key}: must be >= {minimum}, got {v}")
    return v


def req_bool(d: dict, key: str, where: str) -> bool:
    v = req(d, key, where)
    if not isinstance(v, bool):
        raise PlanError(f"{where}.{key}: expected true or false, got {v!r}")
    return v


def req_num(d: dict, key: str, where: str, minimum: float | None = None) -> float:
    v = req(d, key, where)
    if isinstance(v, bool) or not isinstance(v, (int, float)):
        raise PlanError(f"{where}.{key}: expected a number, got {v!r}")
    if minimum is not None and v < minimum:
        raise PlanError(f"{where}.{key}: must be >= {minimum}, got {v}")
    return float(v)


def req_word(d: dict, key: str, where: str, options) -> str:
    v = req(d, key, where)
    if v not in options:
        raise PlanError(f"{where}.{key}: {v!r} is not one of {', '.join(options)}")
    return v


def _mla(x, w) -> MLAConfig:
    c = MLAConfig(req_int(x, "q_lora_rank", w), req_int(x, "kv_lora_rank", w, 1), req_int(x, "qk_nope_head_dim", w, 1),
                  req_int(x, "qk_rope_head_dim", w, 2), req_int(x, "v_head_dim", w, 1))
    if c.qk_rope_head_dim % 2:
        raise PlanError(f"{w}.qk_rope_head_dim must be even (RoPE rotates pairs)")
    return c


def _moe(x, w) -> MoEConfig:
    c = MoEConfig(
        experts=req_int(x, "experts", w, 1), shared_experts=req_int(x, "shared_experts", w),
        shared_ffn=req_int(x, "shared_ffn", w), top_k=req_int(x, "top_k", w, 1), expert_ffn=req_int(x, "expert_ffn", w, 1),
        dense_layers=req_int(x, "dense_layers", w), expert_bias=req_bool(x, "expert_bias", w),
        router_bias=req_bool(x, "router_bias", w), shared_expert_gate=req_bool(x, "shared_expert_gate", w),
        scoring=req_word(x, "scoring", w, ("softmax", "sigmoid")), norm_topk_prob=req_bool(x, "norm_topk_prob", w),
        n_group=req_int(x, "n_group", w, 1), topk_group=req_int(x, "topk_group", w, 1),
        correction_bias=req_bool(x, "correction_bias", w),
        routed_scaling_factor=req_num(x, "routed_scaling_factor", w, 0.0))
    if c.top_k > c.experts:
        raise PlanError(f"{w}.top_k ({c.top_k}) exceeds experts ({c.experts})")
    if c.experts % c.n_group or c.topk_group > c.n_group or c.top_k > c.topk_group * (c.experts // c.n_group):
        raise PlanError(f"{w}: {c.experts} experts in n_group {c.n_group} with topk_group {c.topk_group} cannot give top_k {c.top_k}")
    return c


def _rope_scaling(x, w) -> RopeScaling | None:
    if x is None:
        return None
    kind = req_word(x, "type", w, ("linear", "llama3", "yarn"))
    factor = req_num(x, "factor", w, 1.0)
    if kind == "linear":
        return RopeScaling(kind, factor)
    orig = req_int(x, "original_max_position", w, 1)
    if kind == "llama3":
        return RopeScaling(kind, factor, orig, low_freq_factor=req_num(x, "low_freq_factor", w, 0.0),
                           high_freq_factor=req_num(x, "high_freq_factor", w, 0.0))
    return RopeScaling(kind, factor, orig, beta_fast=req_num(x, "beta_fast", w, 0.0), beta_slow=req_num(x, "beta_slow", w, 0.0),
                       mscale=req_num(x, "mscale", w, 0.0), mscale_all_dim=req_num(x, "mscale_all_dim", w, 0.0),
                       truncate=req_bool(x, "truncate", w))


def _quant(x, w) -> QuantConfig | None:
    if x is None:
        return None
    parts = req(x, "parts", w)
    if not isinstance(parts, list) or not all(p in ("attention", "dense_ffn", "experts", "shared_experts") for p in parts):
        raise PlanError(f"{w}.parts: expected a list of attention, dense_ffn, experts, shared_experts; got {parts!r}")
    return QuantConfig(str(req(x, "scheme", w)), str(req(x, "weights", w)), req_int(x, "block", w), req_int(x, "group", w),
                       tuple(parts))


def parse_model(m: dict) -> ModelConfig:
    w = "model"
    attention = req_word(m, "attention", w, ("mha", "gqa", "mla"))
    mla = _mla(m["mla"], "model.mla") if req(m, "mla", w) is not None else None
    if attention == "mla" and mla is None:
        raise PlanError("model.attention is 'mla' but model.mla is null")
    moe = _moe(m["moe"], "model.moe") if req(m, "moe", w) is not None else None
    layers = req_int(m, "layers", w, 1)
    types = req(m, "layer_types", w)
    if not isinstance(types, list) or len(types) != layers or any(t not in ("full_attention", "sliding_attention") for t in types):
        raise PlanError(f"model.layer_types: expected {layers} entries of full_attention / sliding_attention")
    quant = _quant(req(m, "quantization", w), "model.quantization")
    notes = []
    if quant is not None and quant.scheme not in SCHEMES:
        notes.append(f"{quant.scheme} weights have no fixed checkpoint layout; computed unquantised")
    if mla is not None and m["mla"].get("index_topk", 0):
        notes.append(f"DeepSeek sparse attention (index_topk {m['mla']['index_topk']}): verify's sequences are shorter "
                     f"than index_topk, where it attends to every key, so dense MLA is the same function")
    cfg = ModelConfig(
        name=str(req(m, "name", w)), family=req_word(m, "family", w, FAMILIES), layers=layers,
        hidden=req_int(m, "hidden", w, 1), heads=req_int(m, "heads", w, 1), kv_heads=req_int(m, "kv_heads", w, 1),
        head_dim=req_int(m, "head_dim", w, 1), ffn=req_int(m, "ffn", w), vocab=req_int(m, "vocab", w, 1),
        tied_embeddings=req_bool(m, "tied_embeddings", w), attention=attention, qkv_bias=req_bool(m, "qkv_bias", w),
        o_bias=req_bool(m, "o_bias", w), qk_norm=req_bool(m, "qk_norm", w), attention_sinks=req_bool(m, "attention_sinks", w),
        sliding_window=req_int(m, "sliding_window", w), layer_types=tuple(types),
        swiglu_limit=req_num(m, "swiglu_limit", w, 0.0), mla=mla, moe=moe, rope_theta=req_num(m, "rope_theta", w, 1e-9),
        rope_interleave=req_bool(m, "rope_interleave", w), rope_scaling=_rope_scaling(req(m, "rope_scaling", w), "model.rope_scaling"),
        dtype=str(req(m, "dtype", w)), weight_dtype=str(req(m, "weight_dtype", w)), quant=quant,
        kv_dtype=str(req(m, "kv_dtype", w)), norm_eps=req_num(m, "norm_eps", w, 0.0), notes=tuple(notes))
    if attention != "mla":
        if cfg.heads % cfg.kv_heads:
            raise PlanError(f"model.heads ({cfg.heads}) is not a multiple of kv_heads ({cfg.kv_heads})")
        if cfg.head_dim % 2:
            raise PlanError("model.head_dim must be even (RoPE rotates pairs)")
    if moe is not None and moe.dense_layers > cfg.layers:
        raise PlanError("model.moe.dense_layers exceeds model.layers")
    if (cfg.family in ("deepseek_v2", "deepseek_v3")) != (attention == "mla"):
        raise PlanError(f"model.family {cfg.family} and attention {attention} do not go together")
    return cfg


def model_to_json(c: ModelConfig) -> dict:
    """The inverse of parse_model (used to write scaled plans)."""
    d = {k: getattr(c, k) for k in ("name", "family", "layers", "hidden", "heads", "kv_heads", "head_dim", "ffn", "vocab",
                                    "tied_embeddings", "attention", "qkv_bias", "o_bias", "qk_norm", "attention_sinks",
                                    "sliding_window", "swiglu_limit", "rope_theta", "rope_interleave", "dtype",
                                    "weight_dtype", "kv_dtype", "norm_eps")}
    d["layer_types"] = list(c.layer_types)
    d["mla"] = None if c.mla is None else dict(vars(c.mla), index_topk=0, index_head_dim=0)
    d["moe"] = None if c.moe is None else dict(vars(c.moe))
    d["rope_scaling"] = None if c.rope_scaling is None else dict(vars(c.rope_scaling))
    d["quantization"] = None if c.quant is None else dict(vars(c.quant), parts=list(c.quant.parts))
    return d
