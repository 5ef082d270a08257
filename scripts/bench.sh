#!/usr/bin/env bash
# `make bench`: every figure of docs/benchmarks.md from one run on this machine.
#
#   0. the price of the portable numeric mode: TARNet per training step under
#      --numerics portable against native, batch 100 and 32, interleaved
#   1. TARNet on IHDP, cfrnet's schedule (3000 iterations, batch 100): causeway
#      against benches/tarnet_reference.py (plain PyTorch, same wheel), interleaved
#   2. the same at batch 32, where per-step overhead dominates
#   3. a 100-run sweep (benches/experiments/sweep.yaml), cold, --jobs 1 then 2
#   4. `make experiments` with every run cached
#   5. simulating 10^6 rows of a 10-node SCM (benches/simulate.rs)
#   6. identification on 100-node graphs (benches/identify.rs)
#   7. packed training: K IHDP TARNets one at a time (`--pack 1`'s path) against
#      one pack of K (`--pack K`'s path), per network (K = 1, 4, 16, 64;
#      BENCH_PACK_ITERATIONS steps each, default 200); then a step's cost split
#      into the part a pack shares and the part each member pays, and the
#      ratio's ceiling that follows (docs/benchmarks.md, "What a pack can share")
#   8. the same for DragonNet (K = 1, 4, 16; BENCH_DRAGON_EPOCHS epochs of its
#      Adam stage each, default 20)
#
# Figures are ratios between measurements of this one run, taken in alternation so
# that load from other processes hits both sides alike. Knobs: BENCH_ROUNDS
# (default 3 rounds of each A/B pair), BENCH_ITERATIONS (default 3000).
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
rounds="${BENCH_ROUNDS:-3}"
iterations="${BENCH_ITERATIONS:-3000}"
export LIBTORCH="${LIBTORCH:-$root/.deps/libtorch}"
target="${CARGO_TARGET_DIR:-$root/target}"
bin="$target/release/causeway"
python="$root/.deps/bench-venv/bin/python"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

log() { printf '\n== %s\n' "$*"; }
# Peak resident set of the last `timed` command (MiB), its wall seconds and the
# share of one CPU it got (percent; 200 means both cores of a 2-core machine).
timed() {
  /usr/bin/time -v -o "$work/time.txt" "$@"
  peak_mib=$(awk -F': ' '/Maximum resident/ {printf "%.0f", $2 / 1024}' "$work/time.txt")
  wall_s=$(awk -F': ' '/Elapsed \(wall clock\)/ {n = split($2, p, ":"); s = 0; for (i = 1; i <= n; i++) s = s * 60 + p[i]; printf "%.3f", s}' "$work/time.txt")
  cpu_pct=$(awk -F': ' '/Percent of CPU/ {sub("%", "", $2); print $2}' "$work/time.txt")
}
field() { sed -n "s/.*$1=\([^ ]*\).*/\1/p"; }
median() { sort -g | awk '{v[NR] = $1} END {print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2}'; }

log "setup"
bash scripts/setup-libtorch.sh
bash scripts/bench-setup.sh
cargo build --release --locked --quiet
cargo bench --locked --no-run --quiet --bench tarnet --bench simulate --bench identify 2>/dev/null
# Path of the compiled bench binary $1 (the JSON also lists the causeway binary).
bench_bin() {
  cargo bench --locked --no-run --message-format=json --bench "$1" 2>/dev/null | python3 -c '
import json, sys
for line in sys.stdin:
    m = json.loads(line)
    if m.get("reason") == "compiler-artifact" and m["target"]["name"] == sys.argv[1] and "bench" in m["target"]["kind"]:
        print(m["executable"])' "$1"
}
tarnet="$(bench_bin tarnet)"
# PyTorch gets causeway's numeric pins from causeway itself (their one place).
eval "$("$bin" doctor --env)"
"$tarnet" export "$work" >/dev/null
# For the wheel's libraries: the CUDA stand-ins of bench-setup.sh, and libcudart and
# libcupti from the libtorch setup (causeway's binaries find theirs by rpath).
export LD_LIBRARY_PATH="$root/.deps/bench-venv/cuda-stubs:$LIBTORCH/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
machine="$(lscpu | sed -n 's/^Model name: *//p' | head -1), $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2 / 1048576}' /proc/meminfo), load average $(cut -d' ' -f1-3 /proc/loadavg) at start"
echo "machine: $machine"

