#!/usr/bin/env bash
# Cold start of the server on a 1,000,000-feature city (docs/PERFORMANCE.md,
# "Cold start"):
#
#   scripts/coldstart.sh            # PostGIS (a throwaway cluster), then SQLite
#   COLDSTART_RUNS=5 scripts/coldstart.sh
#   COLDSTART_STORES=sqlite scripts/coldstart.sh      # one store only
#
# - builds the release binaries if they are missing (never rebuilds them;
#   COLDSTART_BIN=DIR takes riskmap and geodata from DIR instead);
# - builds the benchmark city with geodata once (50,000 grids and the areas
#   above them, 735,000 staff, 200,000 cameras, 8,000 risk sources, 6,000
#   key places; kept in $COLDSTART_CITY, default /tmp/riskmap-coldstart-city);
# - runs inside scripts/with-postgres.sh (it calls itself through it) and
#   imports the city into that PostGIS with the server's own import (a demo
#   start on an empty store), then into a fresh SQLite store the same way;
# - starts the server COLDSTART_RUNS times (default 3) on each store, reads
#   the `engine loaded` log line (store open → every index built) and stops
#   it again (a start that built the grid locator afresh, the import's,
#   once it has kept its image); prints each line and the median.
#
# The database's own cache is warm after the import: this measures the
# server, not the disk.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
runs=${COLDSTART_RUNS:-3}
city=${COLDSTART_CITY:-/tmp/riskmap-coldstart-city}
stores=${COLDSTART_STORES:-postgis sqlite}

say() { printf 'coldstart: %s\n' "$*" >&2; }

if [[ " $stores " == *" postgis "* ]] && [ -z "${RISKMAP_TEST_DATABASE_URL:-}" ]; then
  exec "$root/scripts/with-postgres.sh" "$0" "$@"
fi

bin=${COLDSTART_BIN:-$root/target/release}
if [ ! -x "$bin/riskmap" ] || [ ! -x "$bin/geodata" ]; then
  (cd "$root" && cargo build --release --locked -p riskmap -p geodata)
fi
if [ ! -f "$city/key_places.geojson" ]; then
  say "building the city in $city"
  "$bin/geodata" city --out "$city" --grids 50000 --staff 735000 \
    --cameras 200000 --risk-sources 8000 --key-places 6000 >&2
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/riskmap-coldstart.XXXXXX")
server=
cleanup() {
  local status=$?
  if [ -n "$server" ]; then
    kill "$server" 2>/dev/null || true
    wait "$server" 2>/dev/null || true
  fi
  rm -rf "$work"
  exit "$status"
}
trap cleanup EXIT

# Starts the server with the given store flags, waits for its `engine loaded`
# line (printing it), and stops it.
start_and_stop() {
  local log=$work/server.log
  : >"$log"
  RISKMAP_ADMIN_PASSWORD=coldstart-admin-password RUST_LOG=info,sqlx=warn \
    "$bin/riskmap" serve --listen 127.0.0.1:0 --no-simulator "$@" >"$log" 2>&1 &
  server=$!
  local waited=0
  until grep -q 'engine loaded' "$log"; do
    if ! kill -0 "$server" 2>/dev/null; then
      cat "$log" >&2
      say "the server stopped before loading the engine"
      exit 1
    fi
    sleep 0.2
    waited=$((waited + 1))
    if [ "$waited" -gt 9000 ]; then
      say "no 'engine loaded' after 30 minutes"
      exit 1
    fi
  done
  # A start that built the grid locator keeps its image for the next one
  # (as a server that ran for a while has): wait until it is kept.
  if grep -q 'locator="built"' "$log"; then
    until grep -q -e 'grid locator image kept' -e "cannot keep the grid locator" "$log"; do
      kill -0 "$server" 2>/dev/null || break
      sleep 0.1
    done
  fi
  grep 'demo city imported' "$log" | sed 's/\x1b\[[0-9;]*m//g' >&2 || true
  grep 'engine loaded' "$log" | sed 's/\x1b\[[0-9;]*m//g'
  kill "$server"
  wait "$server" 2>/dev/null || true
  server=
}

# Imports the city, then measures `runs` cold starts; prints the median.
measure() {
  local name=$1
  shift
  say "$name: importing the city (the server's demo import into an empty store)"
  start_and_stop --demo --demo-city "$city" "$@" >/dev/null
  local times=()
  for i in $(seq "$runs"); do
    local line
    line=$(start_and_stop "$@")
    printf '%s run %d: %s\n' "$name" "$i" "$line"
    times+=("$(sed -n 's/.*elapsed_ms=\([0-9]*\).*/\1/p' <<<"$line")")
  done
  local median
  median=$(printf '%s\n' "${times[@]}" | sort -n | sed -n "$(((runs + 1) / 2))p")
  printf '%s: median engine load %s ms over %d runs\n' "$name" "$median" "$runs"
}

for store in $stores; do
  case $store in
    postgis) measure postgis --database-url "$RISKMAP_TEST_DATABASE_URL" ;;
    sqlite) measure sqlite --data-dir "$work/sqlite" ;;
    *) say "unknown store $store (postgis, sqlite)"; exit 2 ;;
  esac
done
