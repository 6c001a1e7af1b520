#!/usr/bin/env bash
# Pages of the OGC staff collection, and the collections, at a million staff, side by side: the
# release `riskmap` of BIN_A and of BIN_B (directories holding riskmap and
# geodata; BIN_B defaults to BIN_A) alternated ROUNDS times on one city of
# 1,000,000 staff (`geodata city`). Each run asks REPEATS times, in turn, a
# big screen's count (`limit=1`), the second page of an administrator's
# list (`limit=1000&offset=1000`), a deep page (`offset=500000`) and the
# collections with their extents (`/ogc/collections`), each answered under
# the engine's read lock; the median, least and most of each.
# One line per run on standard output.
#
#   scripts/ogc-page-bench.sh BIN_A [BIN_B]    # ROUNDS=2 REPEATS=8
set -euo pipefail
cd "$(dirname "$0")/.."
a=${1:?usage: scripts/ogc-page-bench.sh BIN_A [BIN_B]}
b=${2:-$a}
rounds=${ROUNDS:-2}
repeats=${REPEATS:-8}
# shellcheck source=lib/bench-server.sh
. scripts/lib/bench-server.sh
bench_workdir ogc-page
"$a/geodata" city --grids 50000 --staff 1000000 --cameras 20000 --out "$work/city" >/dev/null

for round in $(seq "$rounds"); do
  for label in A B; do
    bin=$a
    [ "$label" = B ] && bin=$b
    start_bench_riskmap "$bin" "$work" 600
    token=$(curl -fsS -X POST "$url/api/auth/login" -H 'content-type: application/json' \
      -d '{"username":"dispatcher","password":"riskmap-demo"}' |
      python3 -c 'import json,sys; print(json.load(sys.stdin)["token"])')
    : >"$work/times"
    for _ in $(seq "$repeats"); do
      for q in /staff/items?limit=1 '/staff/items?limit=1000&offset=1000' \
        '/staff/items?limit=1000&offset=500000' ''; do
        curl -fsS -o /dev/null -w "${q:-/collections} %{time_total}\n" \
          -H "authorization: Bearer $token" "$url/ogc/collections$q" >>"$work/times"
      done
    done
    echo "round $round $label ($bin): $(python3 -c '
import collections, sys
d = collections.defaultdict(list)
for line in open(sys.argv[1]):
    q, t = line.split()
    d[q].append(float(t) * 1000)
print("; ".join(f"{q} median {sorted(v)[len(v) // 2]:.0f} ms (min {min(v):.0f}, max {max(v):.0f})" for q, v in d.items()))' "$work/times")"
    stop_bench_riskmap
  done
done
