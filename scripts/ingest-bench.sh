#!/usr/bin/env bash
# The ingest tail, side by side: the release `riskmap` of BIN_A and of BIN_B
# (directories holding riskmap, geodata and loadgen; BIN_B defaults to
# BIN_A) alternated ROUNDS times on one 10,000-staff city, a fresh SQLite
# store each run, under `loadgen ingest` at RATE fixes/s (all the staff
# moving, 250 fixes a message, 20 gateways) for DURATION_S. After each run
# the server is killed and its store read: how many fixes are still in the
# track log and how many a compaction pass has packed into chunks, i.e.
# whether the compactor kept up; and the server's own times from /metrics
# (each: how many, the mean, the share over 25 and over 50 ms): a batch's
# commit (fix_commit), a request's wait for its commit (fix_persist: the
# queue to the writer, the window, the commit) and its apply to the live
# state (fix_apply). They tell the server's part of an acknowledgement's
# time from the rest (the sockets, the load generator, the machine).
# One line per run in OUT_DIR/results.
#
#   scripts/ingest-bench.sh BIN_A [BIN_B]    # ROUNDS=3 RATE=100000 DURATION_S=15
set -euo pipefail
cd "$(dirname "$0")/.."
a=${1:?usage: scripts/ingest-bench.sh BIN_A [BIN_B]}
b=${2:-$a}
rounds=${ROUNDS:-3}
rate=${RATE:-100000}
duration=${DURATION_S:-15}
out=${OUT_DIR:-target/bench/ingest}
# shellcheck source=lib/bench-server.sh
. scripts/lib/bench-server.sh
bench_binaries "$a"
mkdir -p "$out"
[ -d "$out/base" ] || "$a/geodata" demo --out "$out/base" >/dev/null
[ -d "$out/city" ] || "$a/loadgen" dataset --base "$out/base" --out "$out/city" --staff 10000 >/dev/null
trap 'stop_bench_riskmap' EXIT
for round in $(seq "$rounds"); do
  for label in A B; do
    bin=$a
    [ "$label" = B ] && bin=$b
    work="$out/run"
    rm -rf "$work"
    mkdir -p "$work"
    cp -r "$out/city" "$work/city"
    start_bench_riskmap "$bin" "$work" 120
    "$a/loadgen" ingest --url "$url" --city "$work/city" --staff 10000 --batch 250 \
      --gateways 20 --viewers 0 --duration-s "$duration" --rate "$rate" \
      --server-pid "$riskmap_pid" >"$work/report.txt"
    commits=$(curl -fsS "$url/metrics" | python3 -c '
import sys
buckets, sums, counts = {}, {}, {}
for line in sys.stdin:
    for name in ("fix_commit", "fix_persist", "fix_apply"):
        head = f"riskmap_{name}_seconds"
        if line.startswith(head + "_bucket"):
            le = line.split("le=")[1].split("}")[0].strip(chr(34))
            buckets.setdefault(name, {})[le] = int(line.split()[-1])
        elif line.startswith(head + "_sum"):
            sums[name] = float(line.split()[-1])
        elif line.startswith(head + "_count"):
            counts[name] = int(line.split()[-1])
out = []
for name in ("fix_commit", "fix_persist", "fix_apply"):
    n = counts.get(name, 0)
    if not n:
        continue
    over = lambda le: 100.0 * (n - buckets[name][le]) / n if le in buckets[name] else float("nan")
    out.append(f"{name}.n={n} {name}.mean_ms={1000.0 * sums[name] / n:.1f} "
               f"{name}.over_25ms_pct={over(str(0.025)):.2f} {name}.over_50ms_pct={over(str(0.05)):.2f}")
print(" ".join(out))
')
    # Killed, not stopped: the store as the load left it.
    kill -9 "$riskmap_pid"
    wait "$riskmap_pid" 2>/dev/null || true
    riskmap_pid=
    counts=$(python3 - "$work/data/riskmap.db" <<'PY'
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
tables = {r[0] for r in db.execute("SELECT name FROM sqlite_schema WHERE type = 'table'")}
# A build before the log of packed batches (sqlite/0016) kept a row per fix.
if "track_batches" in tables:
    log = db.execute("SELECT coalesce(sum(fixes), 0) FROM track_batches").fetchone()[0]
else:
    log = db.execute("SELECT count(*) FROM track_log").fetchone()[0]
chunked = db.execute("SELECT coalesce(sum(fixes), 0) FROM track_segments").fetchone()[0]
print(f"in_log={log} in_chunks={chunked}")
PY
)
    figures=$(grep -E 'ack_latency\.(p50|p90|p99|max)_ms|fixes_acked_per_s|server\.cores_busy' \
      "$work/report.txt" | awk '{printf "%s=%s ", $1, $2}')
    echo "round $round $label ($bin): $figures$counts $commits" | tee -a "$out/results"
  done
done