# One A/B comparison of TARNet at batch $1: causeway and PyTorch alternate, the
# side that goes first alternating too (ABBA...), $rounds fits each. Each fit
# reports iterations per second of wall time and of its thread's CPU time; the
# ratio is taken within each round, then the median over rounds.
compare() {
  local batch="$1" label="$2" side r
  log "$label: TARNet on IHDP, batch $batch, $iterations iterations, $rounds rounds (causeway vs PyTorch, interleaved)"
  rm -f "$work"/cmp-*
  for r in $(seq 1 "$rounds"); do
    local order="causeway pytorch"
    (( r % 2 == 0 )) && order="pytorch causeway"
    for side in $order; do
      if [[ $side == causeway ]]; then
        timed "$tarnet" time "$batch" "$iterations" >"$work/out.txt"
      else
        timed "$python" benches/tarnet_reference.py "$work/ihdp.csv" "$batch" "$iterations" >"$work/out.txt"
      fi
      printf '  round %d %-9s %7.1f it/s wall %7.1f it/s CPU  ATE %6s  peak %4d MiB\n' "$r" "$side" \
        "$(field it_per_s <"$work/out.txt")" "$(field it_per_cpu_s <"$work/out.txt")" "$(field ate <"$work/out.txt")" "$peak_mib"
      field it_per_s <"$work/out.txt" >>"$work/cmp-$side-wall.txt"
      field it_per_cpu_s <"$work/out.txt" >>"$work/cmp-$side-cpu.txt"
      echo "$peak_mib" >>"$work/cmp-$side-mem.txt"
    done
    for clock in wall cpu; do
      paste "$work/cmp-causeway-$clock.txt" "$work/cmp-pytorch-$clock.txt" | tail -1 | awk '{print $1 / $2}' >>"$work/cmp-ratio-$clock.txt"
    done
  done
  local c p rw rc
  c=$(median <"$work/cmp-causeway-wall.txt"); p=$(median <"$work/cmp-pytorch-wall.txt")
  rw=$(median <"$work/cmp-ratio-wall.txt"); rc=$(median <"$work/cmp-ratio-cpu.txt")
  printf '  median: causeway %.1f it/s, PyTorch %.1f it/s; causeway/PyTorch %.2fx (wall), %.2fx (CPU time)\n' "$c" "$p" "$rw" "$rc"
  printf '| TARNet on IHDP, batch %s, %s iterations | %.0f it/s | PyTorch %.0f it/s | **%.2fx** (CPU time %.2fx) | %s / %s MiB |\n' \
    "$batch" "$iterations" "$c" "$p" "$rw" "$rc" "$(median <"$work/cmp-causeway-mem.txt")" "$(median <"$work/cmp-pytorch-mem.txt")" >>"$work/table.txt"
}

# Portable against native numerics, per training step of the same TARNet fit:
# rounds alternate which mode goes first; the ratio is taken within each round.
modes() {
  local batch="$1" r mode
  log "0: TARNet on IHDP, batch $batch, $iterations iterations, $rounds rounds (--numerics portable vs native, interleaved)"
  rm -f "$work"/mode-*
  for r in $(seq 1 "$rounds"); do
    local order="portable native"
    (( r % 2 == 0 )) && order="native portable"
    for mode in $order; do
      "$tarnet" time "$batch" "$iterations" "$mode" >"$work/out.txt"
      printf '  round %d %-9s %7.1f it/s wall %7.1f it/s CPU  ATE %s\n' "$r" "$mode" \
        "$(field it_per_s <"$work/out.txt")" "$(field it_per_cpu_s <"$work/out.txt")" "$(field ate <"$work/out.txt")"
      field it_per_cpu_s <"$work/out.txt" >>"$work/mode-$mode.txt"
    done
    paste "$work/mode-native.txt" "$work/mode-portable.txt" | tail -1 | awk '{print $1 / $2}' >>"$work/mode-ratio.txt"
  done
  local p n q
  p=$(median <"$work/mode-portable.txt"); n=$(median <"$work/mode-native.txt"); q=$(median <"$work/mode-ratio.txt")
  printf '  median: portable %.1f it/s, native %.1f it/s (CPU time); a portable step costs %.2fx a native one\n' "$p" "$n" "$q"
  printf '| TARNet step, batch %s: --numerics portable | %.0f it/s | native %.0f it/s | **%.2fx** the time per step | |\n' "$batch" "$p" "$n" "$q" >>"$work/table.txt"
}

