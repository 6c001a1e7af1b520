#!/usr/bin/env bash
# The server end to end at several sizes:
#
#   scripts/loadtest.sh                 # SIZES="10000 100000 1000000"
#   SIZES=100000 DURATION_S=20 scripts/loadtest.sh
#
# For each size N: a city of N staff over Wenzhou's urban core (the demo
# city's areas; `loadgen dataset`), riskmap started on it from the release
# binary (SQLite store in a temporary directory, no simulator, no per-token
# request rate), then
#   1. `loadgen ingest`: INGEST_STAFF (10,000) of the staff move, RATE
#      (100,000) fixes per second offered over /ws in batched `fixes`
#      messages from GATEWAYS dispatcher-level connections, while VIEWERS
#      (200) viewers subscribed to 3 km boxes time every move pushed;
#   2. `loadgen osmand`: OsmAnd GETs from OSMAND_CONCURRENCY (256) keep-alive
#      connections, closed loop;
# with the server's VmRSS read after loading, after each run, and its
# VmHWM at the end. Reports (JSON) and the server's log (riskmap-N.log;
# BENCH_LOG sets its filter) go to OUT_DIR (target/bench); a table of the
# headline figures is printed at the end.
set -euo pipefail
cd "$(dirname "$0")/.."

SIZES=${SIZES:-"10000 100000 1000000"}
INGEST_STAFF=${INGEST_STAFF:-10000}
RATE=${RATE:-100000}
BATCH=${BATCH:-250}
GATEWAYS=${GATEWAYS:-20}
VIEWERS=${VIEWERS:-200}
OSMAND_CONCURRENCY=${OSMAND_CONCURRENCY:-256}
DURATION_S=${DURATION_S:-10}
WARMUP_S=${WARMUP_S:-3}
OUT_DIR=${OUT_DIR:-target/bench}
BIN=target/release
# shellcheck source=lib/bench-server.sh
. scripts/lib/bench-server.sh

say() { printf 'loadtest: %s\n' "$*" >&2; }

for bin in riskmap geodata loadgen; do
  if [ ! -x "$BIN/$bin" ]; then
    cargo build --release --locked -p riskmap -p geodata -p loadgen
    break
  fi
done
mkdir -p "$OUT_DIR"

work=$(mktemp -d "${TMPDIR:-/tmp}/riskmap-load.XXXXXX")
riskmap_pid=
stop_server() {
  if [ -n "$riskmap_pid" ]; then
    kill "$riskmap_pid" 2>/dev/null || true
    wait "$riskmap_pid" 2>/dev/null || true
    riskmap_pid=
  fi
}
cleanup() {
  local status=$?
  set +e
  stop_server
  rm -rf "$work"
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

kib() { awk -v k="$2:" '$1 == k {print $2}' "/proc/$1/status"; }
mib() { awk -v x="$1" 'BEGIN {printf "%.0f", x / 1024}'; }
field() { sed -n "s/^ *\"$2\": \\([0-9.]*\\),\\{0,1\\}$/\\1/p" "$1" | head -n 1; }

"$BIN/geodata" demo --out "$work/base" >/dev/null
rows=()
for n in $SIZES; do
  say "size $n: building the city"
  rm -rf "$work/city" "$work/data"
  "$BIN/loadgen" dataset --base "$work/base" --out "$work/city" --staff "$n" >/dev/null
  started=$(date +%s.%N)
  start_bench_riskmap "$BIN" "$work" 600
  start_s=$(awk -v a="$started" -v b="$(date +%s.%N)" 'BEGIN {printf "%.1f", b - a}')
  sleep 2
  rss_loaded=$(kib "$riskmap_pid" VmRSS)
  say "size $n: riskmap at $url after ${start_s} s (import + load), RSS $(mib "$rss_loaded") MiB"

  moving=$INGEST_STAFF
  [ "$moving" -gt "$n" ] && moving=$n
  "$BIN/loadgen" ingest --url "$url" --city "$work/city" --staff "$moving" \
    --rate "$RATE" --batch "$BATCH" --gateways "$GATEWAYS" --viewers "$VIEWERS" \
    --duration-s "$DURATION_S" --warmup-s "$WARMUP_S" --server-pid "$riskmap_pid" \
    --json "$OUT_DIR/ingest-$n.json"
  rss_ingest=$(kib "$riskmap_pid" VmRSS)

  "$BIN/loadgen" osmand --url "$url" --city "$work/city" --staff "$moving" \
    --concurrency "$OSMAND_CONCURRENCY" --duration-s "$DURATION_S" --warmup-s "$WARMUP_S" \
    --server-pid "$riskmap_pid" --json "$OUT_DIR/osmand-$n.json"
  rss_osmand=$(kib "$riskmap_pid" VmRSS)
  hwm=$(kib "$riskmap_pid" VmHWM)
  stop_server
  cat "$work/riskmap.out" "$work/riskmap.log" >"$OUT_DIR/riskmap-$n.log"

  j="$OUT_DIR/ingest-$n.json"
  o="$OUT_DIR/osmand-$n.json"
  rows+=("$(printf '%9s %8s %10s %10s %9s %9s %9s %10s %9s %9s %9s %9s' \
    "$n" "$start_s" "$(field "$j" fixes_acked_per_s)" "$(field "$o" requests_per_s)" \
    "$(sed -n '/"fix_to_viewer_raw"/,/}/p' "$j" | field /dev/stdin p99_ms)" \
    "$(sed -n '/"fix_to_viewer_beyond_tick"/,/}/p' "$j" | field /dev/stdin p99_ms)" \
    "$(sed -n '/"tick_to_viewer"/,/}/p' "$j" | field /dev/stdin p99_ms)" \
    "$(mib "$rss_loaded")" "$(mib "$rss_ingest")" "$(mib "$rss_osmand")" "$(mib "$hwm")" \
    "$(field "$j" errors)")")
done

echo
echo "== riskmap end to end (SQLite store; MiB; latency ms)"
printf '%9s %8s %10s %10s %9s %9s %9s %10s %9s %9s %9s %9s\n' \
  staff start_s ws_fix/s osmand/s p99_raw p99_-tick p99_push rss_loaded rss_ws rss_osm hwm errors
for r in "${rows[@]}"; do echo "$r"; done
say "reports in $OUT_DIR"
