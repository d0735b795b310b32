"""`bench`: the plan's real shapes, timed.

Per-shard random weights in the plan's checkpoint format (or `--weights`), dequantised to the
compute dtype; a KV pool of the plan's kv_blocks for this rank when it fits next to the run
(else what the run needs), filled to `--context` tokens per sequence; prefill steps of whole
prompts (as many as fit in max_num_batched_tokens) and `--decode-tokens` decode steps. Reports
median step times, communication and host time, bytes read per decode step against the HBM
bound, and the memory `--compare` sets against the plan: weights as stored in the checkpoint and
as held, the KV pool, and the activation peak (peak allocated minus weights and pool).
"""

from __future__ import annotations

import math
import statistics
import time

import torch
import torch.distributed as dist

from .kernels import AttentionKernels
from .kvcache import KVCache
from .model import ShardModel
from .pipeline import MicroBatch, Pipeline, make_micro_batches, split_even
from .quant import Loader
from .scale import scaled_plan
from .weights import CheckpointSource, SyntheticSource

HBM_BW = {"H200": 4.8e12, "H100": 3.35e12}
DTYPES = {"fp32": torch.float32, "bf16": torch.bfloat16, "fp16": torch.float16, "fp64": torch.float64}


def detect_bandwidth(device: torch.device) -> tuple[float | None, str]:
    if device.type != "cuda":
        return None, "cpu"
    name = torch.cuda.get_device_name(device)
    for key, bw in HBM_BW.items():
        if key in name:
            return bw, name
    return None, name


def _sync(device):
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def _peak(device) -> int:
    if device.type == "cuda":
        return int(torch.cuda.max_memory_allocated(device))
    import resource
    return int(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss) * 1024   # Linux reports KiB


@torch.inference_mode()
def run_bench(args, plan, rank: int, comm, device: torch.device, fail_hook) -> dict:
    bplan = scaled_plan(plan, layers_per_stage=args.verify_layers) if args.tiny else plan
    m = bplan.model
    dtype = DTYPES[args.dtype or (m.dtype if m.dtype in DTYPES else "bf16")]
    kv_dtype = DTYPES.get(m.kv_dtype, dtype) if not args.dtype else dtype
    notes = [f"{m.quant.scheme} weights dequantised at load and held as {str(dtype).replace('torch.', '')}"] \
        if m.quant is not None else []
    if m.kv_dtype not in DTYPES:
        notes.append(f"{m.kv_dtype} KV cache held as {str(kv_dtype).replace('torch.', '')}")
    src = CheckpointSource(args.weights, dtype, device) if args.weights else \
        SyntheticSource(args.seed, dtype, device, exact=False, stored_float_bytes=torch.empty((), dtype=dtype).element_size())
    t0 = time.perf_counter()
    kernels = AttentionKernels(args.attention)
    model = ShardModel(bplan, rank, m, Loader(m, src, dtype, device), comm, kernels, dispatch=args.moe_dispatch_resolved)
    _sync(device)
    t_load = time.perf_counter() - t0
    fail_hook("run")
    r = bplan.rank_info(rank)
    bs, D = bplan.block_size, args.decode_tokens
    W = min(args.warmup, max(0, D - 1))
    n_mb = args.micro_batches or (plan.pp if plan.pp > 1 else 1)
    bw, dev_name = detect_bandwidth(device)
    bw = args.hbm_bw or bw
    weight_bytes = model.weight_bytes()
    # Decode reads every weight once per step except the embedding table (only B rows).
    weights_read = weight_bytes - (model.embed_bytes() if not m.tied_embeddings else 0)
    esz = torch.empty((), dtype=kv_dtype).element_size()
    bpt = sum(math.prod(s) * esz for shapes in model.cache_shapes(bs) for s in shapes) // bs
    max_batched = int(bplan.engine.get("max_num_batched_tokens", 8192))
    runs = []
    for B in [int(x) for x in str(args.batch or "64").split(",") if x]:
        if B < plan.dp:
            raise ValueError(f"--batch {B} is smaller than dp ({plan.dp}); every DP replica needs a sequence")
        lo, hi = split_even(B, plan.dp)[r.dp]
        runs.append(_one_batch(args, bplan, rank, model, comm, device, kv_dtype, B, hi - lo, bs, bpt, D, W, n_mb,
                               max_batched, weight_bytes, weights_read, bw))
    return {"mode": "bench", "ok": any(not e.get("skipped") for e in runs), "device_name": dev_name, "hbm_bandwidth_Bps": bw,
            "dtype": str(dtype).replace("torch.", ""), "kv_dtype": str(kv_dtype).replace("torch.", ""),
            "torch": torch.__version__, "attention": kernels.impl, "attention_tuning": dict(kernels.tuning), "notes": notes,
            "weights": src.description, "weight_bytes": weight_bytes, "weight_bytes_stored": src.bytes_read,
            "kv_bytes_per_token": bpt, "layers_local": len(model.layers), "tiny": bool(args.tiny),
            "model": {"family": m.family, "layers": m.layers, "hidden": m.hidden, "heads": m.heads, "kv_heads": m.kv_heads,
                      "head_dim": m.head_dim, "ffn": m.ffn, "vocab": m.vocab},
            "timings": {"load_s": t_load}, "runs": runs, "peak_memory_bytes": _peak(device), "device": device.type}


