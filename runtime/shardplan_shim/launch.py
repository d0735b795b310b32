"""`--local`: the plan's whole world in this machine's processes, one forked child per rank.

torch is imported once, here, and every rank is a fork of this process, so a 16-rank plan costs
one import, not sixteen. The ranks meet through a file store in a fresh temporary folder (no
port to collide on). When one rank fails, the others are given a moment to report the same
failure and are then stopped; after the time limit every rank still alive is stopped.
"""

from __future__ import annotations

import multiprocessing as mp
import os
import shutil
import signal
import sys
import tempfile
import time


def _child(args, rank: int, world: int, store: str) -> None:
    import torch
    torch.set_num_threads(1)            # world ranks share the machine's cores
    from .cli import run_rank
    try:
        code = run_rank(args, rank, world, rank, init_method="file://" + store)
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
    os._exit(code)


def run_local(args, world: int | None = None, limit_s: float | None = None) -> int:
    """Runs every rank; returns 0 when all succeed, else the first failing rank's status."""
    import torch  # noqa: F401 - imported before forking, so no rank imports it again
    from .plan import load_plan
    if world is None:
        try:
            world = load_plan(args.plan).world_size
        except ValueError as e:
            print(f"shardplan_shim: error during plan: {e}", file=sys.stderr)
            return 2
    limit_s = limit_s or args.timeout * 2
    tmp = tempfile.mkdtemp(prefix="shardplan_local_")
    ctx = mp.get_context("fork")
    procs = [ctx.Process(target=_child, args=(args, r, world, os.path.join(tmp, "store")), daemon=False) for r in range(world)]
    for p in procs:
        p.start()
    deadline = time.monotonic() + limit_s
    code, failed_at = 0, None
    try:
        while any(p.is_alive() for p in procs):
            for p in procs:
                if p.exitcode not in (None, 0) and code == 0:
                    code, failed_at = p.exitcode, time.monotonic()
            if failed_at is not None and time.monotonic() - failed_at > 5:
                break            # peers had time to notice and report; stop the rest
            if time.monotonic() > deadline:
                print(f"shardplan_shim: --local: stopped after {limit_s:.0f} s: a rank is stuck", file=sys.stderr)
                code = code or 124
                break
            time.sleep(0.02)
        for p in procs:
            p.join(timeout=0)
            if code == 0 and p.exitcode not in (None, 0):
                code = p.exitcode
    finally:
        for p in procs:
            if p.is_alive():
                os.kill(p.pid, signal.SIGKILL)
                p.join()
        shutil.rmtree(tmp, ignore_errors=True)
    return code if code >= 0 else 2       # killed by a signal
