#!/usr/bin/env bash
# The big screen at scale, in headless Chromium on loopback:
#
#   scripts/bigscreen-bench.sh                  # SIZES="100000 1000000"
#   SIZES=100000 scripts/bigscreen-bench.sh
#
# For each size N: a city of N staff over Wenzhou's urban core (`loadgen
# dataset`, as loadtest.sh builds it) on a base of GRIDS (50,000) grids and
# CAMERAS (200,000) cameras (`geodata city`: the screen then draws the
# cameras from vector tiles), riskmap started on it from the release
# binary with the web client's dist as its static dir (scripts/lib/bench-server.sh:
# no simulator, nobody counted offline), a moving load (`loadgen ingest`:
# MOVING (10,000) of the staff walking, RATE (2,000) fixes a second, no
# viewers of its own) so that the screen gets live moves, and then
# web-client/e2e/bench/bigscreen.mjs: the city-wide administrator logs in at
# 1920×1080; ms from 登录, and from a navigation, until the staff panel's 在线
# reads N; frames a second over FPS_S (10) s at city, district and street
# zoom while the moves arrive. Reports (JSON) go to OUT_DIR
# (target/bench/bigscreen), screenshots of each view there too; a table at
# the end. SEARCH is the page's query string (`?staff=members` for the
# members path whatever the size; the city decides by default). BUILD_CLIENT=0 keeps the current web-client/dist; STATIC_DIR serves
# another build of the client instead (e.g. the last commit's, to compare); BIN
# (target/release) holds the binaries. COMPARE_DIR, another client build,
# measures the screen ROUNDS (1) times with each of the two in turn on the same
# server (the rows say which: A is STATIC_DIR or this tree's dist, B is
# COMPARE_DIR). LOAD_S (0) lets the moving load run that long before the
# screen opens: with the track rules' thresholds lowered through BENCH_ARGS
# (`--alert-motionless-min 1 --alert-left-grid-min 1`) the screen then opens on
# thousands of running rule alerts, as one left on all day does. OVERDUE (0)
# incidents are made overdue (红色预警) around the street view before the screen
# opens (web-client/e2e/bench/overdue.mjs): red in view at district and street zoom.
set -euo pipefail
cd "$(dirname "$0")/.."

SIZES=${SIZES:-"100000 1000000"}
GRIDS=${GRIDS:-50000}
CAMERAS=${CAMERAS:-200000}
MOVING=${MOVING:-10000}
RATE=${RATE:-2000}
OUT_DIR=${OUT_DIR:-target/bench/bigscreen}
BUILD_CLIENT=${BUILD_CLIENT:-1}
STATIC_DIR=${STATIC_DIR:-}
BIN=${BIN:-target/release}
COMPARE_DIR=${COMPARE_DIR:-}
ROUNDS=${ROUNDS:-1}
LOAD_S=${LOAD_S:-0}
OVERDUE=${OVERDUE:-0}
export RISKMAP_ADMIN_PASSWORD=${RISKMAP_ADMIN_PASSWORD:-Bigscreen-Bench-2026}
# shellcheck source=lib/bench-server.sh
. scripts/lib/bench-server.sh

say() { printf 'bigscreen-bench: %s\n' "$*" >&2; }

bench_binaries "$BIN"
if [ -z "$STATIC_DIR" ]; then
  if [ "$BUILD_CLIENT" != 0 ] || [ ! -f web-client/dist/index.html ]; then
    (cd web-client && npm run build >/dev/null)
  fi
  STATIC_DIR=web-client/dist
fi
mkdir -p "$OUT_DIR"
OUT_DIR=$(cd "$OUT_DIR" && pwd)

work=$(mktemp -d "${TMPDIR:-/tmp}/riskmap-bigscreen.XXXXXX")
# The server serves the client through a link, so that the client measured can change between runs.
clients=("$(cd "$STATIC_DIR" && pwd)")
[ -n "$COMPARE_DIR" ] && clients+=("$(cd "$COMPARE_DIR" && pwd)")
ln -s "${clients[0]}" "$work/client"
riskmap_pid=
load_pid=
stop_all() {
  if [ -n "$load_pid" ]; then
    kill "$load_pid" 2>/dev/null || true
    wait "$load_pid" 2>/dev/null || true
    load_pid=
  fi
  stop_bench_riskmap
}
trap 'status=$?; stop_all; rm -rf "$work"; exit $status' EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