: >"$work/table.txt"
modes 100
modes 32
compare 100 "1"
compare 32 "2"

log "3: 100-run sweep (benches/experiments/sweep.yaml), cold cache, --jobs 1 vs --jobs 2, 2 rounds (1 2 2 1)"
: >"$work/s1.txt"; : >"$work/s2.txt"
for jobs in 1 2 2 1; do
  rm -rf "$work/cache" "$work/results"
  timed "$bin" run benches/experiments/sweep.yaml --jobs "$jobs" --cache "$work/cache" --results "$work/results" --progress quiet
  echo "$wall_s" >>"$work/s$jobs.txt"
  printf '  --jobs %d: %7.2f s wall, %4s%% CPU, peak %d MiB\n' "$jobs" "$wall_s" "$cpu_pct" "$peak_mib"
done
t1=$(median <"$work/s1.txt"); t2=$(median <"$work/s2.txt")
speedup=$(awk -v a="$t1" -v b="$t2" 'BEGIN {printf "%.2f", a / b}')
efficiency=$(awk -v s="$speedup" 'BEGIN {printf "%.0f", 100 * s / 2}')
printf '  speed-up %sx (medians), parallel efficiency %s%% on 2 workers\n' "$speedup" "$efficiency"
printf '| 100-run sweep, cold cache | %.1f s with --jobs 2 | %.1f s with --jobs 1 | **%sx** speed-up (%s%% efficiency) | %s MiB |\n' "$t2" "$t1" "$speedup" "$efficiency" "$peak_mib" >>"$work/table.txt"

log "4: make experiments, everything cached"
# Fill the cache if it is cold. The exit status is not ours to judge here (a
# failed run, such as OLS on a front-door-only graph, makes it 2).
make --no-print-directory experiments >/dev/null 2>&1 || true
: >"$work/m.txt"
for r in $(seq 1 "$rounds"); do
  timed make --no-print-directory experiments >/dev/null 2>&1 || true
  printf '  round %d: %.3f s wall, peak %d MiB\n' "$r" "$wall_s" "$peak_mib"
  echo "$wall_s" >>"$work/m.txt"
done
m=$(median <"$work/m.txt")
printf '  median %.3f s\n' "$m"
printf '| `make experiments`, all %s runs cached | %.2f s | | target < 2 s | %s MiB |\n' "$("$bin" plan experiments 2>/dev/null | grep -cE 'seed [0-9]+$')" "$m" "$peak_mib" >>"$work/table.txt"

log "5: simulate 10^6 rows of a 10-node SCM"
timed "$(bench_bin simulate)" >"$work/sim.txt"
cat "$work/sim.txt"
best=$(sed -n 's/.*best of 5 = \([0-9.]*\) s.*/\1/p' "$work/sim.txt")
printf '| simulate 10^6 rows x 10 nodes (with counterfactuals) | %s s | | best of 5 | %s MiB |\n' "$best" "$peak_mib" >>"$work/table.txt"

log "6: identification on 100-node graphs"
"$(bench_bin identify)" | tee "$work/id.txt"
# Worst median over the random graphs of each family (column "median", in ms).
worst() { awk -v kind="$1" '$1 == kind {m = $(NF - 1); sub("ms", "", m); if (m + 0 > w) w = m + 0} END {print w}' "$work/id.txt"; }
printf '| identify on a 100-node DAG (worst median of 6 graphs) | %s ms | | ADMGs with 10-30 <->: %s ms | |\n' "$(worst DAG,)" "$(worst ADMG,)" >>"$work/table.txt"

