#!/usr/bin/env bash
# The layer rule of docs/ARCHITECTURE.md, checked: imports point down.
#
#   api, serve, cluster → app → {incident, alert, live, store, identity} (+ event) → wire → engine
#
# - nothing below the app layer imports the app, the API, start-up or the
#   simulator;
# - the app layer imports no API;
# - the engine and wire crates know no HTTP, SQL or async (no such
#   dependency, no `async fn`), and build on nothing of the server's (the
#   fuzz targets build them alone);
# - geodata and loadgen build on the engine alone: no axum, no sqlx.
# Exits non-zero, naming each offence.
set -euo pipefail
cd "$(dirname "$0")/.."

fail=0
offence() { printf 'check-layers: %s\n' "$*" >&2; fail=1; }

below_app=(server/src/incident server/src/alert.rs server/src/live server/src/store server/src/identity
           server/src/event.rs server/src/clock.rs server/src/metrics.rs server/src/net server/src/org.rs
           server/src/connector.rs server/src/patrol.rs server/src/venue server/src/fence.rs
           server/src/roster.rs)
while IFS= read -r hit; do
  offence "below the app layer, $hit"
done < <(grep -rnE 'crate::(app|api|serve|simulator|cluster)\b' "${below_app[@]}" || true)

while IFS= read -r hit; do
  offence "the app layer imports the API or start-up: $hit"
done < <(grep -rnE 'crate::(api|serve|simulator|cluster)\b' server/src/app || true)

# The cluster's transport (NATS) sits beside start-up: above the app layer,
# which knows it only as the link it hands records to.
while IFS= read -r hit; do
  offence "the cluster module imports the API or start-up: $hit"
done < <(grep -rnE 'crate::(api|serve)\b' server/src/cluster || true)

for crate in engine wire; do
  if grep -nE '^((tokio|axum|sqlx|hyper|tower|tower-http|reqwest)\b|riskmap[ .=])' "$crate/Cargo.toml"; then
    offence "$crate/Cargo.toml depends on an async, HTTP or SQL crate, or on the server"
  fi
  while IFS= read -r hit; do
    offence "the $crate crate is not async: $hit"
  done < <(grep -rn 'async fn' "$crate/src" || true)
done

for pkg in geodata loadgen; do
  if cargo tree --locked -p "$pkg" -e normal --prefix none 2>/dev/null | grep -qE '^(axum|sqlx) '; then
    offence "$pkg compiles axum or sqlx (cargo tree -p $pkg -e normal)"
  fi
done

if [ "$fail" -ne 0 ]; then
  exit 1
fi
echo "check-layers: imports point down"
