"""`verify`: the partitioned model against the unpartitioned reference of its family.

Runs a scaled-down copy of the plan's model (scale.py) on the plan's whole world, in float64,
with a deterministic synthetic checkpoint in the plan's weight format (identical values for any
partitioning), prefill plus greedy decode over a paged cache whose blocks are scattered. Then,
one rank compares the whole batch with the reference (reference/): the hidden states each
stage of each DP replica hands on (the reference's after the same layers), the prefill and
decode logits (the reference teacher-forced on the partitioned model's tokens) and the greedy
tokens (the reference's own greedy decode). Every TP rank of the last stage must agree with the
first. Relative error = max over rows of max|a - b| / max|ref|.

`--mutate F` builds the partitioned model without feature F (the reference keeps it): a test
hook showing that verify notices when the partitioned model drops part of the architecture.
"""

from __future__ import annotations

import dataclasses
import time

import torch
import torch.distributed as dist

from . import reference
from .kernels import AttentionKernels
from .kvcache import KVCache
from .model import ShardModel
from .pipeline import Pipeline, make_micro_batches, split_even
from .quant import Loader
from .scale import scaled_plan
from .weights import CheckpointSource, SyntheticSource

DEFAULT_TOL = {"fp64": 1e-9, "fp32": 1e-4, "bf16": 5e-2, "fp16": 2e-2}
DTYPES = {"fp64": torch.float64, "fp32": torch.float32, "bf16": torch.bfloat16, "fp16": torch.float16}


def _moe(c, **kw):
    return dataclasses.replace(c, moe=dataclasses.replace(c.moe, **kw))


# name -> (applies to the model?, the model without it)
MUTATIONS = {
    "qk_norm": (lambda c: c.qk_norm, lambda c: dataclasses.replace(c, qk_norm=False)),
    "attention_sinks": (lambda c: c.attention_sinks, lambda c: dataclasses.replace(c, attention_sinks=False)),
    "sliding_window": (lambda c: c.sliding_window > 0, lambda c: dataclasses.replace(c, sliding_window=0)),
    "qkv_bias": (lambda c: c.qkv_bias, lambda c: dataclasses.replace(c, qkv_bias=False)),
    "o_bias": (lambda c: c.o_bias, lambda c: dataclasses.replace(c, o_bias=False)),
    "rope_scaling": (lambda c: c.rope_scaling is not None, lambda c: dataclasses.replace(c, rope_scaling=None)),
    "rope_interleave": (lambda c: c.rope_interleave, lambda c: dataclasses.replace(c, rope_interleave=False)),
    "swiglu_limit": (lambda c: c.swiglu_limit > 0, lambda c: dataclasses.replace(c, swiglu_limit=0.0)),
    "router_bias": (lambda c: c.moe is not None and c.moe.router_bias, lambda c: _moe(c, router_bias=False)),
    "expert_bias": (lambda c: c.moe is not None and c.moe.expert_bias, lambda c: _moe(c, expert_bias=False)),
    "correction_bias": (lambda c: c.moe is not None and c.moe.correction_bias, lambda c: _moe(c, correction_bias=False)),
    "routed_scaling_factor": (lambda c: c.moe is not None and c.moe.routed_scaling_factor != 1.0,
                              lambda c: _moe(c, routed_scaling_factor=1.0)),
    "expert_groups": (lambda c: c.moe is not None and c.moe.n_group > 1, lambda c: _moe(c, n_group=1, topk_group=1)),
    "norm_topk_prob": (lambda c: c.moe is not None and c.moe.top_k > 1,
                       lambda c: _moe(c, norm_topk_prob=not c.moe.norm_topk_prob)),
    "scoring": (lambda c: c.moe is not None,
                lambda c: _moe(c, scoring="softmax" if c.moe.scoring == "sigmoid" else "sigmoid")),
    "shared_expert_gate": (lambda c: c.moe is not None and c.moe.shared_expert_gate, lambda c: _moe(c, shared_expert_gate=False)),
    "shared_experts": (lambda c: c.moe is not None and c.moe.shared_ffn > 0, lambda c: _moe(c, shared_ffn=0)),
    # Checkpoint decoding and collectives: flags read by the loader and the communicator.
    "quant_scales": (lambda c: c.quant is not None and c.quant.scheme in ("fp8_block", "fp8_tensor", "mxfp4", "nvfp4"), None),
    "fp4_nibbles": (lambda c: c.quant is not None and c.quant.scheme in ("mxfp4", "nvfp4"), None),
    "tp_allreduce": (lambda c: True, None),
}


