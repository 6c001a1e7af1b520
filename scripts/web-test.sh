#!/usr/bin/env bash
# The web client's tests: type check and production build (tsc + Vite),
# Vitest for the client's own logic, then the browser tests (web-client/e2e)
# in Debian's Chromium driven by playwright-core, against the real server in
# demo mode (release binary, demo city, simulator on) on a scratch SQLite
# store. Installs Chromium and the CJK fonts from Debian if missing (needs
# root for that). Screenshots are written to web-client/test-results/ (or
# RISKMAP_SHOTS) for review.
set -euo pipefail
cd "$(dirname "$0")/.."

say() { printf 'web-test: %s\n' "$*" >&2; }

# --- Chromium and the fonts it needs for Chinese labels ----------------------
if [ ! -x /usr/bin/chromium ] || ! fc-list 2>/dev/null | grep -qi 'Noto Sans CJK'; then
  if [ "$(id -u)" -ne 0 ]; then
    say "Chromium and fonts-noto-cjk are missing and installing them needs root"
    exit 1
  fi
  say "installing chromium and fonts-noto-cjk from Debian"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
    chromium fonts-noto-cjk fontconfig >/dev/null
fi

# --- the client: install exactly the locked packages, build, unit tests ------
(
  cd web-client
  npm ci --no-audit --no-fund --loglevel=error
  npm run build
  npm test
)

# --- the real server in demo mode --------------------------------------------
cargo build --release --locked -p geodata -p riskmap
scratch=$(mktemp -d)
server_pid=
cleanup() {
  if [ -n "$server_pid" ]; then kill "$server_pid" 2>/dev/null || true; wait "$server_pid" 2>/dev/null || true; fi
  rm -rf "$scratch"
}
trap cleanup EXIT
./target/release/geodata demo --out "$scratch/city" >/dev/null
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
./target/release/riskmap serve --demo --demo-city "$scratch/city" --data-dir "$scratch/data" \
  --listen "127.0.0.1:$port" --static-dir web-client/dist >"$scratch/server.log" 2>&1 &
server_pid=$!
ready=
for _ in $(seq 1 240); do
  if curl -sf "http://127.0.0.1:$port/ready" >/dev/null; then ready=1; break; fi
  if ! kill -0 "$server_pid" 2>/dev/null; then break; fi
  sleep 0.5
done
if [ -z "$ready" ]; then
  say "the server did not become ready; its log:"
  tail -50 "$scratch/server.log" >&2
  exit 1
fi

# --- the browser tests ---------------------------------------------------------
if ! RISKMAP_URL="http://127.0.0.1:$port" node web-client/e2e/run.mjs "$@"; then
  say "browser tests failed; the server's log:"
  tail -50 "$scratch/server.log" >&2
  exit 1
fi
say "screenshots in ${RISKMAP_SHOTS:-web-client/test-results}"
