"""Pipeline execution over micro-batches, and the `verify` and `bench` modes."""

from __future__ import annotations

import math
import statistics
import time
from dataclasses import dataclass

import torch
import torch.distributed as dist

from .dist import Comm
from .model import DECODE_TUNING, KVCache, ShardModel, attention_impl, compute_dtype, make_meta
from .plan import Plan, scaled_plan
from .reference import ReferenceModel
from .weights import CheckpointSource, SyntheticSource


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


class Pipeline:
    """Runs steps of several micro-batches through this rank's stage.

    Every stage walks the same (step, micro-batch) order.  Activations go forward with
    isend, so a stage starts the next micro-batch while the following stage still works on
    the previous one (several micro-batches in flight); greedy tokens go from the last
    stage back to the first one the same way, so decode step t+1 of micro-batch m can start
    on stage 0 as soon as step t of m has left the last stage."""

    def __init__(self, plan: Plan, rank: int, model: ShardModel, comm: Comm, cache: KVCache):
        r = plan.rank_info(rank)
        self.plan, self.model, self.comm, self.cache = plan, model, comm, cache
        self.first, self.last, self.pp = model.first, model.last, plan.pp
        self.prev = plan.global_rank(r.dp, r.pp - 1, r.tp) if not self.first else None
        self.next = plan.global_rank(r.dp, r.pp + 1, r.tp) if not self.last else None
        self.head_rank = plan.global_rank(r.dp, 0, r.tp)
        self.tail_rank = plan.global_rank(r.dp, plan.pp - 1, r.tp)
        self.device = model.device

    def run(self, mbs: list[MicroBatch], first_tokens, T0: int, n_steps: int,
            all_logits_first: bool = False, record=None, on_step_end=None):
        """Step 0 feeds T0 tokens per sequence (prompt; first stage only needs first_tokens),
        later steps feed the previous greedy token.  record(t, m, logits[B, T|1, V], tokens[B])
        is called on the last stage."""
        M = len(mbs)
        H = self.model.m.hidden
        pending = []
        next_tok = [None] * M
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
                        ids = self.comm.recv(torch.empty(mb.B, dtype=torch.long, device=self.device),
                                             self.tail_rank, tag + 1)
                    x = self.model.embed_tokens(ids)
                else:
                    x = self.comm.recv(torch.empty(mb.B * T, H, dtype=self.model.dtype, device=self.device),
                                       self.prev, tag)
                meta = make_meta(mb.table, mb.contig, mb.base, mb.start, T, bs)
                x = self.model.forward_layers(x, meta, self.cache.pools)
                mb.start = [s + T for s in mb.start]
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
                            pending.append(self.comm.isend(tok.contiguous(), self.head_rank,
                                                           ((t + 1) * M + m) * 2 + 1))
                else:
                    pending.append(self.comm.isend(x.contiguous(), self.next, tag))
            pending = [p for p in pending if not p.is_completed()]
            if on_step_end is not None:
                on_step_end(t)
        for p in pending:
            p.wait()


def _make_mbs(cache: KVCache, n_seqs: int, tokens: int, n_mb: int, start: int = 0) -> list[MicroBatch]:
    mbs = []
    for a, b in split_even(n_seqs, max(1, min(n_mb, n_seqs))):
        table, contig, base = cache.allocate(b - a, tokens)
        mbs.append(MicroBatch(table, contig, base, [start] * (b - a)))
    return mbs


def _sync(device: torch.device):
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def _source(args, dtype, device, exact: bool):
    if args.weights:
        return CheckpointSource(args.weights, dtype, device)
    return SyntheticSource(args.seed, dtype, device, exact=exact)


def _peak_memory(device: torch.device) -> int:
    if device.type == "cuda":
        return int(torch.cuda.max_memory_allocated(device))
    import resource
    return int(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss) * 1024   # Linux reports KiB


def _rel_err(a: torch.Tensor, b: torch.Tensor) -> float:
    """Max over logit rows of max|a-b| / max|b| (row-wise relative error; elementwise relative
    error is meaningless for logits that cross zero)."""
    a, b = a.double(), b.double()
    num = (a - b).abs().amax(-1)
    den = b.abs().amax(-1).clamp_min(1e-30)
    return float((num / den).max()) if num.numel() else 0.0


def _replica_slice(plan: Plan, rank: int, batch: int) -> tuple[int, int]:
    r = plan.rank_info(rank)
    if batch < plan.dp:
        raise ValueError(f"--batch {batch} is smaller than dp ({plan.dp}); every DP replica needs a sequence")
    return split_even(batch, plan.dp)[r.dp]


# --------------------------------------------------------------------------- verify

