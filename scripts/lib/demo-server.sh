# Sourced by the test scripts that drive the real server from outside
# (schemathesis.sh, web-test.sh): builds the release binaries if needed,
# writes the demo city to a scratch directory and starts
# `riskmap serve --demo` on it, on a free loopback port, with a scratch store.
#
#   start_demo_server [EXTRA SERVE ARGS...]
#
# Sets `base` (http://127.0.0.1:PORT), `scratch` (removed on exit) and
# `server_log`; stops the server on exit. Fails with the server's log if it
# does not become ready.

start_demo_server() {
  cargo build --release --locked -p geodata -p riskmap
  # Where cargo put them (CARGO_TARGET_DIR, when a build directory is shared).
  local bin="${CARGO_TARGET_DIR:-target}/release"
  scratch=$(mktemp -d)
  server_log="$scratch/server.log"
  _demo_server_pid=
  trap _stop_demo_server EXIT
  "$bin/geodata" demo --out "$scratch/city" >/dev/null
  local port
  port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
  base="http://127.0.0.1:$port"
  "$bin/riskmap" serve --demo --demo-city "$scratch/city" --data-dir "$scratch/data" \
    --listen "127.0.0.1:$port" "$@" >"$server_log" 2>&1 &
  _demo_server_pid=$!
  local _
  for _ in $(seq 1 240); do
    if curl -sf "$base/ready" >/dev/null; then return 0; fi
    if ! kill -0 "$_demo_server_pid" 2>/dev/null; then break; fi
    sleep 0.5
  done
  echo "the server did not become ready; its log:" >&2
  tail -50 "$server_log" >&2
  return 1
}

_stop_demo_server() {
  if [ -n "${_demo_server_pid:-}" ]; then
    kill "$_demo_server_pid" 2>/dev/null || true
    wait "$_demo_server_pid" 2>/dev/null || true
  fi
  rm -rf "${scratch:-}"
}