log "7: packed training, TARNet on IHDP at batch 100, $rounds rounds per K (alone, then one pack, in one process)"
pack_iterations="${BENCH_PACK_ITERATIONS:-200}"
for k in 1 4 16 64; do
  : >"$work/pack.txt"
  : >"$work/packed-$k.txt"
  for r in $(seq 1 "$rounds"); do
    "$tarnet" pack "$k" "$pack_iterations" >"$work/out.txt"
    printf '  K=%-3d round %d: alone %7.1f it/s, packed %7.1f it/s per network (CPU time), identical bytes: %s\n' "$k" "$r" \
      "$(field alone_it_per_cpu_s <"$work/out.txt")" "$(field packed_it_per_cpu_s <"$work/out.txt")" "$(field identical <"$work/out.txt")"
    field ratio <"$work/out.txt" >>"$work/pack.txt"
    field packed_it_per_cpu_s <"$work/out.txt" >>"$work/packed-$k.txt"
    mflop=$(field step_mflop <"$work/out.txt")
  done
  q=$(median <"$work/pack.txt")
  printf '| TARNet per network, batch 100, packed K=%s | | one at a time | **%.2fx** the throughput | |\n' "$k" "$q" >>"$work/table.txt"
done
# What a pack can share: a pack's step costs F + K*m (F once per step whatever K,
# m per member), so a least-squares line through the median packed time per
# member-step against 1/K gives F (its slope) and m (its intercept), and against
# a pack of one (F + m, what a network alone costs on the same engine) the ratio
# can approach (F + m) / m as K grows, and no more. (At K=1 both sides compute
# the same thing, so its ratio shows this machine's noise; the alone side also
# runs first in its process.) Each fit's preparation counts too, so a short
# BENCH_PACK_ITERATIONS overstates F. The products' own GFLOP/s bound m from
# below: the ceiling if a member's step were only its products at that speed.
gflops=$("$tarnet" gemm | field gflops | sort -g | tail -1)
for k in 1 4 16 64; do echo "$k $(median <"$work/packed-$k.txt")"; done |
  awk -v table="$work/table.txt" -v mflop="$mflop" -v gflops="$gflops" '
  { x[NR] = 1 / $1; y[NR] = 1000 / $2; sx += x[NR]; sy += y[NR] }
  END {
    mx = sx / NR; my = sy / NR
    for (i = 1; i <= NR; i++) { sxy += (x[i] - mx) * (y[i] - my); sxx += (x[i] - mx) ^ 2 }
    f = sxy / sxx; m = my - f * mx; floor = mflop / gflops
    printf "  a step: %.3f ms shared by a pack, %.3f ms per member; the ratio tends to %.2fx as K grows\n", f, m, (f + m) / m
    printf "  its products: %.1f MFLOP per member, %.3f ms at the best product rate (%.1f GFLOP/s); were they all of a member'"'"'s step, the ratio could reach %.2fx\n", mflop, floor, gflops, (f + floor) / floor
    printf "| TARNet pack: a step shared / per member | %.3f / %.3f ms | | ceiling %.2fx (%.2fx if only products at %.0f GFLOP/s) | |\n", f, m, (f + m) / m, (f + floor) / floor, gflops >> table
  }'

log "8: packed training, DragonNet on IHDP at batch 64, $rounds rounds per K (alone, then one pack, in one process)"
dragon_epochs="${BENCH_DRAGON_EPOCHS:-20}"
for k in 1 4 16; do
  : >"$work/pack.txt"
  for r in $(seq 1 "$rounds"); do
    "$tarnet" dragon-pack "$k" "$dragon_epochs" >"$work/out.txt"
    printf '  K=%-3d round %d: alone %7.1f it/s, packed %7.1f it/s per network (CPU time), identical bytes: %s\n' "$k" "$r" \
      "$(field alone_it_per_cpu_s <"$work/out.txt")" "$(field packed_it_per_cpu_s <"$work/out.txt")" "$(field identical <"$work/out.txt")"
    field ratio <"$work/out.txt" >>"$work/pack.txt"
  done
  q=$(median <"$work/pack.txt")
  printf '| DragonNet per network, batch 64, packed K=%s | | one at a time | **%.2fx** the throughput | |\n' "$k" "$q" >>"$work/table.txt"
done

log "summary ($machine)"
echo "| figure | causeway | compared with | ratio | peak memory |"
echo "|---|---|---|---|---|"
cat "$work/table.txt"
