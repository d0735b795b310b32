"""Runs `verify` on every compiled plan under the given folders, with the shim taken from an
archive (what `emit shim` ships), in this one process: torch is imported once and every plan's
ranks are forks of it (`--local`). Plans whose partitioning is the same (they differ only in
workload or engine settings) are verified once.

    python3 tests/verify_plans.py ARCHIVE OUT_DIR... [--json SUMMARY]

Prints one line per plan; exits 1 if any plan fails. Used by CompiledPlansVerifyTest.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import sys
import time

VERIFY = ["--decode-tokens", "3", "--prompt-len", "6", "--timeout", "120", "--quiet"]


def structure(raw: dict) -> str:
    """What decides what verify computes: the model, the degrees, every rank's ranges and the groups."""
    from shardplan_shim.plan import engine_block_size   # the archive's, imported by main first
    ranks = [{k: v for k, v in r.items() if k not in ("memory", "host", "node", "local_gpu")} for r in raw["ranks"]]
    key = {"model": raw["model"], "parallel": raw["parallel"], "ranks": ranks, "groups": raw["groups"],
           "block_size": engine_block_size(raw["engine"])}
    return hashlib.sha256(json.dumps(key, sort_keys=True).encode()).hexdigest()


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("archive")
    ap.add_argument("dirs", nargs="+")
    ap.add_argument("--json", default=None)
    a = ap.parse_args()
    sys.path.insert(0, os.path.abspath(a.archive))          # the shim as shipped, not runtime/'s sources
    import shardplan_shim
    from shardplan_shim.cli import build_parser
    from shardplan_shim.launch import run_local
    if not shardplan_shim.__file__.startswith(os.path.abspath(a.archive)):
        print(f"the shim was imported from {shardplan_shim.__file__}, not the archive", file=sys.stderr)
        return 2
    plans = []
    for d in a.dirs:
        for name in sorted(os.listdir(d)):
            path = os.path.join(d, name, "plan.json")
            if os.path.isfile(path):
                plans.append(path)
    seen: dict[str, str] = {}
    results, failed = [], 0
    t_all = time.perf_counter()
    for path in plans:
        with open(path) as f:
            raw = json.load(f)
        label = f"{os.path.basename(os.path.dirname(os.path.dirname(path)))}/{raw['plan']}"
        key = structure(raw)
        if key in seen:
            results.append({"plan": label, "same_as": seen[key], "ok": True})
            print(f"same  {label}: partitioned like {seen[key]}", flush=True)
            continue
        seen[key] = label
        out = os.path.join(os.path.dirname(path), "metrics", "verify.rank{rank}.json")
        args = build_parser().parse_args(["--plan", path, "verify", "--local", "--out", out, *VERIFY])
        t0 = time.perf_counter()
        code = run_local(args)
        dt = time.perf_counter() - t0
        m0 = {}
        try:
            with open(out.replace("{rank}", "0")) as f:
                m0 = json.load(f)
        except OSError:
            pass
        ok = code == 0
        failed += 0 if ok else 1
        results.append({"plan": label, "ok": ok, "exit": code, "world": raw["parallel"]["world_size"], "seconds": round(dt, 2),
                        "max_rel_err": m0.get("max_rel_err"), "tokens": f"{m0.get('tokens_equal')}/{m0.get('tokens_total')}",
                        "error": m0.get("error")})
        print(f"{'ok   ' if ok else 'FAIL '} {label}: world {raw['parallel']['world_size']}, {dt:.1f} s, "
              f"max rel err {m0.get('max_rel_err')}, tokens {m0.get('tokens_equal')}/{m0.get('tokens_total')}"
              + (f", {m0['error']}" if m0.get("error") else ""), flush=True)
    summary = {"plans": len(plans), "verified": len(seen), "failed": failed, "seconds": round(time.perf_counter() - t_all, 1),
               "results": results}
    print(f"{len(plans)} plans, {len(seen)} distinct partitionings verified, {failed} failed, {summary['seconds']} s")
    if a.json:
        with open(a.json, "w") as f:
            json.dump(summary, f, indent=1)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
