"""Command line: python3 -m shardplan_shim --plan plan.json {verify|bench} [options].

Rank and world come from the environment as torchrun/srun set them (RANK, WORLD_SIZE,
LOCAL_RANK, MASTER_ADDR, MASTER_PORT; SLURM_PROCID/SLURM_NTASKS/SLURM_LOCALID as fallback), or
`--local` starts the plan's whole world here, one forked process per rank. Exit status: 0 ok,
1 verify mismatch / nothing benchmarked, 2 error.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import traceback

EXIT_OK, EXIT_MISMATCH, EXIT_ERROR = 0, 1, 2


def _env_int(*names: str, default: int | None = None) -> int | None:
    for n in names:
        if os.environ.get(n, "") != "":
            return int(os.environ[n])
    return default


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python3 -m shardplan_shim", description=__doc__.split("\n\n")[0])
    p.add_argument("--plan", required=True, help="compiled plan.json")
    p.add_argument("mode", choices=["verify", "bench"])
    p.add_argument("--local", action="store_true", help="start every rank of the plan here (forked processes, gloo on CPU)")
    p.add_argument("--backend", choices=["auto", "nccl", "gloo"], default="auto",
                   help="collective backend (auto: nccl when CUDA is usable, else gloo)")
    p.add_argument("--device", choices=["auto", "cuda", "cpu"], default="auto")
    p.add_argument("--out", default=None, help="metrics JSON per rank; '{rank}' is replaced by the rank "
                                               "(without it '.rank<N>' is inserted before the extension)")
    p.add_argument("--timeout", type=float, default=300.0, help="seconds for rendezvous and each collective")
    p.add_argument("--batch", default=None, help="global batch (split over DP); bench: comma list, e.g. 64,256")
    p.add_argument("--decode-tokens", type=int, default=32, help="greedy tokens generated (bench: decode steps)")
    p.add_argument("--prompt-len", type=int, default=8, help="verify: prompt tokens per sequence")
    p.add_argument("--context", type=int, default=4096, help="bench: tokens in each sequence's KV cache")
    p.add_argument("--micro-batches", type=int, default=0, help="micro-batches in flight (default: pp)")
    p.add_argument("--seed", type=int, default=1234)
    p.add_argument("--weights", default=None, help="Hugging Face safetensors checkpoint (file or directory)")
    p.add_argument("--dtype", choices=["fp64", "fp32", "bf16", "fp16"], default=None,
                   help="compute dtype (verify default fp64, bench default: the model's dtype)")
    p.add_argument("--tol", type=float, default=None, help="verify: max relative error (default by dtype: fp64 1e-9)")
    p.add_argument("--kv-layout", choices=["shuffled", "contiguous"], default="shuffled",
                   help="verify: scatter each sequence's KV blocks over the pool, or keep them contiguous")
    p.add_argument("--moe-dispatch", choices=["auto", "allgather", "alltoall"], default="auto",
                   help="EP dispatch/combine across DP replicas (auto: alltoall on nccl, allgather on gloo)")
    p.add_argument("--attention", default=os.environ.get("SHARDPLAN_SHIM_ATTN", "auto"),
                   help="decode attention: auto (CUDA: time and keep the fastest), sdpa, sdpa-flash, sdpa-efficient, "
                        "sdpa-cudnn, matmul")
    p.add_argument("--verify-layers", type=int, default=2, help="verify: layers kept per PP stage")
    p.add_argument("--no-scale", action="store_true", help="verify at the plan's real sizes")
    p.add_argument("--tiny", action="store_true", help="bench the scaled-down model (CPU smoke test)")
    p.add_argument("--fit-context", action="store_true",
                   help="bench: when the KV cache of a batch does not fit, shrink the context instead of skipping")
    p.add_argument("--prefill-steps", type=int, default=2, help="bench: timed prefill steps (after 1 warm-up)")
    p.add_argument("--warmup", type=int, default=2, help="bench: decode steps excluded from the summary")
    p.add_argument("--kv-blocks", type=int, default=0, help="bench: KV pool size in blocks (default: plan)")
    p.add_argument("--hbm-bw", type=float, default=0.0, help="bench: HBM bandwidth in B/s (default: detect)")
    p.add_argument("--mutate", action="append", default=[], metavar="FEATURE",
                   help="test hook: build the partitioned model without FEATURE (verify must then fail)")
    p.add_argument("--quiet", action="store_true", help="verify: no report, only errors")
    return p


def metrics_path(out: str, rank: int) -> str:
    if "{rank}" in out:
        return out.replace("{rank}", str(rank))
    root, ext = os.path.splitext(out)
    return f"{root}.rank{rank}{ext or '.json'}"


def _one_line(e: BaseException) -> str:
    return (" ".join(str(e).split()) or type(e).__name__)[:600]


def run_rank(args, rank: int, world: int, local_rank: int, init_method: str = "env://") -> int:
    """One rank, start to finish; returns its exit status (metrics written to --out)."""
    metrics = {"rank": rank, "world_size": world, "mode": args.mode, "ok": False}
    stage, code = "start", EXIT_ERROR
    try:
        import torch
        import torch.distributed as dist

        from .dist import Comm, init_distributed
        from .plan import load_plan

        stage = "plan"
        plan = load_plan(args.plan)
        if args.mode == "verify" and world != plan.world_size:
            raise ValueError(f"verify runs the plan's whole world: WORLD_SIZE is {world}, plan has {plan.world_size}")
        if args.mode == "bench" and world not in (plan.world_size, plan.tp * plan.pp):
            raise ValueError(f"bench needs WORLD_SIZE {plan.world_size} (the plan) or {plan.tp * plan.pp} (one DP replica), got {world}")
        if world != plan.world_size:
            plan = _one_replica(plan)
        if not 0 <= rank < world:
            raise ValueError(f"RANK {rank} outside WORLD_SIZE {world}")
        cuda_ok = torch.cuda.is_available() and torch.cuda.device_count() > 0
        backend = args.backend if args.backend != "auto" else ("nccl" if cuda_ok and args.device != "cpu" else "gloo")
        dev_type = args.device if args.device != "auto" else ("cuda" if backend == "nccl" else "cpu")
        if dev_type == "cuda":
            if not cuda_ok:
                raise RuntimeError("--device cuda requested but CUDA is not available")
            device = torch.device("cuda", local_rank % torch.cuda.device_count())
            torch.cuda.set_device(device)
        else:
            device = torch.device("cpu")
        args.moe_dispatch_resolved = args.moe_dispatch if args.moe_dispatch != "auto" else ("alltoall" if backend == "nccl" else "allgather")
        metrics.update({"backend": backend, "device": str(device)})
        fail_rank, fail_at = os.environ.get("SHARDPLAN_SHIM_FAIL_RANK"), os.environ.get("SHARDPLAN_SHIM_FAIL_AT", "run")

        def fail_hook(where: str):
            # Test hook: make one rank crash at a chosen point to check that the others exit.
            if fail_rank is not None and int(fail_rank) == rank and fail_at == where:
                raise RuntimeError(f"injected failure at '{where}' (SHARDPLAN_SHIM_FAIL_RANK={fail_rank})")

        stage = "rendezvous"
        fail_hook("init")
        init_distributed(rank, world, backend, args.timeout, init_method)
        stage = "groups"
        comm = Comm(plan, rank, backend, device, args.timeout, "tp_allreduce" in args.mutate)
        stage = args.mode
        if args.mode == "verify":
            from .verify import report, run_verify
            res = run_verify(args, plan, rank, comm, device, fail_hook)
        else:
            from .bench import run_bench
            res = run_bench(args, plan, rank, comm, device, fail_hook)
        metrics.update(res)
        metrics["ok"] = bool(res.get("ok"))
        stage = "shutdown"
        dist.barrier()        # no rank tears down its sockets while a peer still reads from them
        dist.destroy_process_group()
        code = EXIT_OK if metrics["ok"] else EXIT_MISMATCH
        if args.mode == "verify" and rank == 0 and not args.quiet:
            print(report(plan, metrics))
        if args.mode == "verify" and not metrics["ok"] and (rank == 0 or not args.local):
            print(f"shardplan_shim: rank {rank}: verify FAILED: max_rel_err={metrics['max_rel_err']:.3e} (tol {metrics['tol']:g}), "
                  f"tokens {metrics['tokens_equal']}/{metrics['tokens_total']} equal", file=sys.stderr)
    except BaseException as e:  # noqa: BLE001 - every failure must become one clear line + exit code
        if isinstance(e, SystemExit):
            raise
        hint = ""
        if stage in ("rendezvous", "groups") or "timed out" in str(e).lower() or "timeout" in str(e).lower():
            hint = " (a peer rank did not arrive or answer in time)"
        elif stage in ("verify", "bench") and type(e).__name__ in ("RuntimeError", "DistBackendError") and \
                any(w in str(e).lower() for w in ("connection", "peer", "gloo", "nccl", "closed")):
            hint = " (a peer rank probably crashed)"
        metrics["error"] = f"{type(e).__name__} during {stage}: {_one_line(e)}"
        print(f"shardplan_shim: rank {rank}: error during {stage}{hint}: {type(e).__name__}: {_one_line(e)}", file=sys.stderr)
        if os.environ.get("SHARDPLAN_SHIM_TRACEBACK"):
            traceback.print_exc()
        code = EXIT_ERROR
    if args.out:
        path = metrics_path(args.out, rank)
        try:
            if os.path.dirname(path):
                os.makedirs(os.path.dirname(path), exist_ok=True)
            with open(path, "w", encoding="utf-8") as f:
                json.dump(metrics, f, indent=1, sort_keys=True, default=str)
        except OSError as e:
            print(f"shardplan_shim: rank {rank}: cannot write metrics to {path}: {e}", file=sys.stderr)
            code = EXIT_ERROR
    if args.mode == "bench" and rank == 0:
        print(json.dumps(metrics, sort_keys=True, default=str))
    sys.stdout.flush()
    sys.stderr.flush()
    return code


def main(argv=None) -> int:
    args = build_parser().parse_args(argv)
    if args.local:
        from .launch import run_local
        code = run_local(args)
    else:
        os.environ.setdefault("MASTER_ADDR", "127.0.0.1")
        os.environ.setdefault("MASTER_PORT", "29500")
        code = run_rank(args, _env_int("RANK", "SLURM_PROCID", default=0), _env_int("WORLD_SIZE", "SLURM_NTASKS", default=1),
                        _env_int("LOCAL_RANK", "SLURM_LOCALID", default=0))
    # os._exit: after a failure, process-group destructors can block on dead peers; skip them.
    os._exit(code)


def _one_replica(plan):
    """The plan restricted to DP replica 0 (bench on tp*pp ranks)."""
    import copy

    from .plan import parse_plan
    raw = copy.deepcopy(plan.raw)
    n = plan.tp * plan.pp
    raw["parallel"] = dict(raw["parallel"], dp=1, world_size=n)
    raw["ranks"] = [r for r in raw["ranks"] if r.get("dp", 0) == 0]
    keep = set(range(n))
    raw["groups"] = {k: [g for g in v if set(g) <= keep] or [[r] for r in range(n)] for k, v in raw["groups"].items()}
    return parse_plan(raw)
