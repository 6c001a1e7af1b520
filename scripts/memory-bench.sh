#!/usr/bin/env bash
# Memory at a million staff (issue 20: at most 1 GiB resident after load and
# under the load test, stable from run to run): a city of 50,000 grids,
# 1,000,000 staff and 200,000 cameras (`geodata city`). Each round starts the
# server on a fresh store (its first start imports the city, the peak of a
# server's life), reads VmRSS SETTLE_S seconds after it is up (15: tokio's
# blocking threads, which did the import's reading, live 10 s after their
# last task, and their memory goes back when they end) and again after the
# ingest run
# (`loadgen ingest`: 10,000 of the staff, RATE fixes/s, VIEWERS viewers — 200), samples
# it every half second meanwhile, then restarts the server on the same store
# (a load, no import) and reads it again.
#
#   scripts/memory-bench.sh                  # ROUNDS=2 RATE=100000 DURATION_S=10
#
# Prints one line a round (MiB); the JSON lines land in OUT_DIR/memory.jsonl
# (target/bench/memory).
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib/bench-server.sh

BIN=${BIN:-target/release}
ROUNDS=${ROUNDS:-2}
RATE=${RATE:-100000}
DURATION_S=${DURATION_S:-10}
SETTLE_S=${SETTLE_S:-15}
VIEWERS=${VIEWERS:-200}
OUT_DIR=${OUT_DIR:-target/bench/memory}
export RISKMAP_ADMIN_PASSWORD=${RISKMAP_ADMIN_PASSWORD:-Memory-Bench-2026}
say() { printf '[memory-bench] %s\n' "$*" >&2; }

bench_binaries "$BIN"
mkdir -p "$OUT_DIR"
bench_workdir memory

rss_mib() { awk '/VmRSS/ { printf "%d", $2 / 1024 }' "/proc/$riskmap_pid/status"; }

say "building the city: 50,000 grids, 1,000,000 staff, 200,000 cameras"
"$BIN/geodata" city --out "$work/city" --grids 50000 --staff 1000000 --cameras 200000 >/dev/null
for round in $(seq "$ROUNDS"); do
  rm -rf "$work/data"
  start_bench_riskmap "$BIN" "$work" 900
  sleep "$SETTLE_S"
  loaded=$(rss_mib)
  peak_import=$(awk '/VmHWM/ { printf "%d", $2 / 1024 }' "/proc/$riskmap_pid/status")
  "$BIN/loadgen" ingest --url "$url" --city "$work/city" --staff 10000 --rate "$RATE" \
    --batch 250 --gateways 20 --viewers "$VIEWERS" --duration-s "$DURATION_S" \
    --json "$work/ingest.json" >/dev/null &
  load=$!
  most=0
  while kill -0 "$load" 2>/dev/null; do
    now=$(rss_mib)
    [ "$now" -gt "$most" ] && most=$now
    sleep 0.5
  done
  wait "$load"
  after=$(rss_mib)
  stop_bench_riskmap
  start_bench_riskmap "$BIN" "$work" 900
  sleep "$SETTLE_S"
  restarted=$(rss_mib)
  stop_bench_riskmap
  line="{\"round\": $round, \"settle_s\": $SETTLE_S, \"loaded_mib\": $loaded, \"import_peak_mib\": $peak_import, \"under_load_max_mib\": $most, \"after_load_mib\": $after, \"restarted_mib\": $restarted}"
  echo "$line" >>"$OUT_DIR/memory.jsonl"
  say "round $round: $line"
done
