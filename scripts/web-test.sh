#!/usr/bin/env bash
# The web client's tests: type check and production build (tsc + Vite),
# Vitest for the client's own logic, then the browser tests (web-client/e2e)
# in Debian's Chromium driven by playwright-core, against the real server in
# demo mode (release binary, demo city, simulator on) on a scratch SQLite
# store. Installs Chromium, the CJK fonts and ffmpeg (the video test makes
# its stream) from Debian if missing (needs
# root for that). Screenshots are written to web-client/test-results/ (or
# RISKMAP_SHOTS) for review.
set -euo pipefail
cd "$(dirname "$0")/.."

say() { printf 'web-test: %s\n' "$*" >&2; }

# --- Chromium, the fonts it needs for Chinese labels, ffmpeg (test video) ---
if [ ! -x /usr/bin/chromium ] || [ ! -x /usr/bin/ffmpeg ] || ! fc-list 2>/dev/null | grep -qi 'Noto Sans CJK'; then
  if [ "$(id -u)" -ne 0 ]; then
    say "Chromium, fonts-noto-cjk or ffmpeg are missing and installing them needs root"
    exit 1
  fi
  say "installing chromium, fonts-noto-cjk and ffmpeg from Debian"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
    chromium fonts-noto-cjk fontconfig ffmpeg >/dev/null
fi

# --- the client: install exactly the locked packages, build, unit tests ------
(
  cd web-client
  npm ci --no-audit --no-fund --loglevel=error
  npm run build
  npm test
)

# --- the real server in demo mode --------------------------------------------
# shellcheck source=lib/demo-server.sh
. scripts/lib/demo-server.sh
# The city-wide administrator's password on the fresh store (read only when a
# store has no users yet); the browser tests log in with it. It keeps the
# password rules (no "admin" in it) in case a test ever changes it.
export RISKMAP_ADMIN_PASSWORD="${RISKMAP_ADMIN_PASSWORD:-Riskmap-City-2026}"
# The camera probe every 2 s (the demo's own cameras are placeholders it
# skips): video.mjs imports a camera whose gateway is dead and watches the
# screen turn it offline.
start_demo_server --static-dir web-client/dist --camera-probe-s 2

# --- the browser tests ---------------------------------------------------------
if ! RISKMAP_URL="$base" node web-client/e2e/run.mjs "$@"; then
  say "browser tests failed; the server's log:"
  tail -50 "$server_log" >&2
  exit 1
fi
say "screenshots in ${RISKMAP_SHOTS:-web-client/test-results}"
