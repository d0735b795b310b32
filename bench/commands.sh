#!/usr/bin/env bash
# Whole-command timings of docs/benchmarks.md: each command N times (default 5) after one warm-up,
# the median of CPU (user + sys) and wall seconds as /usr/bin/time (GNU time) reports them.
# Run from the project root: bench/commands.sh [N]. Uses ./shardplan (which builds the CLI and its
# start-up archive on first use); `SHARDPLAN=... bench/commands.sh` times another launcher.
set -euo pipefail
cd "$(dirname "$0")/.."
n="${1:-5}"
cli="${SHARDPLAN:-./shardplan}"
scratch="$(mktemp -d)"
trap 'rm -rf "$scratch"' EXIT
cp bench/src/main/resources/dev/shardplan/bench/inputs/search64.plan "$scratch/"
cat > "$scratch/scale2048.plan" <<'PLAN'
import "std:models"
import "std:nodes"
import "std:workloads"

cluster big2048 {
  nodes 2048 x HGX_H100
}

plan llama70b_2048 {
  model llama_3_1_70b
  cluster big2048
  workload natural_reasoning
  parallel { dp 2048; tp 8 }
  engine vllm { gpu_memory_utilization 0.9; max_num_seqs 256 }
  emit vllm, kubernetes
  deploy { hf_token_secret "hf-token" }
}
PLAN
"$cli" --version > /dev/null

median() { sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

time_it() {
  local name="$1"; shift
  local cpu=() wall=()
  "$@" > /dev/null 2>&1 || true
  for ((i = 0; i < n; i++)); do
    /usr/bin/time -f '%U %S %e' -o "$scratch/t" "$@" > /dev/null 2>&1 || true
    read -r u s e < "$scratch/t"
    cpu+=("$(awk -v u="$u" -v s="$s" 'BEGIN { printf "%.2f", u + s }')")
    wall+=("$e")
  done
  printf '| %s | %s s | %s s |\n' "$name" "$(printf '%s\n' "${cpu[@]}" | median)" "$(printf '%s\n' "${wall[@]}" | median)"
}

echo "| command | CPU median | wall median |"
echo "|---|---|---|"
time_it "--version" "$cli" --version
time_it "check plans/" "$cli" check plans/
time_it "simulate capacity_trap.plan --plan r1_8b_one_h200" "$cli" simulate plans/study/capacity_trap.plan --plan r1_8b_one_h200
time_it "search plans/study/crossover.plan" "$cli" search plans/study/crossover.plan
time_it "search search64.plan (256 candidates)" "$cli" search --root "$scratch" "$scratch/search64.plan"
time_it "check scale2048.plan (16,384 GPUs)" "$cli" check --root "$scratch" "$scratch/scale2048.plan"
time_it "compile scale2048.plan (16,384 GPUs)" "$cli" compile -q --root "$scratch" "$scratch/scale2048.plan" -o "$scratch/out"
