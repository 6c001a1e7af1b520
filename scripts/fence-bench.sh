#!/usr/bin/env bash
# Ingest with and without geofences (issue 17's fence budget): a city of
# 50,000 grids (each worker's own grid is a fence: 脱岗), 2,000 risk sources
# all buffered 100 m (--risk-buffer-level 4) and 10,000 administrators'
# polygons over the urban core where the staff walk, against the same city
# with no buffers and no polygons. Rounds alternate (off, on, off, on …),
# each on a fresh store; `loadgen ingest` offers RATE fixes/s (0: as fast as
# acknowledged) for DURATION_S.
#
#   scripts/fence-bench.sh                 # RATE=100000 ROUNDS=2
#   RATE=0 scripts/fence-bench.sh          # the ceiling
#
# Prints one line a round; the JSON reports land in OUT_DIR
# (target/bench/fences).
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib/bench-server.sh

BIN=${BIN:-target/release}
RATE=${RATE:-100000}
ROUNDS=${ROUNDS:-2}
DURATION_S=${DURATION_S:-8}
STAFF=${STAFF:-10000}
FENCES=${FENCES:-10000}
OUT_DIR=${OUT_DIR:-target/bench/fences}
export RISKMAP_ADMIN_PASSWORD=${RISKMAP_ADMIN_PASSWORD:-Fence-Bench-2026}
say() { printf '[fence-bench] %s\n' "$*" >&2; }

bench_binaries "$BIN"
mkdir -p "$OUT_DIR"
bench_workdir fences

say "building the city: 50,000 grids, 2,000 risk sources, $STAFF staff"
"$BIN/geodata" city --out "$work/base" --grids 50000 --staff 1000 --risk-sources 2000 >/dev/null
"$BIN/loadgen" dataset --base "$work/base" --out "$work/city" --staff "$STAFF" >/dev/null
# The administrators' polygons: squares of 50–300 m, seeded, over the box
# the staff walk in (loadgen's Wenzhou urban core).
python3 - "$FENCES" >"$work/fences.geojson" <<'PY'
import json, random, sys
random.seed(17)
w, s, e, n = 120.55, 27.90, 120.80, 28.10
features = []
for i in range(int(sys.argv[1])):
    x, y = random.uniform(w, e), random.uniform(s, n)
    d = random.uniform(0.0005, 0.003)
    ring = [[x, y], [x + d, y], [x + d, y + d], [x, y + d], [x, y]]
    features.append({"type": "Feature", "id": f"bench-{i}",
                     "geometry": {"type": "Polygon", "coordinates": [ring]},
                     "properties": {"name": f"围栏{i}", "detect": ["enter", "exit"]}})
json.dump({"type": "FeatureCollection", "features": features}, sys.stdout)
PY

for round in $(seq "$ROUNDS"); do
  for mode in off on; do
    rm -rf "$work/data"
    if [ "$mode" = on ]; then
      BENCH_ARGS="--risk-buffer-m 100 --risk-buffer-level 4"
    else
      BENCH_ARGS="--risk-buffer-m 0"
    fi
    BENCH_ARGS="$BENCH_ARGS --max-import-bytes 268435456" start_bench_riskmap "$BIN" "$work" 600
    if [ "$mode" = on ]; then
      token=$(curl -sf "$url/api/auth/login" -H 'content-type: application/json' \
        -d "{\"username\":\"admin\",\"password\":\"$RISKMAP_ADMIN_PASSWORD\"}" |
        sed -n 's/.*"token":"\([^"]*\)".*/\1/p')
      curl -sf -X PUT "$url/api/fences" -H "authorization: Bearer $token" \
        -H 'content-type: application/json' --data-binary @"$work/fences.geojson" >/dev/null
    fi
    json="$OUT_DIR/ingest-$mode-$round.json"
    "$BIN/loadgen" ingest --url "$url" --city "$work/city" --staff "$STAFF" --rate "$RATE" \
      --batch 250 --gateways 20 --viewers 0 --duration-s "$DURATION_S" \
      --server-pid "$riskmap_pid" --json "$json" >/dev/null
    stop_bench_riskmap
    say "round $round, fences $mode: $(python3 - "$json" "$work/data/riskmap.db" <<'PY'
import json, sqlite3, sys
r = json.load(open(sys.argv[1]))
a = r["ack_latency"]
cpu = (r.get("server") or {}).get("cpu_s")
alerts = sqlite3.connect(sys.argv[2]).execute(
    "SELECT kind, count(*) FROM alerts GROUP BY kind").fetchall()
print("acked %.0f/s, ack p50 %s ms, p99 %s ms, errors %s, server CPU %s s, alerts %s"
      % (r["fixes_acked_per_s"], a["p50_ms"], a["p99_ms"], r["errors"], cpu, dict(alerts)))
PY
)"
  done
done
