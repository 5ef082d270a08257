#!/usr/bin/env bash
# A real Slurm cluster on this machine: install Debian's slurm-wlm and munge,
# start munged, slurmctld and slurmd on localhost with a minimal configuration,
# submit tests/experiments/small.yaml as a job array of 3 tasks plus the
# dependent collect job (`causeway slurm --submit`), wait for them, and require
# the collected tables to be byte-identical to a single-machine `causeway run`.
# Then resubmit the array over the finished store (the overlap of a resubmitted
# shard) and require that nothing is recomputed and the tables stay the same.
#
# Needs root (apt-get, daemons). Everything lives in a temporary folder; the
# daemons started here are stopped on exit. When something cannot start, the
# script prints the failing step and the daemon's log, and exits non-zero.
#
#   BIN=target/release/causeway bash scripts/cluster-test.sh
set -euo pipefail
cd "$(dirname "$0")/.."

BIN=$(realpath "${BIN:-target/release/causeway}")
SWEEP=tests/experiments/small.yaml
TASKS=3
WAIT_S=${WAIT_S:-240}
# causeway applies its numeric pins itself (src/numerics/mod.rs).

step() { printf '\n== %s\n' "$*"; }
fail() {
    printf '\ncluster-test FAILED: %s\n' "$*" >&2
    for log in "$WORK"/slurmctld.log "$WORK"/slurmd.log "$WORK"/munged.log "$WORK"/slurm/logs/*; do
        [ -s "$log" ] && { printf -- '--- %s (last 25 lines)\n' "$log" >&2; tail -n 25 "$log" >&2; }
    done
    exit 1
}

[ -x "$BIN" ] || { echo "no causeway binary at $BIN: run \`make build\` or set BIN" >&2; exit 2; }
[ "$(id -u)" = 0 ] || { echo "cluster-test needs root (apt-get, munged, slurmd)" >&2; exit 2; }

WORK=$(mktemp -d /tmp/causeway-cluster.XXXXXX)
chmod 755 "$WORK"
PIDS=()
cleanup() {
    for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
    for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
    [ -n "${KEEP:-}" ] || rm -rf "$WORK"
}
trap cleanup EXIT

step "install slurm-wlm and munge"
if ! command -v slurmctld >/dev/null || ! command -v munged >/dev/null; then
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends slurm-wlm munge >/dev/null
fi
slurmctld -V

step "start munged"
# A key of our own, so that nothing depends on the packaged one.
mkdir -p "$WORK/munge-key" "$WORK/munge"
dd if=/dev/urandom of="$WORK/munge-key/munge.key" bs=1024 count=1 status=none
chown -R munge:munge "$WORK/munge-key" "$WORK/munge"
chmod 700 "$WORK/munge-key"
chmod 400 "$WORK/munge-key/munge.key"
chmod 755 "$WORK/munge"
SOCKET="$WORK/munge/munge.socket"
runuser -u munge -- munged --foreground --key-file="$WORK/munge-key/munge.key" --socket="$SOCKET" \
    --pid-file="$WORK/munge/munged.pid" --log-file="$WORK/munged.log" --seed-file="$WORK/munge/seed" \
    >>"$WORK/munged.log" 2>&1 &
PIDS+=($!)
for _ in $(seq 50); do [ -S "$SOCKET" ] && break; sleep 0.1; done
[ -S "$SOCKET" ] || fail "munged did not create its socket"
munge --socket="$SOCKET" -n | unmunge --socket="$SOCKET" >/dev/null || fail "munge cannot encode and decode a credential"

step "configure and start slurmctld and slurmd"
HOST=$(hostname -s)
CPUS=$(nproc)
MEM_MB=$(( $(awk '/MemTotal/ {print $2}' /proc/meminfo) / 1024 / 2 ))
mkdir -p "$WORK/state" "$WORK/spool"
export SLURM_CONF="$WORK/slurm.conf"
cat > "$SLURM_CONF" <<EOF
ClusterName=causeway-test
SlurmctldHost=$HOST(127.0.0.1)
SlurmUser=root
SlurmdUser=root
SlurmctldPort=16817
SlurmdPort=16818
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$SOCKET
StateSaveLocation=$WORK/state
SlurmdSpoolDir=$WORK/spool
SlurmctldPidFile=$WORK/slurmctld.pid
SlurmdPidFile=$WORK/slurmd.pid
SlurmctldLogFile=$WORK/slurmctld.log
SlurmdLogFile=$WORK/slurmd.log
# No cgroups in a container: track processes by parent id, bind nothing.
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
SchedulerType=sched/backfill
MpiDefault=none
ReturnToService=2
MinJobAge=600
NodeName=$HOST NodeAddr=127.0.0.1 CPUs=$CPUS RealMemory=$MEM_MB State=UNKNOWN
PartitionName=test Nodes=$HOST Default=YES MaxTime=INFINITE State=UP
EOF
slurmctld -D -i -f "$SLURM_CONF" >>"$WORK/slurmctld.log" 2>&1 &
PIDS+=($!)
slurmd -D -f "$SLURM_CONF" >>"$WORK/slurmd.log" 2>&1 &
PIDS+=($!)
up=
for _ in $(seq 100); do
    if sinfo -h -o '%T' 2>/dev/null | grep -qE '^(idle|mixed|allocated)'; then up=1; break; fi
    sleep 0.3
done
[ -n "$up" ] || fail "the node did not become idle: $(sinfo 2>&1 | tr '\n' ' ')"
sinfo

# Waits until job $1 (every task of an array) has ended; prints its states.
wait_for() {
    local id=$1 deadline=$((SECONDS + WAIT_S)) states
    while :; do
        states=$(scontrol -o show job "$id" 2>/dev/null | grep -o 'JobState=[A-Z_]*' | sort | uniq -c | tr -s ' \n' ' ')
        if [ -n "$states" ] && ! grep -qE 'PENDING|RUNNING|CONFIGURING|COMPLETING|REQUEUED' <<<"$states"; then
            echo "job $id: $states"
            return 0
        fi
        [ $SECONDS -lt $deadline ] || fail "job $id still not done after ${WAIT_S}s: $states"
        sleep 1
    done
}

step "submit $SWEEP as an array of $TASKS tasks and a collect job"
START=$SECONDS
ids=$("$BIN" slurm "$SWEEP" --array "$TASKS" --cpus 1 --cache "$WORK/store" --results "$WORK/collected" --output "$WORK/slurm" --submit)
read -r ARRAY_ID COLLECT_ID <<<"$ids"
echo "array job $ARRAY_ID, collect job $COLLECT_ID"
wait_for "$ARRAY_ID"
wait_for "$COLLECT_ID"
echo "array and collect done in $((SECONDS - START)) s"
scontrol -o show job "$COLLECT_ID" | grep -q 'JobState=COMPLETED' || fail "the collect job did not complete"
[ "$(scontrol -o show job "$ARRAY_ID" | grep -c 'JobState=COMPLETED')" = "$TASKS" ] || fail "not every array task completed"
grep -h '^shard' "$WORK"/slurm/logs/shard-*.out

step "compare with a single-machine causeway run"
"$BIN" run "$SWEEP" --jobs "$CPUS" --progress quiet --results "$WORK/single" --cache "$WORK/single-store"
diff -r -x timings.csv "$WORK/single" "$WORK/collected" || fail "collected tables differ from a single-machine run"
echo "collected tables are byte-identical to the single-machine run"

step "resubmit the array over the finished store"
cp -r "$WORK/collected" "$WORK/collected-first"
rm -f "$WORK"/slurm/logs/*
ids=$("$BIN" slurm "$SWEEP" --array "$TASKS" --cpus 1 --cache "$WORK/store" --results "$WORK/collected" --output "$WORK/slurm" --submit)
read -r ARRAY_ID COLLECT_ID <<<"$ids"
wait_for "$ARRAY_ID"
wait_for "$COLLECT_ID"
computed=$(grep -ho ' [0-9]* computed' "$WORK"/slurm/logs/shard-*.out | awk '{s += $1} END {print s + 0}')
[ "$computed" = 0 ] || fail "a resubmitted array recomputed $computed runs"
diff -r "$WORK/collected-first" "$WORK/collected" || fail "tables changed after a resubmission"
echo "resubmission computed nothing; tables unchanged"
printf '\ncluster-test passed in %d s\n' "$SECONDS"
