#!/usr/bin/env bash
# The main job: the riskmap server on the demo city of Wenzhou, with the
# embedded SQLite store (data/riskmap) and the simulator moving the staff.
# Builds the demo city once (data/demo). Prints the URL and the demo logins.
set -euo pipefail
cd "$(dirname "$0")/.."
city=${RISKMAP_DEMO_CITY:-data/demo}
cargo build --release --locked -p geodata -p riskmap
if [ ! -f "$city/areas.geojson" ]; then
  ./target/release/geodata demo --out "$city"
fi
exec ./target/release/riskmap serve --demo --demo-city "$city" "$@"
