# Sourced by the benchmark scripts (loadtest.sh, peers.sh): starts the
# release `riskmap` on a city for measuring — demo mode on that city, no
# simulator, no per-token rate and no /ws message rate (one token drives all
# the load), no position counted stale (the benchmark cities' fixes are dated
# 2026-01-01: they are the city as it stands), warnings only unless
# BENCH_LOG (a RUST_LOG filter) says otherwise — and waits until it prints
# its URL.
#
#   start_bench_riskmap BIN WORK TIMEOUT_S
#
# BENCH_ARGS (words) are added to the server's flags. BIN holds the
# binaries; the city is WORK/city, the store WORK/data, the
# output WORK/riskmap.out and WORK/riskmap.log. Sets `riskmap_pid` and `url`
# (http://127.0.0.1:PORT); the caller stops the server. Fails with the
# server's log if it exits or is not up within TIMEOUT_S seconds.

start_bench_riskmap() {
  local bin=$1 work=$2 timeout_s=$3 _
  RUST_LOG=${BENCH_LOG:-warn} "$bin/riskmap" serve --listen 127.0.0.1:0 --demo --no-simulator \
    --demo-city "$work/city" --data-dir "$work/data" --requests-per-second 0 \
    --ws-messages-per-second 1000000 \
    --stale-after-s 3153600000 ${BENCH_ARGS:-} \
    >"$work/riskmap.out" 2>"$work/riskmap.log" &
  riskmap_pid=$!
  url=
  for _ in $(seq $((timeout_s * 2))); do
    url=$(sed -n 's|^riskmap is running at \(http://[^/]*\)/$|\1|p' "$work/riskmap.out")
    [ -n "$url" ] && return 0
    if ! kill -0 "$riskmap_pid" 2>/dev/null; then
      cat "$work/riskmap.log" >&2
      echo "riskmap did not start" >&2
      return 1
    fi
    sleep 0.5
  done
  echo "riskmap did not start within $timeout_s s" >&2
  return 1
}

# Builds the release binaries the benchmarks run (riskmap, geodata, loadgen)
# if any is missing from BIN.
#
#   bench_binaries BIN
bench_binaries() {
  local bin
  for bin in riskmap geodata loadgen; do
    if [ ! -x "$1/$bin" ]; then
      cargo build --release --locked -p riskmap -p geodata -p loadgen
      return
    fi
  done
}

# Stops the server start_bench_riskmap started, if it runs.
stop_bench_riskmap() {
  if [ -n "${riskmap_pid:-}" ]; then
    kill "$riskmap_pid" 2>/dev/null || true
    wait "$riskmap_pid" 2>/dev/null || true
    riskmap_pid=
  fi
}

# A fresh temporary directory in `work`, removed on exit, the server stopped
# first.
#
#   bench_workdir NAME
bench_workdir() {
  work=$(mktemp -d "${TMPDIR:-/tmp}/riskmap-$1.XXXXXX")
  trap 'stop_bench_riskmap; rm -rf "$work"' EXIT
}
