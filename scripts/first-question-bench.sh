#!/usr/bin/env bash
# The first patrol coverage question right after a start, side by side: the
# release `riskmap` of BIN_A and of BIN_B (directories holding riskmap and
# geodata; BIN_B defaults to BIN_A) alternated ROUNDS times on the demo
# city, simulator on. Each round restarts the server on a store made once,
# asks `GET /api/patrol/coverage` (the whole city) as soon as it is ready,
# posts a field worker's fix 30 ms into that question and asks a nearest
# query after the fix: the fix and the query tell whether the question held
# up the server (the grids' cells are counted after start; a question that
# comes first counts what it needs). One line per run on standard output.
#
#   scripts/first-question-bench.sh BIN_A [BIN_B]    # ROUNDS=4
set -euo pipefail
cd "$(dirname "$0")/.."
a=${1:?usage: scripts/first-question-bench.sh BIN_A [BIN_B]}
b=${2:-$a}
rounds=${ROUNDS:-4}
# shellcheck source=lib/bench-server.sh
. scripts/lib/bench-server.sh
bench_workdir first-question
"$a/geodata" demo --out "$work/base" >/dev/null

start() {
  RUST_LOG=warn "$1/riskmap" serve --listen 127.0.0.1:0 --demo --demo-city "$work/base" \
    --data-dir "$work/data" --requests-per-second 0 >"$work/out" 2>"$work/log" &
  riskmap_pid=$!
  url=
  # Polled often: the question must come in the first moments.
  for _ in $(seq 30000); do
    url=$(sed -n 's|^riskmap is running at \(http://[^/]*\)/$|\1|p' "$work/out")
    [ -n "$url" ] && return 0
    kill -0 "$riskmap_pid" 2>/dev/null || { cat "$work/log" >&2; return 1; }
    sleep 0.01
  done
  return 1
}
token() {
  curl -fsS -X POST "$url/api/auth/login" -H 'content-type: application/json' \
    -d "{\"username\":\"$1\",\"password\":\"riskmap-demo\"}" | python3 -c 'import json,sys; print(json.load(sys.stdin)["token"])'
}

# The store and the logins' sessions, made once (the first start imports).
start "$a"
dispatcher=$(token dispatcher)
field=$(token field)
stop_bench_riskmap

for round in $(seq "$rounds"); do
  for label in A B; do
    bin=$a
    [ "$label" = B ] && bin=$b
    : >"$work/out"
    start "$bin"
    curl -fsS -o /dev/null -w '%{time_total}' -H "authorization: Bearer $dispatcher" \
      "$url/api/patrol/coverage" >"$work/coverage" &
    question=$!
    sleep 0.03
    t=$(($(date +%s%3N) - 1000))
    fix=$(curl -fsS -o /dev/null -w '%{time_total}' -X POST "$url/api/fixes" \
      -H "authorization: Bearer $field" -H 'content-type: application/json' \
      -d "{\"fixes\":[{\"lon\":120.66,\"lat\":28.01,\"t\":$t}]}")
    nearest=$(curl -fsS -o /dev/null -w '%{time_total}' -H "authorization: Bearer $dispatcher" \
      "$url/api/dispatch/nearest?lon=120.66&lat=28.01&k=5")
    wait "$question"
    sleep 0.5
    later=$(curl -fsS -o /dev/null -w '%{time_total}' -H "authorization: Bearer $dispatcher" \
      "$url/api/patrol/coverage")
    echo "round $round $label ($bin): first_coverage_s=$(cat "$work/coverage") fix_s=$fix nearest_s=$nearest coverage_later_s=$later"
    stop_bench_riskmap
  done
done
