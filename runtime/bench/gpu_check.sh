#!/usr/bin/env bash
# GPU check of the shardplan runtime shim on ONE H100/H200 (about 1-2 minutes, hard cap ~5.5).
#
#   runtime/bench/gpu_check.sh              # on the GPU machine, from anywhere
#   runtime/bench/gpu_check.sh --cpu-smoke  # same steps on CPU with tiny shapes (used by the tests)
#
# Steps (each under its own `timeout`, so the whole script stays under 5.5 minutes):
#   1. environment: python/torch/CUDA versions, GPU name
#   2. verify: the Llama-3.1-8B plan (tests/fixtures/llama8b_tp1) scaled down, float64 on the GPU with NCCL (world size 1),
#      prefill + 32 greedy tokens compared with the unpartitioned reference
#   3. bench: real shapes (bf16, 32 layers, hidden 4096, vocab 128256), batch 64 and 256 at 4k
#      context; decode step = one token per sequence over a 4096-token paged KV cache.
#      Batch 256 x 4k needs 128 GiB of KV cache, more than fits next to the weights on an
#      H100 or H200: the context is then shrunk to what fits (reported as context_reduced_to).
#   4. attention micro-benchmark (bench/attn_micro.py): one layer's decode attention at the
#      bench shapes (new SDPA path, mask / scattered / matmul variants, each SDPA backend,
#      the previous per-block implementation), bf16 error vs fp32, weight-GEMM and LM-head
#      bandwidth, fused vs chunked prefill attention
#   5. summary with the HBM-bandwidth bound (weight bytes + KV bytes read per step) / peak BW
#      -> $OUT/gpu_results.json (if $OUT is set) and stdout.
# Progress lines "== [+Ns] ..." go to stderr.
# Needs no network.  Exit status: 0 when verify passed and bench measured something.
set -u
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
RUNTIME="$(dirname "$HERE")"
MODE="gpu"
[ "${1:-}" = "--cpu-smoke" ] && MODE="cpu"
WORK="${OUT:-$(mktemp -d /tmp/shardplan_gpu_check.XXXXXX)}"
mkdir -p "$WORK"
START=$(date +%s)
say() { echo "== [+$(( $(date +%s) - START ))s] $*" >&2; }

# A python that has torch (the machine's own, else Debian's).
PY=""
for cand in "${PYTHON:-}" python3 /usr/bin/python3 python; do
    [ -n "$cand" ] || continue
    if "$cand" -c 'import torch' >/dev/null 2>&1; then PY="$cand"; break; fi
done
if [ -z "$PY" ]; then
    echo '{"ok": false, "error": "no python with torch found"}' | tee "$WORK/gpu_results.json"
    exit 2
fi
export PYTHONPATH="$RUNTIME${PYTHONPATH:+:$PYTHONPATH}"
export RANK=0 WORLD_SIZE=1 LOCAL_RANK=0 MASTER_ADDR=127.0.0.1
export MASTER_PORT="$("$PY" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"

"$PY" - <<'EOF' > "$WORK/env.json" 2>&1
import json, platform, torch
d = {"python": platform.python_version(), "torch": torch.__version__, "cuda_available": torch.cuda.is_available(),
     "cuda": torch.version.cuda}
if torch.cuda.is_available():
    p = torch.cuda.get_device_properties(0)
    d.update(gpu=p.name, gpu_memory_bytes=p.total_memory, nccl=".".join(map(str, torch.cuda.nccl.version())))
print(json.dumps(d))
EOF
cat "$WORK/env.json"
say "environment done"

PLAN="$RUNTIME/tests/fixtures/llama8b_tp1/plan.json"
if [ "$MODE" = "gpu" ]; then
    VERIFY_ARGS=(--backend nccl --device cuda)
    BENCH_ARGS=(--backend nccl --device cuda --batch 64,256 --context 4096 --decode-tokens 32 --fit-context)
    T_VERIFY=60; T_BENCH=180; T_MICRO=75; MICRO_ARGS=()
else
    VERIFY_ARGS=(--backend gloo --device cpu --decode-tokens 8)
    BENCH_ARGS=(--backend gloo --device cpu --tiny --batch 4,8 --context 64 --decode-tokens 8 --fit-context)
    T_VERIFY=60; T_BENCH=60; T_MICRO=60; MICRO_ARGS=(--cpu-smoke)
fi