def mutated(cfg, names: list[str]):
    for n in names:
        if n not in MUTATIONS:
            raise ValueError(f"--mutate {n}: unknown; known: {', '.join(sorted(MUTATIONS))}")
        applies, fn = MUTATIONS[n]
        if not applies(cfg):
            raise ValueError(f"--mutate {n}: the model ({cfg.family}) has no such feature to drop")
        if fn is not None:
            cfg = fn(cfg)
    return cfg


def rel_err(a: torch.Tensor, b: torch.Tensor) -> float:
    """Max over rows of max|a-b| / max|b| (elementwise relative error is meaningless for values
    that cross zero)."""
    a, b = a.double(), b.double()
    num = (a - b).abs().amax(-1)
    den = b.abs().amax(-1).clamp_min(1e-30)
    return float((num / den).max()) if num.numel() else 0.0


def _source(args, dtype, device, exact):
    if args.weights:
        return CheckpointSource(args.weights, dtype, device)
    return SyntheticSource(args.seed, dtype, device, exact=exact)


def run_verify(args, plan, rank: int, comm, device: torch.device, fail_hook) -> dict:
    vplan = plan if (args.weights or args.no_scale) else scaled_plan(plan, layers_per_stage=args.verify_layers)
    m = vplan.model
    dname = args.dtype or "fp64"
    dtype = DTYPES[dname]
    tol = args.tol if args.tol is not None else DEFAULT_TOL[dname]
    mutations = list(args.mutate or [])
    if "tp_allreduce" in mutations and plan.tp == 1:
        raise ValueError("--mutate tp_allreduce: the plan has no TP group to reduce over")
    shard_cfg = mutated(m, mutations)
    src = _source(args, dtype, device, exact=True)
    load = Loader(shard_cfg, src, dtype, device, frozenset(mutations))
    kernels = AttentionKernels(args.attention)
    with torch.inference_mode():
        model = ShardModel(vplan, rank, shard_cfg, load, comm, kernels, dispatch=args.moe_dispatch_resolved)
    fail_hook("run")
    r = vplan.rank_info(rank)
    B = int(args.batch) if args.batch else 2 * plan.dp
    if B < plan.dp:
        raise ValueError(f"--batch {B} is smaller than dp ({plan.dp}); every DP replica needs a sequence")
    lo, hi = split_even(B, plan.dp)[r.dp]
    S, N = args.prompt_len, args.decode_tokens
    if N < 1 or S < 1:
        raise ValueError("--prompt-len and --decode-tokens must be >= 1")
    all_prompts = torch.randint(0, m.vocab, (B, S), generator=torch.Generator().manual_seed(args.seed + 1))
    prompts = all_prompts[lo:hi]
    Bl, bs = hi - lo, vplan.block_size
    n_mb = args.micro_batches or (plan.pp if plan.pp > 1 else 1)
    cache = KVCache(model.cache_shapes(bs), Bl * -(-(S + N) // bs) + 3, bs, dtype, device,
                    shuffle_seed=(args.seed + 7) if args.kv_layout == "shuffled" else None)
    mbs = make_micro_batches(cache, Bl, S + N, n_mb)
    firsts, pos = [], 0
    for mb in mbs:
        firsts.append(prompts[pos:pos + mb.B])
        pos += mb.B
    outs = [[] for _ in mbs]
    logits = [[] for _ in mbs]
    toks = [[] for _ in mbs]

    def on_output(t, mi, x):
        outs[mi].append(x.view(mbs[mi].B, -1, m.hidden).cpu())

    def record(t, mi, lg, tok):
        logits[mi].append(lg.cpu())
        toks[mi].append(tok.cpu())

    t0 = time.perf_counter()
    with torch.inference_mode():
        Pipeline(vplan, rank, model, comm, cache).run(mbs, firsts, S, N, all_logits_first=True, record=record,
                                                      on_output=on_output)
        if device.type == "cuda":
            torch.cuda.synchronize(device)
        t_run = time.perf_counter() - t0
        hidden = torch.cat([torch.cat(o, 1) for o in outs]).to(dtype)          # [Bl, S+N-1, H] this stage's outputs
        res = _compare(args, vplan, rank, comm, device, model, all_prompts, hidden, logits, toks, S, N)
    shapes = [None] * dist.get_world_size() if dist.get_world_size() > 1 else None
    mine = f"rank {rank} (dp {r.dp} pp {r.pp} tp {r.tp}): {model.shapes()}"
    if shapes is not None:
        dist.all_gather_object(shapes, mine)
    ok = res["max_rel_err"] <= tol and res["tokens_match"] and res["tp_disagreement"] == 0.0
    return {"mode": "verify", "ok": ok, "tol": tol, **res, "mutations": mutations,
            "model": {"family": m.family, "layers": m.layers, "hidden": m.hidden, "heads": m.heads, "kv_heads": m.kv_heads,
                      "head_dim": m.head_dim, "ffn": m.ffn, "vocab": m.vocab, "attention": m.attention,
                      "moe": None if m.moe is None else vars(m.moe), "quantization": None if m.quant is None else m.quant.scheme,
                      "notes": list(m.notes)},
            "shapes": shapes or [mine], "batch": B, "local_batch": [lo, hi], "dtype": dname, "weights": src.description,
            "prompt_len": S, "decode_tokens": N, "micro_batches": len(mbs), "kv_layout": args.kv_layout,
            "timings": {"run_s": t_run}, "stages": [list(vplan.stage_layers(p)) for p in range(plan.pp)]}


def _compare(args, plan, rank, comm, device, model, prompts, hidden, logits, toks, S, N) -> dict:
    """One rank compares with the reference, once for the whole batch (building the reference of
    a 256-expert model per DP replica would cost more than the run): the first TP rank of the
    last stage of DP replica 0. Every replica's stages send it their outputs, its tails their
    logits and tokens; the verdict is then reduced over the world."""
    r = plan.rank_info(rank)
    pp, dp = plan.pp, plan.dp
    judge = plan.global_rank(0, pp - 1, 0)
    H_TAG, L_TAG = 1 << 20, 1 << 21
    slices = split_even(prompts.shape[0], dp)
    lg = tok = None
    tp_dis = 0.0
    if model.last:
        lg = torch.cat([torch.cat(l, 1) for l in logits])                  # [Bl, S + N - 1, V]
        tok = torch.cat([torch.stack(t, 1) for t in toks])                 # [Bl, N]
        if plan.tp > 1:
            # Every TP rank of the last stage computes the logits the head all-gathers: they must agree.
            tp_dis = rel_err(lg, comm.all_gather("tp", lg.to(device))[0].cpu())
    if r.tp == 0 and rank != judge:
        if not model.last:
            comm.send(hidden.contiguous(), judge, H_TAG + r.dp * pp + r.pp)
        else:
            comm.send(lg.to(device).contiguous(), judge, L_TAG + 2 * r.dp)
            comm.send(tok.to(device).contiguous(), judge, L_TAG + 2 * r.dp + 1)
    stage_err = [0.0] * pp
    pre_err = dec_err = 0.0
    match = total = 0
    if rank == judge:
        V, H, T = plan.model.vocab, plan.model.hidden, S + N - 1
        lgs, tks = [lg], [tok]
        for d in range(1, dp):
            n = slices[d][1] - slices[d][0]
            lgs.append(comm.recv(torch.empty(n, T, V, dtype=lg.dtype, device=device), plan.global_rank(d, pp - 1, 0), L_TAG + 2 * d).cpu())
            tks.append(comm.recv(torch.empty(n, N, dtype=torch.long, device=device), plan.global_rank(d, pp - 1, 0), L_TAG + 2 * d + 1).cpu())
        all_lg, all_tok = torch.cat(lgs), torch.cat(tks)
        ref = reference.build(plan.model, _source(args, torch.float64, torch.device("cpu"), exact=True))
        ends = tuple(plan.stage_layers(p)[1] for p in range(pp - 1))
        ref_logits, ref_hidden = ref.forward(torch.cat([prompts, all_tok[:, :-1]], 1), ends)
        for d in range(dp):
            a, b = slices[d]
            for p in range(pp - 1):
                got = comm.recv(torch.empty(b - a, T, H, dtype=hidden.dtype, device=device), plan.global_rank(d, p, 0),
                                H_TAG + d * pp + p).cpu()
                stage_err[p] = max(stage_err[p], rel_err(got, ref_hidden[ends[p]][a:b]))
        stage_err[pp - 1] = rel_err(all_lg, ref_logits)
        pre_err = rel_err(all_lg[:, :S], ref_logits[:, :S])
        dec_err = rel_err(all_lg[:, S:], ref_logits[:, S:])
        ref_tok = ref.greedy(prompts, N)
        match, total = int((ref_tok == all_tok).sum()), all_tok.numel()
    v = torch.tensor(stage_err + [pre_err, dec_err, tp_dis], dtype=torch.float64, device=device)
    c = torch.tensor([match, total], dtype=torch.long, device=device)
    comm.world_reduce(v, dist.ReduceOp.MAX)
    comm.world_reduce(c, dist.ReduceOp.SUM)
    v = v.tolist()
    return {"stage_rel_err": v[:pp], "prefill_rel_err": v[pp], "decode_rel_err": v[pp + 1], "tp_disagreement": v[pp + 2],
            "max_rel_err": max(v[:pp + 2]), "tokens_equal": int(c[0]), "tokens_total": int(c[1]),
            "tokens_match": int(c[0]) == int(c[1])}


def report(plan, res: dict) -> str:
    """What a user reads after verify: the model that ran, each stage's error, logits, tokens, shapes."""
    m = res["model"]
    lines = [f"verify {plan.name}: {m['family']} {m['layers']} layers (of {plan.model.layers}) hidden {m['hidden']}, "
             f"{m['heads']} heads / {m['kv_heads']} kv x {m['head_dim']}, ffn {m['ffn']}, vocab {m['vocab']}"
             + (f", {m['moe']['experts']} experts top-{m['moe']['top_k']} x {m['moe']['expert_ffn']}" if m["moe"] else "")
             + (f", {m['quantization']} weights" if m["quantization"] else "")
             + f"; {res['dtype']}, {res['weights']}"]
    lines.append(f"  world {plan.world_size} = dp {plan.dp} x pp {plan.pp} x tp {plan.tp} (ep {plan.ep}); batch {res['batch']} "
                 f"x prompt {res['prompt_len']} + {res['decode_tokens']} greedy tokens, {res['micro_batches']} micro-batches, "
                 f"KV blocks {res['kv_layout']}")
    for p, (a, b) in enumerate(res["stages"]):
        what = "logits" if p == plan.pp - 1 else "hidden states"
        lines.append(f"  stage {p}: layers [{a}, {b}): {what} max rel err {res['stage_rel_err'][p]:.2e}")
    lines.append(f"  logits: prefill {res['prefill_rel_err']:.2e}, decode {res['decode_rel_err']:.2e} (tol {res['tol']:g})"
                 + (f"; TP ranks disagree by {res['tp_disagreement']:.2e}" if res["tp_disagreement"] else ""))
    lines.append(f"  greedy tokens: {res['tokens_equal']}/{res['tokens_total']} equal to the reference's")
    for n in m["notes"]:
        lines.append(f"  note: {n}")
    if res["mutations"]:
        lines.append(f"  mutated (test hook): {', '.join(res['mutations'])} dropped from the partitioned model")
    lines += ["  " + s for s in res["shapes"]]
    lines.append("ok" if res["ok"] else "FAILED")
    return "\n".join(lines)