"$BIN/geodata" city --out "$work/base" --grids "$GRIDS" --cameras "$CAMERAS" --staff 0 >/dev/null
rows=()
for n in $SIZES; do
  say "size $n: building the city"
  rm -rf "$work/city" "$work/data"
  # The server's URL is read from its output, which must not be the last size's.
  : >"$work/riskmap.out"
  "$BIN/loadgen" dataset --base "$work/base" --out "$work/city" --staff "$n" >/dev/null
  BENCH_ARGS="--static-dir $work/client ${BENCH_ARGS:-}" start_bench_riskmap "$BIN" "$work" 600
  say "size $n: riskmap at $url"

  moving=$MOVING
  [ "$moving" -gt "$n" ] && moving=$n
  # Runs until stopped: the screen gets moves all through the measurement.
  "$BIN/loadgen" ingest --url "$url" --city "$work/city" --staff "$moving" --rate "$RATE" \
    --gateways 4 --viewers 0 --warmup-s 0 --duration-s 86400 >"$work/ingest.out" 2>&1 &
  load_pid=$!

  if [ "$LOAD_S" -gt 0 ]; then
    say "size $n: the load runs $LOAD_S s before the screen opens"
    sleep "$LOAD_S"
  fi
  if [ "$OVERDUE" -gt 0 ]; then
    RISKMAP_URL=$url OVERDUE=$OVERDUE node web-client/e2e/bench/overdue.mjs
  fi
  for round in $(seq "$ROUNDS"); do
    for c in "${!clients[@]}"; do
      name=$([ "$c" = 0 ] && echo A || echo B)
      ln -sfn "${clients[$c]}" "$work/client"
      json="$OUT_DIR/bigscreen-$n.json" shots=$OUT_DIR
      if [ "${#clients[@]}" -gt 1 ]; then
        json="$OUT_DIR/bigscreen-$n-$name$round.json" shots="$OUT_DIR/$name"
        mkdir -p "$shots"
      fi
      RISKMAP_URL=$url STAFF=$n SHOTS=$shots SEARCH=${SEARCH:-} node web-client/e2e/bench/bigscreen.mjs >"$json"
      # The staff census's passes so far (staff_cells): their mean, ms.
      census_ms=$(curl -sf "$url/metrics" | awk '
        /^riskmap_query_seconds_sum\{query="census"/ { s = $2 }
        /^riskmap_query_seconds_count\{query="census"/ { c = $2 }
        END { if (c > 0) printf "%.1f", 1000 * s / c; else print "-" }')
      rows+=("$(node -e '
        const r = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
        const f = (v) => r.fps[v] ? r.fps[v].fps : "-";
        const alerts = Math.max(0, ...Object.values(r.fps).map((v) => v.alerts_held ?? 0));
        const snap = r.navigation_snapshots[0];
        console.log([process.argv[3], r.staff, r.login_to_full_staff_ms, r.navigation_to_full_staff_ms, r.navigation_to_map_drawn_ms,
          snap ? (snap.chars / 2 ** 20).toFixed(1) : "-", f("city"), f("district"), f("street"),
          alerts, process.argv[2], r.page_errors.length].map((x) => String(x).padStart(10)).join(" "));' "$json" "$census_ms" "$name")")
    done
  done
  stop_all
  cat "$work/riskmap.out" "$work/riskmap.log" >"$OUT_DIR/riskmap-$n.log"
done

echo
echo "== the big screen, headless Chromium 1920×1080, $CAMERAS cameras (ms; snapshot Mi chars; frames/s while $RATE fixes/s move $MOVING staff)"
printf '%10s %10s %10s %10s %10s %10s %10s %10s %10s %10s %10s %10s\n' client staff login_ms nav_ms nav_map_ms snap_Mch fps_city fps_distr fps_street alerts census_ms errors
for r in "${rows[@]}"; do echo "$r"; done
say "reports and screenshots in $OUT_DIR"
