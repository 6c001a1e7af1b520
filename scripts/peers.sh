#!/usr/bin/env bash
# Dispatch against its peers, measured side by side in one run:
#
#   scripts/peers.sh
#
# - installs redis-server (and, through with-postgres.sh, PostgreSQL 15 +
#   PostGIS 3) from Debian if missing (needs root for that);
# - builds one dataset: the demo city's areas with STAFF (100,000) staff
#   uniform over Wenzhou's urban core, one third available
#   (`loadgen dataset`);
# - loads it into a throwaway PostGIS cluster (table bench_staff, partial
#   GiST index over the available staff), a throwaway redis-server on
#   loopback (no persistence; a geo set of the available staff) and riskmap
#   (the release binary, SQLite store in a temporary directory, the same
#   city);
# - asks all three for the 5 nearest available staff at the same points with
#   the same load tool and concurrency (`loadgen dispatch`; Redis at a 500 m
#   and a 5 km radius), and prints one table with the ratios;
# - stops everything and removes its files. The JSON report is kept in
#   OUT_DIR (target/bench).
#
# Knobs (environment): STAFF, CONCURRENCY (2, as in DESIGN.md; a list such
# as "2 16" runs each), DURATION_S (10), WARMUP_S (2), BATCH_SIZE (100: the
# queries of a batch request, and of /ws messages in flight), OUT_DIR.
set -euo pipefail
cd "$(dirname "$0")/.."

say() { printf 'peers: %s\n' "$*" >&2; }

# Everything after this line runs beside the PostgreSQL cluster.
if [ "${1:-}" != "--inside-postgres" ]; then
  if ! command -v redis-server >/dev/null 2>&1; then
    if [ "$(id -u)" -ne 0 ]; then
      say "redis-server is not installed and installing it needs root"
      exit 1
    fi
    say "installing redis-server"
    apt-get update
    DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends redis-server
  fi
  for bin in riskmap geodata loadgen; do
    if [ ! -x "target/release/$bin" ]; then
      cargo build --release --locked -p riskmap -p geodata -p loadgen
      break
    fi
  done
  exec scripts/with-postgres.sh "$0" --inside-postgres "$@"
fi

STAFF=${STAFF:-100000}
CONCURRENCY=${CONCURRENCY:-2}
DURATION_S=${DURATION_S:-10}
WARMUP_S=${WARMUP_S:-2}
# Queries a batch request and /ws messages in flight per connection carry.
BATCH_SIZE=${BATCH_SIZE:-100}
OUT_DIR=${OUT_DIR:-target/bench}
BIN=target/release
# shellcheck source=lib/bench-server.sh
. scripts/lib/bench-server.sh
mkdir -p "$OUT_DIR"

work=$(mktemp -d "${TMPDIR:-/tmp}/riskmap-peers.XXXXXX")
riskmap_pid=
redis_pid=
cleanup() {
  local status=$?
  set +e
  for pid in $riskmap_pid $redis_pid; do
    kill "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
  done
  rm -rf "$work"
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

port_in_use() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# --- the dataset ------------------------------------------------------------
say "building the dataset: $STAFF staff over Wenzhou's urban core"
"$BIN/geodata" demo --out "$work/base" >/dev/null
"$BIN/loadgen" dataset --base "$work/base" --out "$work/city" --staff "$STAFF"

# --- Redis ------------------------------------------------------------------
redis_port=
for p in $(seq 56379 56479); do
  if ! port_in_use "$p"; then
    redis_port=$p
    break
  fi
done
[ -n "$redis_port" ] || { say "no free port for redis"; exit 1; }
mkdir -p "$work/redis"
redis-server --bind 127.0.0.1 --port "$redis_port" --save "" --appendonly no \
  --dir "$work/redis" --daemonize no --logfile "$work/redis/redis.log" &
redis_pid=$!
for _ in $(seq 100); do port_in_use "$redis_port" && break; sleep 0.1; done
say "redis $(redis-server --version | awk '{print $3}') on 127.0.0.1:$redis_port"
"$BIN/loadgen" load-redis --redis "127.0.0.1:$redis_port" --city "$work/city"

# --- PostGIS ----------------------------------------------------------------
"$BIN/loadgen" load-postgis --database-url "$RISKMAP_TEST_DATABASE_URL" --city "$work/city"

# --- riskmap ----------------------------------------------------------------
# The same city, its store in the temporary directory.
start_bench_riskmap "$BIN" "$work" 300
say "riskmap at $url (pid $riskmap_pid, RSS $(awk '/VmRSS/ {print $2, $3}' "/proc/$riskmap_pid/status"))"

# --- the run ----------------------------------------------------------------
for c in $CONCURRENCY; do
  "$BIN/loadgen" dispatch --target riskmap,riskmap-batch,riskmap-ws,health,postgis,redis --url "$url" \
    --database-url "$RISKMAP_TEST_DATABASE_URL" --redis "127.0.0.1:$redis_port" \
    --concurrency "$c" --duration-s "$DURATION_S" --warmup-s "$WARMUP_S" --batch-size "$BATCH_SIZE" \
    --pid "riskmap=$riskmap_pid,health=$riskmap_pid,redis=$redis_pid" \
    --json "$OUT_DIR/peers-c$c.json"
done
say "riskmap RSS after the run: $(awk '/VmRSS/ {print $2, $3}' "/proc/$riskmap_pid/status"); reports in $OUT_DIR"
