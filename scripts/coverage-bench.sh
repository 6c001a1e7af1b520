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
# the city's patrol log, 巡查台账, instead; any GET path will do).
# INCIDENTS=N gives the store a city's incident history first: N closed
# incidents of the last year at staff positions in their home grids (copies
# of one reported through the API, written into the SQLite store), for the
# questions that scan the incident book (`/api/risk/analysis?from=…`).
# REPORTS_EVERY_S=S also reports an incident every S seconds through the
# API and times each (`reports.`): what a hotline operator waits while the
# questions run. VIEWERS=N connects N `/ws` viewers subscribed to
# VIEWER_LAYERS (default `staff`; `staff,stats` has the server push the
# day's incident statistics every second). One line per run on standard
# output: the fixes' acknowledgement times, and how many answers came and
# how long they took (`answers.`) (median, 90th percentile, slowest).
#
#   scripts/coverage-bench.sh BIN_A [BIN_B]
#   # ROUNDS=3 RATE=20000 DURATION_S=15 ASKERS=1 PAUSE_S=0.5 QUESTION=/api/patrol/coverage INCIDENTS=0
#   # REPORTS_EVERY_S=0 VIEWERS=0 VIEWER_LAYERS=staff
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
incidents=${INCIDENTS:-0}
reports_every=${REPORTS_EVERY_S:-0}
viewers=${VIEWERS:-0}
viewer_layers=${VIEWER_LAYERS:-staff}
# shellcheck source=lib/bench-server.sh
. scripts/lib/bench-server.sh
bench_binaries "$a"
bench_workdir coverage
"$a/geodata" city --out "$work/base" --grids 50000 --staff 100000 --cameras 1000 >/dev/null

login() {
  curl -fsS -X POST "$url/api/auth/login" -H 'content-type: application/json' \
    -d '{"username":"dispatcher","password":"riskmap-demo"}' |
    python3 -c 'import json,sys; print(json.load(sys.stdin)["token"])'
}

# The store every run starts from: empty, or with the incident history.
mkdir -p "$work/base-data"
if [ "$incidents" -gt 0 ]; then
  cp -r "$work/base" "$work/city"
  start_bench_riskmap "$a" "$work" 300
  curl -fsS -o /dev/null -X POST "$url/api/incidents" -H "authorization: Bearer $(login)" \
    -H 'content-type: application/json' -d '{"category":"0101","source":"hotline",
      "priority":"normal","lon":120.664,"lat":28.003,"description":"history"}'
  stop_bench_riskmap
  python3 - "$work/data/riskmap.db" "$work/base/staff.geojson" "$incidents" <<'PY'
import json, random, sqlite3, sys, time
db_path, staff_path, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
staff = [(f["geometry"]["coordinates"], f["properties"]["home_grid"])
         for f in json.load(open(staff_path))["features"]]
db = sqlite3.connect(db_path)
cur = db.execute("select * from incidents limit 1")
cols = [d[0] for d in cur.description]
row, at = list(cur.fetchone()), {c: i for i, c in enumerate(cols)}
rng, now = random.Random(7), int(time.time() * 1000)
rows = []
for k in range(n):
    r = row[:]
    (lon, lat), grid = rng.choice(staff)
    created = now - rng.randrange(365 * 86_400_000)
    r[at["id"]] = f"SJH{k:08d}"
    r[at["lon"]], r[at["lat"]], r[at["grid"]], r[at["area"]] = lon, lat, grid, grid
    r[at["created_ms"]] = r[at["updated_ms"]] = r[at["step_started_ms"]] = created
    r[at["state"]], r[at["on_time"]] = "closed", 1
    r[at["handled_ms"]], r[at["closed_ms"]] = created + 3_600_000, created + 7_200_000
    rows.append(r)
db.executemany(f"insert into incidents ({','.join(cols)}) values ({','.join('?' * len(cols))})", rows)
db.commit()
PY
  rm -rf "$work/base-data"
  mv "$work/data" "$work/base-data"
fi

# Asks the question back to back until the load generator is gone, each
# answer's time (seconds) a line of $1.
ask() {
  while kill -0 "$load" 2>/dev/null; do
    curl -fsS -o /dev/null -w '%{time_total}\n' -H "authorization: Bearer $token" \
      "$url$question" >>"$1"
    sleep "$pause"
  done
}

# Reports an incident every $reports_every seconds until the load generator
# is gone, each report's time a line of $1.
report() {
  while kill -0 "$load" 2>/dev/null; do
    curl -fsS -o /dev/null -w '%{time_total}\n' -X POST "$url/api/incidents" \
      -H "authorization: Bearer $token" -H 'content-type: application/json' \
      -d '{"category":"0101","source":"hotline","priority":"normal","lon":120.664,
        "lat":28.003,"description":"bench"}' >>"$1"
    sleep "$reports_every"
  done
}

# "NAME.n=… NAME.p50_ms=… NAME.p90_ms=… NAME.max_ms=…" of the times in $2.
summary() {
  python3 - "$1" "$2" <<'PY'
import sys
name, t = sys.argv[1], sorted(float(x) * 1000 for x in open(sys.argv[2]) if x.strip())
if not t:
    print(f"{name}.n=0")
else:
    at = lambda q: t[min(len(t) - 1, int(q * len(t)))]
    print(f"{name}.n={len(t)} {name}.p50_ms={at(0.5):.0f} {name}.p90_ms={at(0.9):.0f} "
          f"{name}.max_ms={t[-1]:.0f}")
PY
}

for round in $(seq "$rounds"); do
  for label in A B; do
    bin=$a
    [ "$label" = B ] && bin=$b
    rm -rf "$work/data" "$work/city"
    cp -r "$work/base" "$work/city"
    cp -r "$work/base-data" "$work/data"
    start_bench_riskmap "$bin" "$work" 300
    token=$(login)
    "$a/loadgen" ingest --url "$url" --city "$work/city" --staff 10000 --batch 250 \
      --gateways 20 --viewers "$viewers" --viewer-layers "$viewer_layers" \
      --duration-s "$duration" --rate "$rate" \
      --server-pid "$riskmap_pid" >"$work/report.txt" &
    load=$!
    sleep 3
    : >"$work/times"
    : >"$work/reports"
    pids=()
    for _ in $(seq "$askers"); do
      ask "$work/times" &
      pids+=($!)
    done
    if [ "$reports_every" != 0 ]; then
      report "$work/reports" &
      pids+=($!)
    fi
    wait "$load" "${pids[@]}"
    stop_bench_riskmap
    figures=$(grep -E 'ack_latency\.(p50|p90|p99|max)_ms|fixes_acked_per_s' "$work/report.txt" |
      awk '{printf "%s=%s ", $1, $2}')
    answers=$(summary answers "$work/times")
    reports=""
    [ "$reports_every" != 0 ] && reports=" $(summary reports "$work/reports")"
    echo "round $round $label ($bin): $figures$answers$reports"
  done
done
