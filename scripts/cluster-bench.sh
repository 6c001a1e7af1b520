#!/usr/bin/env bash
# The cluster end to end, with 1, 2 and 3 nodes: fixes per second and the
# fix → viewer latency when the fixes go to node 1 and the viewers (VIEWERS
# per node, 200) are spread over every node, so that most moves cross the log.
#
#   scripts/cluster-bench.sh                 # NODE_COUNTS="1 2 3", STAFF=10000
#   NODE_COUNTS="1 3" RATE=20000 DURATION_S=20 scripts/cluster-bench.sh
#
# Runs beside a throwaway PostGIS (scripts/with-postgres.sh) and a
# nats-server with JetStream (file storage); each round gets a fresh
# database and a fresh stream. Release binaries; reports (JSON) and the nodes'
# logs go to OUT_DIR (target/bench); a table is printed at the end.
set -euo pipefail
cd "$(dirname "$0")/.."

NODE_COUNTS=${NODE_COUNTS:-"1 2 3"}
STAFF=${STAFF:-10000}
RATE=${RATE:-20000}
BATCH=${BATCH:-250}
GATEWAYS=${GATEWAYS:-8}
VIEWERS=${VIEWERS:-200}
DURATION_S=${DURATION_S:-10}
WARMUP_S=${WARMUP_S:-3}
OUT_DIR=${OUT_DIR:-target/bench}
say() { printf 'cluster-bench: %s\n' "$*" >&2; }

if [ -z "${RISKMAP_TEST_DATABASE_URL:-}" ]; then
  exec ./scripts/with-postgres.sh "$0" "$@"
fi
nats_server=$(command -v nats-server || echo /usr/sbin/nats-server)
[ -x "$nats_server" ] || { say "nats-server is missing (apt-get install nats-server)"; exit 1; }

cargo build --release --locked -p riskmap -p geodata -p loadgen
bin="${CARGO_TARGET_DIR:-target}/release"
mkdir -p "$OUT_DIR"
work=$(mktemp -d "${TMPDIR:-/tmp}/riskmap-cluster-bench.XXXXXX")
pids=()
stop_all() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
  pids=()
}
trap 'stop_all; rm -rf "$work"' EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
field() { sed -n "s/^ *\"$2\": \\([0-9.]*\\),\\{0,1\\}$/\\1/p" "$1" | head -n 1; }

"$bin/geodata" demo --out "$work/base" >/dev/null
"$bin/loadgen" dataset --base "$work/base" --out "$work/city" --staff "$STAFF" >/dev/null
prefix=${RISKMAP_TEST_DATABASE_URL%/*}
rows=()
for k in $NODE_COUNTS; do
  db="riskmap_bench_$k"
  psql "$RISKMAP_TEST_DATABASE_URL" -qc "DROP DATABASE IF EXISTS $db" -c "CREATE DATABASE $db"
  nats_port=$(free_port)
  rm -rf "$work/js"
  "$nats_server" -a 127.0.0.1 -p "$nats_port" -js -sd "$work/js" >"$work/nats.log" 2>&1 &
  pids+=($!)
  sleep 0.5
  urls=()
  for i in $(seq 1 "$k"); do
    port=$(free_port)
    RUST_LOG=${BENCH_LOG:-warn} RISKMAP_DATABASE_URL="$prefix/$db" "$bin/riskmap" serve \
      --listen "127.0.0.1:$port" --demo --no-simulator --demo-city "$work/city" \
      --data-dir "$work/data$i" --requests-per-second 0 \
      --cluster "nats://127.0.0.1:$nats_port" --node-id "n$i" >"$work/n$i.out" 2>"$work/n$i.log" &
    pids+=($!)
    for _ in $(seq 1 1200); do
      curl -sf "http://127.0.0.1:$port/ready" >/dev/null && break
      sleep 0.25
    done
    curl -sf "http://127.0.0.1:$port/ready" >/dev/null || { tail -20 "$work/n$i.log" >&2; exit 1; }
    urls+=("http://127.0.0.1:$port")
  done
  viewer_urls=$(IFS=,; echo "${urls[*]}")
  say "$k node(s) ready: $viewer_urls; load $(cut -d' ' -f1 /proc/loadavg)"
  "$bin/loadgen" ingest --url "${urls[0]}" --viewer-urls "$viewer_urls" --city "$work/city" \
    --staff "$STAFF" --rate "$RATE" --batch "$BATCH" --gateways "$GATEWAYS" \
    --viewers $((VIEWERS * k)) --duration-s "$DURATION_S" --warmup-s "$WARMUP_S" \
    --json "$OUT_DIR/cluster-$k.json"
  lag=$(curl -s "${urls[$((k - 1))]}/metrics" | sed -n 's/^riskmap_cluster_log_lag{[^}]*} //p')
  stop_all
  for i in $(seq 1 "$k"); do cat "$work/n$i.log" >"$OUT_DIR/cluster-$k-n$i.log"; done
  j="$OUT_DIR/cluster-$k.json"
  rows+=("$(printf '%5s %8s %10s %10s %9s %9s %9s %6s %6s' "$k" "$((VIEWERS * k))" \
    "$(field "$j" fixes_acked_per_s)" "$(field "$j" viewer_moves_per_s)" \
    "$(sed -n '/"fix_to_viewer_raw"/,/}/p' "$j" | field /dev/stdin p50_ms)" \
    "$(sed -n '/"fix_to_viewer_raw"/,/}/p' "$j" | field /dev/stdin p99_ms)" \
    "$(sed -n '/"fix_to_viewer_beyond_tick"/,/}/p' "$j" | field /dev/stdin p99_ms)" \
    "${lag:-?}" "$(field "$j" errors)")")
done

echo
echo "== riskmap cluster (PostGIS + NATS JetStream; fixes to node 1, viewers on every node; ms)"
printf '%5s %8s %10s %10s %9s %9s %9s %6s %6s\n' nodes viewers fixes/s moves/s p50_raw p99_raw p99_-tick lag errors
for r in "${rows[@]}"; do echo "$r"; done
say "reports in $OUT_DIR"
