#!/usr/bin/env bash
# The main job: the riskmap server on the demo city of Wenzhou, with the
# embedded SQLite store (data/riskmap) and the simulator moving the staff.
# Builds the demo city once (data/demo) and the browser client (web-client/dist,
# served at / and /field). Prints the URL and the demo logins.
set -euo pipefail
cd "$(dirname "$0")/.."
city=${RISKMAP_DEMO_CITY:-data/demo}
cargo build --release --locked -p geodata -p riskmap
bin="${CARGO_TARGET_DIR:-target}/release"
# The big screen and the field page: exactly the locked npm packages, built to
# static files (no network at run time). Rebuilt when a source is newer.
if [ ! -d web-client/node_modules ] ||
  [ web-client/package-lock.json -nt web-client/node_modules/.package-lock.json ]; then
  (cd web-client && npm ci --no-audit --no-fund --loglevel=error)
fi
if [ ! -f web-client/dist/index.html ] ||
  [ -n "$(find web-client/src web-client/index.html web-client/field.html -newer web-client/dist/index.html -print -quit)" ]; then
  (cd web-client && npm run build)
fi
if [ ! -f "$city/areas.geojson" ]; then
  "$bin/geodata" demo --out "$city"
fi
exec "$bin/riskmap" serve --demo --demo-city "$city" "$@"
