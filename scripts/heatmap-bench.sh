#!/usr/bin/env bash
# Heat maps beside dispatch, side by side: the release `riskmap` of BIN_A and
# of BIN_B (directories holding riskmap and geodata; BIN_B defaults to BIN_A)
# alternated ROUNDS times on one city of 1,000,000 staff (`geodata city`,
# STAFF to change it). Each run asks two whole-city staff heat maps at a
# time, HEATS each (`GET /api/heatmap`, resolution 7), and meanwhile a
# nearest query every 20 ms, QUERIES of them: how long the queries took
# tells whether the heat maps held up the server's async workers (two on
# two cores). One line per run on standard output.
#
#   scripts/heatmap-bench.sh BIN_A [BIN_B]    # ROUNDS=3 STAFF=1000000 HEATS=4 QUERIES=40
set -euo pipefail
cd "$(dirname "$0")/.."
a=${1:?usage: scripts/heatmap-bench.sh BIN_A [BIN_B]}
b=${2:-$a}
rounds=${ROUNDS:-3}
heats=${HEATS:-4}
queries=${QUERIES:-40}
# shellcheck source=lib/bench-server.sh
. scripts/lib/bench-server.sh
bench_workdir heatmap
"$a/geodata" city --grids 50000 --staff "${STAFF:-1000000}" --cameras 20000 --out "$work/city" >/dev/null

token() {
  curl -fsS -X POST "$url/api/auth/login" -H 'content-type: application/json' \
    -d "{\"username\":\"$1\",\"password\":\"riskmap-demo\"}" | python3 -c 'import json,sys; print(json.load(sys.stdin)["token"])'
}
# Seconds each request of a kind took, one a line.
heat() {
  for _ in $(seq "$heats"); do
    curl -fsS -o /dev/null -w '%{time_total}\n' -H "authorization: Bearer $dispatcher" \
      "$url/api/heatmap?layer=staff&res=7&bbox=119.0,27.0,122.0,29.0"
  done
}
summary() {
  python3 -c '
import sys
v = sorted(float(x) * 1000 for x in open(sys.argv[1]))
print(f"n={len(v)} p50={v[len(v) // 2]:.1f}ms p90={v[int(len(v) * 0.9)]:.1f}ms max={v[-1]:.1f}ms", end="")' "$1"
}

for round in $(seq "$rounds"); do
  for label in A B; do
    bin=$a
    [ "$label" = B ] && bin=$b
    start_bench_riskmap "$bin" "$work" 600
    dispatcher=$(token dispatcher)
    # Warm: the first answers of each kind read what start left cold.
    heat >/dev/null
    curl -fsS -o /dev/null -H "authorization: Bearer $dispatcher" \
      "$url/api/dispatch/nearest?lon=120.66&lat=28.01&k=5"
    heat >"$work/heat1" &
    h1=$!
    heat >"$work/heat2" &
    h2=$!
    sleep 0.05
    : >"$work/nearest"
    for _ in $(seq "$queries"); do
      curl -fsS -o /dev/null -w '%{time_total}\n' -H "authorization: Bearer $dispatcher" \
        "$url/api/dispatch/nearest?lon=120.66&lat=28.01&k=5" >>"$work/nearest"
      sleep 0.02
    done
    wait "$h1" "$h2"
    cat "$work/heat1" "$work/heat2" >"$work/heats"
    echo "round $round $label ($bin): nearest $(summary "$work/nearest"); heat maps $(summary "$work/heats")"
    stop_bench_riskmap
  done
done