def run_verify(args, plan: Plan, rank: int, comm: Comm, device: torch.device, fail_hook) -> dict:
    if args.weights or args.no_scale:
        vplan = plan           # a checkpoint defines the shapes: verify it at full size
    else:
        vplan = scaled_plan(plan, layers_per_stage=args.verify_layers)
    m = vplan.model
    dtype = torch.float64 if args.dtype is None else compute_dtype(args.dtype)[0]
    src = _source(args, dtype, device, exact=True)
    model = ShardModel(vplan, rank, src, comm, dtype, device, dispatch=args.moe_dispatch_resolved)
    fail_hook("run")
    B = int(args.batch) if args.batch else 2 * plan.dp
    lo, hi = _replica_slice(vplan, rank, B)
    S, N = args.prompt_len, args.decode_tokens
    if N < 1 or S < 1:
        raise ValueError("--prompt-len and --decode-tokens must be >= 1")
    g = torch.Generator().manual_seed(args.seed + 1)
    prompts = torch.randint(0, m.vocab, (B, S), generator=g)[lo:hi]
    Bl = hi - lo
    n_mb = args.micro_batches or (plan.pp if plan.pp > 1 else 1)
    bs = vplan.block_size
    per_seq = (S + N + bs - 1) // bs
    cache = KVCache(model, Bl * per_seq + 3, bs, dtype, device,
                    shuffle_seed=(args.seed + 7) if args.kv_layout == "shuffled" else None)
    mbs = _make_mbs(cache, Bl, S + N, n_mb)
    firsts = [prompts[sum(x.B for x in mbs[:i]):sum(x.B for x in mbs[:i + 1])] for i in range(len(mbs))]
    pre = [None] * len(mbs)
    dec = [[] for _ in mbs]
    toks = [[] for _ in mbs]

    def record(t, mi, logits, tok):
        if t == 0:
            pre[mi] = logits.cpu()
        else:
            dec[mi].append(logits[:, 0].cpu())
        toks[mi].append(tok.cpu())

    t0 = time.perf_counter()
    Pipeline(vplan, rank, model, comm, cache).run(mbs, firsts, S, N, all_logits_first=True, record=record)
    _sync(device)
    t_run = time.perf_counter() - t0

    err, match = 0.0, True
    details = {}
    if model.last:
        shard_pre = torch.cat(pre)                                           # [Bl, S, V]
        shard_tok = torch.cat([torch.stack(t, 1) for t in toks])            # [Bl, N]
        shard_dec = torch.cat([torch.stack(d, 1) for d in dec]) if N > 1 else None
        ref_src = _source(args, dtype, torch.device("cpu"), exact=True)
        ref = ReferenceModel(m, ref_src)
        ref_tok = ref.greedy(prompts, N)
        # Teacher-force the reference on the shard's own tokens so the logits compare even if
        # a token differed.
        ref_logits = ref.forward(torch.cat([prompts, shard_tok[:, :-1]], 1))
        e_pre = _rel_err(shard_pre, ref_logits[:, :S])
        e_dec = _rel_err(shard_dec, ref_logits[:, S:]) if N > 1 else 0.0
        err = max(e_pre, e_dec)
        match = bool(torch.equal(ref_tok, shard_tok))
        details = {"prefill_rel_err": e_pre, "decode_rel_err": e_dec, "tokens": shard_tok.tolist(),
                   "ref_tokens": ref_tok.tolist()}
    # Every rank reports the verdict of the whole world (max error, all tokens matched).
    v = torch.tensor([err, 0.0 if match else 1.0], dtype=torch.float64, device=device)
    comm.world_reduce(v, dist.ReduceOp.MAX)
    err_all, mismatch = float(v[0]), bool(v[1] > 0)
    ok = err_all <= args.tol and not mismatch
    return {"mode": "verify", "ok": ok, "max_rel_err": err_all, "tol": args.tol, "tokens_match": not mismatch,
            "local": {"is_last_stage": model.last, "batch": [lo, hi], **details},
            "model": {"layers": m.layers, "hidden": m.hidden, "heads": m.heads, "kv_heads": m.kv_heads,
                      "head_dim": m.head_dim, "ffn": m.ffn, "vocab": m.vocab, "attention": m.attention,
                      "moe": None if m.moe is None else vars(m.moe)},
            "dtype": str(dtype).replace("torch.", ""), "weights": src.description,
            "prompt_len": S, "decode_tokens": N, "micro_batches": len(mbs), "kv_layout": args.kv_layout,
            "timings": {"run_s": t_run}, "peak_memory_bytes": _peak_memory(device)}


# --------------------------------------------------------------------------- bench

HBM_BW = {"H200": 4.8e12, "H100": 3.35e12}


