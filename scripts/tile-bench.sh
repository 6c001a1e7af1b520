#!/usr/bin/env bash
# Vector tiles over HTTP (issue 20's "a z12 camera tile p99 ≤ 5 ms"): a
# city of 50,000 grids and 200,000 cameras (`geodata city`), the server
# started on it, then `loadgen dispatch --target tiles` asks CONCURRENCY
# clients' worth of tiles — the tile of each zoom in ZOOMS over random
# points of the urban core, read back as a map would — with no warm-up, so
# that every tile's first (uncut, uncached) request is measured too.
#
#   scripts/tile-bench.sh                    # ZOOMS="12 14 10" CONCURRENCY=4
#
# SAME_START=1: every client asks the same tiles in the same order (screens
# opening the same view after an import), so each tile's first request
# comes from all of them at once. Prints one line a zoom, with the tiles the
# server has cut so far (riskmap_tile_cuts_total; "n/a" from a build before
# the counter); the JSON reports land in OUT_DIR (target/bench/tiles).
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib/bench-server.sh

BIN=${BIN:-target/release}
ZOOMS=${ZOOMS:-12 14 10}
CONCURRENCY=${CONCURRENCY:-4}
DURATION_S=${DURATION_S:-10}
CAMERAS=${CAMERAS:-200000}
OUT_DIR=${OUT_DIR:-target/bench/tiles}
export RISKMAP_ADMIN_PASSWORD=${RISKMAP_ADMIN_PASSWORD:-Tile-Bench-2026}
say() { printf '[tile-bench] %s\n' "$*" >&2; }

bench_binaries "$BIN"
mkdir -p "$OUT_DIR"
bench_workdir tiles

say "building the city: 50,000 grids, $CAMERAS cameras"
"$BIN/geodata" city --out "$work/city" --grids 50000 --staff 10000 --cameras "$CAMERAS" >/dev/null
start_bench_riskmap "$BIN" "$work" 600
same_start=()
[ "${SAME_START:-0}" = 1 ] && same_start=(--same-start)
for z in $ZOOMS; do
  json="$OUT_DIR/cameras-z$z.json"
  "$BIN/loadgen" dispatch --target tiles --tile-layer cameras --tile-zoom "$z" --url "$url" \
    --user admin --password "$RISKMAP_ADMIN_PASSWORD" --concurrency "$CONCURRENCY" \
    --warmup-s 0 --duration-s "$DURATION_S" --pid "tiles=$riskmap_pid" --json "$json" \
    "${same_start[@]}" >/dev/null
  cuts=$(curl -fsS "$url/metrics" | awk '$1 == "riskmap_tile_cuts_total" { print $2 }')
  [ -n "$cuts" ] || cuts=n/a
  say "cameras z$z: cuts so far $cuts: $(python3 - "$json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
t = r["targets"][0] if "targets" in r else r
print(json.dumps(t))
PY
)"
done
