#!/usr/bin/env bash
# Patrol coverage (巡查覆盖) asked city-wide while fixes arrive, side by side:
# the release `riskmap` of BIN_A and of BIN_B (directories holding riskmap,
# geodata and loadgen; BIN_B defaults to BIN_A) alternated ROUNDS times on
# one city of 50,000 grids and 100,000 staff, a fresh store each run. Each
# run sends `loadgen ingest` (10,000 staff moving, RATE fixes/s, 250 a
# message) for DURATION_S while ASKERS clients ask `GET /api/patrol/coverage`
# (the whole city: 12 MB of JSON; every big screen with the coverage layer
# on asks it every 30 s) from the third second on, each pausing PAUSE_S
# between answers (ASKERS=0: the fixes alone; QUESTION=/api/patrol/log asks
# the city's patrol log, 巡查台账, instead). One line per run on standard
# output: the fixes' acknowledgement times, and how many coverage answers
# came and how long they took (`answers.`) (median, 90th percentile, slowest).
#
#   scripts/coverage-bench.sh BIN_A [BIN_B]
#   # ROUNDS=3 RATE=20000 DURATION_S=15 ASKERS=1 PAUSE_S=0.5 QUESTION=/api/patrol/coverage
set -euo pipefail
cd "$(dirname "$0")/.."
a=${1:?usage: scripts/coverage-bench.sh BIN_A [BIN_B]}
b=${2:-$a}
rounds=${ROUNDS:-3}
rate=${RATE:-20000}
duration=${DURATION_S:-15}
pause=${PAUSE_S:-0.5}
askers=${ASKERS:-1}
question=${QUESTION:-/api/patrol/coverage}
# shellcheck source=lib/bench-server.sh
. scripts/lib/bench-server.sh
bench_binaries "$a"
bench_workdir coverage
"$a/geodata" city --out "$work/base" --grids 50000 --staff 100000 --cameras 1000 >/dev/null

# Asks the city's coverage back to back until the load generator is gone,
# each answer's time (seconds) a line of $1.
ask() {
  while kill -0 "$load" 2>/dev/null; do
    curl -fsS -o /dev/null -w '%{time_total}\n' -H "authorization: Bearer $token" \
      "$url$question" >>"$1"
    sleep "$pause"
  done
}

for round in $(seq "$rounds"); do
  for label in A B; do
    bin=$a
    [ "$label" = B ] && bin=$b
    rm -rf "$work/data" "$work/city"
    cp -r "$work/base" "$work/city"
    start_bench_riskmap "$bin" "$work" 300
    token=$(curl -fsS -X POST "$url/api/auth/login" -H 'content-type: application/json' \
      -d '{"username":"dispatcher","password":"riskmap-demo"}' |
      python3 -c 'import json,sys; print(json.load(sys.stdin)["token"])')
    "$a/loadgen" ingest --url "$url" --city "$work/city" --staff 10000 --batch 250 \
      --gateways 20 --viewers 0 --duration-s "$duration" --rate "$rate" \
      --server-pid "$riskmap_pid" >"$work/report.txt" &
    load=$!
    sleep 3
    : >"$work/times"
    pids=()
    for _ in $(seq "$askers"); do
      ask "$work/times" &
      pids+=($!)
    done
    wait "$load" "${pids[@]}"
    stop_bench_riskmap
    figures=$(grep -E 'ack_latency\.(p50|p90|p99|max)_ms|fixes_acked_per_s' "$work/report.txt" |
      awk '{printf "%s=%s ", $1, $2}')
    answers=$(python3 - "$work/times" <<'PY'
import sys
t = sorted(float(x) * 1000 for x in open(sys.argv[1]) if x.strip())
if not t:
    print("answers.n=0")
else:
    at = lambda q: t[min(len(t) - 1, int(q * len(t)))]
    print(f"answers.n={len(t)} answers.p50_ms={at(0.5):.0f} answers.p90_ms={at(0.9):.0f} "
          f"answers.max_ms={t[-1]:.0f}")
PY
)
    echo "round $round $label ($bin): $figures$answers"
  done
done