def detect_bandwidth(device: torch.device) -> tuple[float | None, str]:
    if device.type != "cuda":
        return None, "cpu"
    name = torch.cuda.get_device_name(device)
    for key, bw in HBM_BW.items():
        if key in name:
            return bw, name
    return None, name


def run_bench(args, plan: Plan, rank: int, comm: Comm, device: torch.device, fail_hook) -> dict:
    bplan = scaled_plan(plan, layers_per_stage=args.verify_layers) if args.tiny else plan
    m = bplan.model
    if args.dtype:
        dtype, note = compute_dtype(args.dtype)
    else:
        dtype, note = compute_dtype(m.weight_dtype)
    kv_dtype = compute_dtype(m.kv_dtype)[0] if not args.dtype else dtype
    # Real shapes: per-shard random weights (values irrelevant for timing, and generating the
    # full tensors of a big model on every rank would be slow and memory-hungry).
    src = _source(args, dtype, device, exact=False)
    t0 = time.perf_counter()
    model = ShardModel(bplan, rank, src, comm, dtype, device, dispatch=args.moe_dispatch_resolved)
    _sync(device)
    t_load = time.perf_counter() - t0
    fail_hook("run")
    r = bplan.rank_info(rank)
    bs = bplan.block_size
    D = args.decode_tokens
    W = min(args.warmup, max(0, D - 1))
    n_mb = args.micro_batches or (plan.pp if plan.pp > 1 else 1)
    bw, dev_name = detect_bandwidth(device)
    if args.hbm_bw:
        bw = args.hbm_bw
    weight_bytes = model.weight_bytes()
    # Decode reads every weight once per step except the embedding table (only B rows).
    emb_bytes = model.embed.numel() * model.embed.element_size() if (model.embed is not None and not m.tied_embeddings) else 0
    weights_read = weight_bytes - emb_bytes
    bpt = sum(math.prod(s) * torch.empty((), dtype=kv_dtype).element_size()
              for shapes in model.cache_shapes(bs) for s in shapes) // bs
    max_batched = int(bplan.engine.get("max_num_batched_tokens", 8192))
    batches = [int(x) for x in str(args.batch or "64").split(",") if x]
    runs = []
    for B in batches:
        lo, hi = _replica_slice(bplan, rank, B)
        Bl = hi - lo
        ctx = args.context
        entry = {"batch": B, "local_batch": Bl, "context_requested": ctx}
        # Does the KV pool fit?  All ranks must agree on one context length, so the smallest
        # feasible one wins.
        if device.type == "cuda":
            torch.cuda.empty_cache()
            free = torch.cuda.mem_get_info(device)[0]
            heads_local = r.q_heads[1] - r.q_heads[0]
            esz = torch.empty((), dtype=dtype).element_size()
            # Head-room for activations: logits (fp32, a few copies), one 1024-query chunk of
            # prefill scores (fp32, a few copies), prefill MLP intermediates, plus slack.
            reserve = ((4 << 30) + 3 * Bl * m.vocab * 4 + 4 * heads_local * 1024 * ctx * 4
                       + 6 * max_batched * max(m.ffn, m.hidden) * esz)
            budget = free - reserve
        else:
            budget = float("inf")
        per_seq_tokens = lambda c: ((c + D + bs - 1) // bs) * bs
        fit = ctx
        if Bl * per_seq_tokens(ctx) * bpt > budget:
            fit = int(budget // (Bl * bpt)) - D
            fit = (fit // bs) * bs if args.fit_context else 0
        agreed = torch.tensor([fit], dtype=torch.long, device=device)
        comm.world_reduce(agreed, dist.ReduceOp.MIN)
        ctx = int(agreed.item())
        need = Bl * per_seq_tokens(args.context) * bpt
        if ctx < bs:
            entry.update({"skipped": True, "reason": f"KV cache for {Bl} x {args.context} tokens needs "
                                                     f"{need / 2**30:.1f} GiB, more than this device has free"})
            runs.append(entry)
            continue
        if ctx != args.context:
            entry["context_reduced_to"] = ctx
            entry["reason"] = f"KV cache for {Bl} x {args.context} tokens needs {need / 2**30:.1f} GiB; reduced to fit"
        entry["context"] = ctx
        # Pool size: --kv-blocks, else the plan's kv_blocks for this rank (not for --tiny,
        # whose shapes are not the plan's), else exactly what this run needs.
        blocks = args.kv_blocks or (0 if args.tiny else int(r.memory.get("kv_blocks", 0) or 0))
        need_blocks = Bl * ((ctx + D + bs - 1) // bs)
        if blocks and blocks < need_blocks:
            blocks = need_blocks          # the plan's pool is sized for other traffic: allocate what this run needs
            entry["kv_blocks_note"] = "plan kv_blocks smaller than needed; allocated the run's need"
        if blocks * bs * bpt > budget:
            blocks = need_blocks          # the plan's full pool does not fit next to this run's activations
            entry["kv_blocks_note"] = "plan kv_blocks do not fit in free memory; allocated the run's need"
        if device.type == "cuda":
            torch.cuda.reset_peak_memory_stats(device)
        cache = KVCache(model, max(blocks, need_blocks), bs, kv_dtype, device)
        # Synthetic KV content standing for a prompt of `ctx` tokens (values do not affect timing).
        for pools in cache.pools:
            for p in pools:
                p.normal_()
        entry["kv_blocks"] = cache.num_blocks
        entry["kv_bytes"] = cache.bytes()
        mbs = _make_mbs(cache, Bl, ctx + D, n_mb, start=ctx)
        pipe = Pipeline(bplan, rank, model, comm, cache)
        gen = torch.Generator().manual_seed(args.seed + 3)

        # Prefill: as many whole prompts of `ctx` tokens as fit in one step of
        # max_num_batched_tokens, recomputed over the first sequences' blocks.
        n_pre = max(1, min(Bl, max_batched // max(ctx, 1)))
        pre_times, pre_comm = [], []
        for it in range(args.prefill_steps + 1):
            pm = []
            for mb in mbs:
                if sum(x.B for x in pm) >= n_pre:
                    break
                take = min(mb.B, n_pre - sum(x.B for x in pm))
                pm.append(MicroBatch(mb.table[:take], 0, 0, [0] * take))
            toks = [torch.randint(0, m.vocab, (x.B, ctx), generator=gen) for x in pm]
            _sync(device)
            comm.take_time()
            comm.timing = True
            t0 = time.perf_counter()
            pipe.run(pm, toks, ctx, 1)
            _sync(device)
            dt = time.perf_counter() - t0
            c = comm.take_time()
            comm.timing = False
            if it > 0:                       # the first one warms up kernels and allocator
                pre_times.append(dt)
                pre_comm.append(c)
        # Decode: one token per sequence per step over the ctx-token cache.
        step_t, step_c, host_t = [], [], []
        last = [time.perf_counter()]

        def on_step_end(t):
            # Host time: until Python has issued the step's last kernel (before the sync).  When
            # it is close to the step time the step is bound by the CPU issuing kernels.
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
        meas = step_t[W:] or step_t
        cmeas = step_c[W:] or step_c
        hmeas = host_t[W:] or host_t
        med = statistics.median(meas)
        kv_read = Bl * ctx * bpt            # bpt already sums all of this rank's layers
        entry.update({
            "prefill": {"seqs_per_step": n_pre, "tokens_per_step": n_pre * ctx, "step_s": pre_times,
                        "median_s": statistics.median(pre_times) if pre_times else None,
                        "comm_s": pre_comm},
            "decode": {"steps": D, "warmup_steps": W, "step_s": step_t, "median_s": med,
                       "mean_s": statistics.fmean(meas), "min_s": min(meas),
                       "tokens_per_s": Bl / med, "comm_s_per_step": statistics.fmean(cmeas),
                       "host_s_per_step": statistics.median(hmeas), "attention": attention_impl(),
                       "paged_path": "contiguous-view" if all(mb.contig for mb in mbs) else "index_select"},
            "weight_bytes_read_per_step": weights_read, "kv_bytes_read_per_step": kv_read,
            "peak_memory_bytes": _peak_memory(device),
        })
        if bw:
            bound = (weights_read + kv_read) / bw
            entry["hbm_bound_s"] = bound
            entry["fraction_of_bound"] = bound / med
        runs.append(entry)
        del cache, mbs, pipe
        if device.type == "cuda":
            torch.cuda.empty_cache()
    ok = any(not e.get("skipped") for e in runs)
    return {"mode": "bench", "ok": ok, "device_name": dev_name, "hbm_bandwidth_Bps": bw,
            "dtype": str(dtype).replace("torch.", ""), "kv_dtype": str(kv_dtype).replace("torch.", ""),
            "torch": torch.__version__, "attention": attention_impl(), "attention_tuning": dict(DECODE_TUNING),
            "dtype_note": note, "weights": src.description, "weight_bytes": weight_bytes,
            "kv_bytes_per_token": bpt, "layers_local": len(model.layers), "tiny": bool(args.tiny),
            "model": {"layers": m.layers, "hidden": m.hidden, "heads": m.heads, "kv_heads": m.kv_heads,
                      "head_dim": m.head_dim, "ffn": m.ffn, "vocab": m.vocab},
            "timings": {"load_s": t_load}, "runs": runs, "peak_memory_bytes": _peak_memory(device)}
