#!/usr/bin/env bash
# Builds the demo city of Wenzhou (once) and loads it into the engine.
set -euo pipefail
cd "$(dirname "$0")/.."
out=${RISKMAP_DEMO_DIR:-data/demo}
cargo build --release --locked -p geodata -p riskmap
if [ ! -f "$out/areas.geojson" ]; then
  ./target/release/geodata demo --out "$out"
fi
./target/release/riskmap summary "$out"
