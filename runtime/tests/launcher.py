"""Test helpers: run a plan's ranks as local subprocesses, like torchrun would (`launch`), or as
forks of the test process through the shim's own `--local` launcher (`local`, which imports
torch once for all ranks).

With `launch` each rank gets RANK/WORLD_SIZE/LOCAL_RANK/MASTER_ADDR/MASTER_PORT and its own
process group (session), so on failure or timeout the whole tree of every rank is killed and
nothing is left behind."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field

RUNTIME = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FIXTURES = os.path.join(RUNTIME, "tests", "fixtures")
PYTHON = "/usr/bin/python3" if os.path.exists("/usr/bin/python3") else sys.executable


def fixture(name: str) -> str:
    """A plan compiled from tests/plans/architectures.plan (kept in sync by ShimFixturesTest)."""
    return os.path.join(FIXTURES, name, "plan.json")


def fixtures() -> list[str]:
    return sorted(n for n in os.listdir(FIXTURES) if os.path.isfile(os.path.join(FIXTURES, n, "plan.json")))


@dataclass
class LocalResult:
    code: int
    metrics: list[dict]

    def describe(self) -> str:
        errs = [m.get("error") for m in self.metrics if m.get("error")]
        m0 = self.metrics[0] if self.metrics else {}
        return (f"exit {self.code}; max_rel_err {m0.get('max_rel_err')}; tokens {m0.get('tokens_equal')}/"
                f"{m0.get('tokens_total')}; errors {errs[:2]}")


def local(plan: str, mode: str, *args: str, world: int | None = None) -> LocalResult:
    """`python3 -m shardplan_shim --plan PLAN MODE --local ARGS` as forks of this process."""
    sys.path.insert(0, RUNTIME)
    from shardplan_shim.cli import build_parser
    from shardplan_shim.launch import run_local
    tmp = tempfile.mkdtemp(prefix="shardplan_local_test_")
    try:
        out = os.path.join(tmp, "m.rank{rank}.json")
        a = build_parser().parse_args(["--plan", plan, mode, "--local", "--quiet", "--out", out, *args])
        code = run_local(a, world=world)
        ms = []
        for r in range(len(os.listdir(tmp))):
            path = out.replace("{rank}", str(r))
            if os.path.exists(path):
                with open(path) as f:
                    ms.append(json.load(f))
        return LocalResult(code, ms)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class RankResult:
    rank: int
    returncode: int | None
    stdout: str
    stderr: str
    metrics: dict | None


@dataclass
class LaunchResult:
    ranks: list[RankResult]
    elapsed: float
    timed_out: bool
    leftover_groups: list[int] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.timed_out and all(r.returncode == 0 for r in self.ranks)

    def describe(self) -> str:
        parts = [f"elapsed {self.elapsed:.1f}s timed_out={self.timed_out}"]
        for r in self.ranks:
            parts.append(f"--- rank {r.rank} rc={r.returncode}\n{r.stderr[-3000:]}")
        return "\n".join(parts)


def _group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
        return True
    except ProcessLookupError:
        return False
    except PermissionError:
        return True


def launch(plan: str, mode: str, world: int, args: list[str] = (), env: dict | None = None,
           ranks: list[int] | None = None, timeout: float = 120.0) -> LaunchResult:
    """Start ranks (default all of 0..world-1) of `python -m shardplan_shim --plan plan mode args`,
    wait up to `timeout` seconds, kill every process group still alive, collect metrics."""
    ranks = list(range(world)) if ranks is None else ranks
    port = free_port()
    tmp = tempfile.mkdtemp(prefix="shardplan_test_")
    out = os.path.join(tmp, "metrics.rank{rank}.json")
    procs = []
    t0 = time.monotonic()
    for r in ranks:
        e = dict(os.environ)
        e.update({"RANK": str(r), "WORLD_SIZE": str(world), "LOCAL_RANK": str(r),
                  "MASTER_ADDR": "127.0.0.1", "MASTER_PORT": str(port),
                  "PYTHONPATH": RUNTIME + os.pathsep + e.get("PYTHONPATH", ""),
                  "OMP_NUM_THREADS": "1"})      # N ranks on 2 cores: avoid thread oversubscription
        e.pop("SHARDPLAN_SHIM_FAIL_RANK", None)
        if env:
            e.update(env)
        cmd = [PYTHON, "-m", "shardplan_shim", "--plan", plan, mode, "--out", out, *args]
        procs.append((r, subprocess.Popen(cmd, cwd=RUNTIME, env=e, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                          text=True, start_new_session=True)))
    timed_out = False
    outputs = {}
    try:
        for r, p in procs:
            left = max(0.1, timeout - (time.monotonic() - t0))
            try:
                outputs[r] = p.communicate(timeout=left)
            except subprocess.TimeoutExpired:
                timed_out = True
                break
    finally:
        if timed_out or any(p.poll() is None for _, p in procs):
            for _, p in procs:
                try:
                    os.killpg(p.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
            for r, p in procs:
                if r not in outputs:
                    outputs[r] = p.communicate()
    elapsed = time.monotonic() - t0
    # Orphans: anything still alive in a rank's process group after the rank itself exited.
    time.sleep(0.2)
    leftover = [p.pid for _, p in procs if _group_alive(p.pid)]
    for pg in leftover:
        try:
            os.killpg(pg, signal.SIGKILL)
        except ProcessLookupError:
            pass
    results = []
    for r, p in procs:
        so, se = outputs.get(r, ("", ""))
        path = out.replace("{rank}", str(r))
        m = None
        if os.path.exists(path):
            with open(path) as f:
                m = json.load(f)
        results.append(RankResult(r, p.returncode, so or "", se or "", m))
    shutil.rmtree(tmp, ignore_errors=True)
    return LaunchResult(results, elapsed, timed_out, leftover)