say "verify (scaled-down llama8b plan, float64), timeout ${T_VERIFY}s"
timeout -k 5 "$T_VERIFY" "$PY" -m shardplan_shim --plan "$PLAN" verify "${VERIFY_ARGS[@]}" \
    --timeout 60 --out "$WORK/verify.json" > "$WORK/verify.log" 2>&1
RC_VERIFY=$?
tail -n 5 "$WORK/verify.log" >&2
say "verify exit $RC_VERIFY"

say "bench (real shapes), timeout ${T_BENCH}s"
timeout -k 5 "$T_BENCH" "$PY" -m shardplan_shim --plan "$PLAN" bench "${BENCH_ARGS[@]}" \
    --timeout 120 --out "$WORK/bench.json" > "$WORK/bench.log" 2>&1
RC_BENCH=$?
tail -n 3 "$WORK/bench.log" | cut -c1-400 >&2
say "bench exit $RC_BENCH"

say "attention micro-benchmark, timeout ${T_MICRO}s"
timeout -k 5 "$T_MICRO" "$PY" "$HERE/attn_micro.py" "$WORK/attn_micro.json" ${MICRO_ARGS[@]+"${MICRO_ARGS[@]}"} \
    > "$WORK/attn_micro.log" 2>&1
RC_MICRO=$?
grep -v '^ *\[attn_micro' "$WORK/attn_micro.log" | tail -n 5 >&2
say "micro-benchmark exit $RC_MICRO"

"$PY" - "$WORK" "$RC_VERIFY" "$RC_BENCH" "$START" "$MODE" "$RC_MICRO" <<'EOF'
import json, os, sys, time
work, rc_v, rc_b, start, mode = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), sys.argv[5]
rc_m = int(sys.argv[6])

def load(name):
    try:
        with open(os.path.join(work, name)) as f:
            return json.load(f)
    except (OSError, ValueError):
        return None

env, ver, ben = load("env.json"), load("verify.rank0.json"), load("bench.rank0.json")
res = {"mode": mode, "env": env, "verify": None, "bench": None, "attn_micro": load("attn_micro.json"),
       "rc": {"verify": rc_v, "bench": rc_b, "attn_micro": rc_m}}
if ver:
    res["verify"] = {k: ver.get(k) for k in ("ok", "max_rel_err", "stage_rel_err", "tokens_match", "tokens_equal",
                                             "tokens_total", "backend", "device", "error", "timings")}
if ben:
    runs = []
    for r in ben.get("runs", []):
        d = {k: r.get(k) for k in ("batch", "context", "context_requested", "context_reduced_to", "skipped",
                                   "reason", "kv_bytes", "weight_bytes_read_per_step", "kv_bytes_read_per_step",
                                   "hbm_bound_s", "fraction_of_bound", "peak_memory_bytes", "activation_peak_bytes") if k in r}
        if "decode" in r:
            d["decode_step_median_s"] = r["decode"]["median_s"]
            d["decode_step_min_s"] = r["decode"]["min_s"]
            d["decode_tokens_per_s"] = r["decode"]["tokens_per_s"]
            d["decode_paged_path"] = r["decode"]["paged_path"]
            d["decode_comm_s_per_step"] = r["decode"]["comm_s_per_step"]
            d["decode_host_s_per_step"] = r["decode"].get("host_s_per_step")
        if "prefill" in r:
            d["prefill_step_median_s"] = r["prefill"]["median_s"]
            d["prefill_tokens_per_step"] = r["prefill"]["tokens_per_step"]
        runs.append(d)
    res["bench"] = {k: ben.get(k) for k in ("ok", "device_name", "hbm_bandwidth_Bps", "dtype", "weight_bytes",
                                            "kv_bytes_per_token", "error", "timings", "backend", "torch",
                                            "attention", "attention_tuning")}
    res["bench"]["runs"] = runs
    res["bound_formula"] = "(weight bytes read + KV bytes read per decode step) / HBM bandwidth"
for name in ("verify.log", "bench.log", "attn_micro.log"):
    try:
        with open(os.path.join(work, name)) as f:
            lines = [l for l in f.read().splitlines() if "error" in l.lower()]
        if lines:
            res.setdefault("log_errors", {})[name] = lines[-3:]
    except OSError:
        pass
res["ok"] = bool(ver and ver.get("ok") and ben and ben.get("ok"))
res["elapsed_s"] = time.time() - start
with open(os.path.join(work, "gpu_results.json"), "w") as f:
    json.dump(res, f, indent=1, sort_keys=True)
print(json.dumps(res, indent=1, sort_keys=True))
sys.exit(0 if res["ok"] else 1)
EOF