def _one_batch(args, bplan, rank, model, comm, device, kv_dtype, B, Bl, bs, bpt, D, W, n_mb, max_batched, weight_bytes,
               weights_read, bw) -> dict:
    m, r = bplan.model, bplan.rank_info(rank)
    ctx = args.context
    entry = {"batch": B, "local_batch": Bl, "context_requested": ctx}
    # Does the run's KV fit? All ranks must agree on one context length: the smallest wins.
    if device.type == "cuda":
        torch.cuda.empty_cache()
        free = torch.cuda.mem_get_info(device)[0]
        heads = r.q_heads[1] - r.q_heads[0]
        esz = torch.empty((), dtype=model.dtype).element_size()
        # Head-room: logits (fp32, a few copies), one 1024-query chunk of prefill scores, prefill MLP intermediates.
        budget = free - ((4 << 30) + 3 * Bl * m.vocab * 4 + 4 * heads * 1024 * ctx * 4 + 6 * max_batched * max(m.ffn, m.hidden) * esz)
    else:
        budget = float("inf")
    per_seq = lambda c: -(-(c + D) // bs) * bs
    fit = ctx
    if Bl * per_seq(ctx) * bpt > budget:
        fit = int(budget // (Bl * bpt)) - D
        fit = (fit // bs) * bs if args.fit_context else 0
    agreed = torch.tensor([fit], dtype=torch.long, device=device)
    comm.world_reduce(agreed, dist.ReduceOp.MIN)
    ctx = int(agreed.item())
    need = Bl * per_seq(args.context) * bpt
    if ctx < bs:
        entry.update({"skipped": True, "reason": f"KV cache for {Bl} x {args.context} tokens needs {need / 2**30:.1f} GiB, "
                                                 f"more than this device has free"})
        return entry
    if ctx != args.context:
        entry.update({"context_reduced_to": ctx, "reason": f"KV cache for {Bl} x {args.context} tokens needs "
                                                           f"{need / 2**30:.1f} GiB; reduced to fit"})
    entry["context"] = ctx
    # Pool: --kv-blocks, else the plan's kv_blocks for this rank (not for --tiny, whose shapes are not
    # the plan's), else exactly what this run needs.
    planned = 0 if args.tiny else int(r.memory.get("kv_blocks", 0) or 0)
    blocks = args.kv_blocks or planned
    need_blocks = Bl * -(-(ctx + D) // bs)
    if blocks and blocks < need_blocks:
        entry["kv_blocks_note"] = f"the plan's {blocks} blocks hold less than this run's {need_blocks}; allocated the run's need"
        blocks = need_blocks
    if blocks * bs * bpt > budget:
        entry["kv_blocks_note"] = f"the plan's {blocks} blocks do not fit next to this run; allocated the run's {need_blocks}"
        blocks = need_blocks
    if device.type == "cuda":
        torch.cuda.reset_peak_memory_stats(device)
    cache = KVCache(model.cache_shapes(bs), max(blocks, need_blocks), bs, kv_dtype, device)
    for pools in cache.pools:
        for p in pools:
            p.normal_()          # synthetic KV content standing for a prompt of `ctx` tokens
    entry.update({"kv_blocks": cache.num_blocks, "kv_blocks_planned": planned, "kv_bytes": cache.bytes()})
    mbs = make_micro_batches(cache, Bl, ctx + D, n_mb, start=ctx)
    pipe = Pipeline(bplan, rank, model, comm, cache)
    gen = torch.Generator().manual_seed(args.seed + 3)
    # Prefill: as many whole prompts of `ctx` tokens as fit in one step of max_num_batched_tokens.
    n_pre = max(1, min(Bl, max_batched // max(ctx, 1)))
    pre_t, pre_c = [], []
    for it in range(args.prefill_steps + 1):
        pm, taken = [], 0
        for mb in mbs:
            if taken >= n_pre:
                break
            take = min(mb.B, n_pre - taken)
            pm.append(MicroBatch(mb.table[:take], 0, 0, [0] * take))
            taken += take
        toks = [torch.randint(0, m.vocab, (x.B, ctx), generator=gen) for x in pm]
        _sync(device)
        comm.take_time()
        comm.timing = True
        t0 = time.perf_counter()
        pipe.run(pm, toks, ctx, 1)
        _sync(device)
        dt, c = time.perf_counter() - t0, comm.take_time()
        comm.timing = False
        if it > 0:                   # the first one warms up kernels and allocator
            pre_t.append(dt)
            pre_c.append(c)
    step_t, step_c, host_t = [], [], []
    last = [time.perf_counter()]

    def on_step_end(t):
        # Host time: until Python has issued the step's last kernel (before the sync). When it is
        # close to the step time the step is bound by the CPU issuing kernels.
        issued = time.perf_counter()
        _sync(device)
        now = time.perf_counter()
        host_t.append(issued - last[0])
        step_t.append(now - last[0])
        step_c.append(comm.take_time())
        last[0] = time.perf_counter()

    first = [torch.randint(0, m.vocab, (mb.B, 1), generator=gen) for mb in mbs]
    _sync(device)
    comm.take_time()
    comm.timing = True
    last[0] = time.perf_counter()
    pipe.run(mbs, first, 1, D, on_step_end=on_step_end)
    comm.timing = False
    meas, cmeas, hmeas = step_t[W:] or step_t, step_c[W:] or step_c, host_t[W:] or host_t
    med = statistics.median(meas)
    kv_read = Bl * ctx * bpt
    peak = _peak(device)
    entry.update({
        "prefill": {"seqs_per_step": n_pre, "tokens_per_step": n_pre * ctx, "step_s": pre_t,
                    "median_s": statistics.median(pre_t) if pre_t else None, "comm_s": pre_c},
        "decode": {"steps": D, "warmup_steps": W, "step_s": step_t, "median_s": med, "mean_s": statistics.fmean(meas),
                   "min_s": min(meas), "tokens_per_s": Bl / med, "comm_s_per_step": statistics.fmean(cmeas),
                   "host_s_per_step": statistics.median(hmeas),
                   "paged_path": "contiguous-view" if all(mb.contig for mb in mbs) else "index_select"},
        "weight_bytes_read_per_step": weights_read, "kv_bytes_read_per_step": kv_read, "peak_memory_bytes": peak,
        # What the run allocated beyond weights and pool: activations, logits, workspaces (CUDA only).
        "activation_peak_bytes": max(0, peak - weight_bytes - cache.bytes()) if device.type == "cuda" else None,
    })
    if bw:
        entry["hbm_bound_s"] = (weights_read + kv_read) / bw
        entry["fraction_of_bound"] = entry["hbm_bound_s"] / med
    del cache, mbs, pipe
    if device.type == "cuda":
        torch.cuda.empty_cache()
    return entry
