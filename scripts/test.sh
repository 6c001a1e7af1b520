#!/usr/bin/env bash
# Every check and test riskmap has, from a fresh clone: formatting, lints
# (warnings are errors), the unit, property and integration tests of the whole
# workspace on the embedded SQLite store, then the integration tests again on
# a throwaway PostgreSQL + PostGIS cluster (installed from Debian if missing,
# started on loopback, stopped at the end), then bounded fuzzing of the
# decoders of untrusted input, schemathesis against the OpenAPI document, and
# the web client: its build, Vitest, and the browser tests in Debian's
# Chromium against the real server in demo mode.
set -euo pipefail
cd "$(dirname "$0")/.."

started=$(date +%s)
# Each step says when it began (seconds since the start), so a slow step
# shows in the log.
step() { printf '\n==> %s (+%ss)\n' "$*" "$(($(date +%s) - started))"; }

# A run of every test builds once from clean (CI's fresh clone): incremental
# compilation's caches would only cost time and gigabytes of disk there. A
# full disk shows up as other failures (the PostGIS cluster's WAL), so the
# space left is printed first.
export CARGO_INCREMENTAL=${CARGO_INCREMENTAL:-0}

step "toolchain"
df -h .
cargo --version
cargo fmt --version
cargo clippy --version

step "cargo fmt --check"
cargo fmt --all -- --check

step "cargo clippy -D warnings"
cargo clippy --workspace --all-targets --locked -- -D warnings

step "layers point down (scripts/check-layers.sh)"
./scripts/check-layers.sh

step "cargo test (SQLite)"
cargo test --workspace --locked

step "integration tests on PostgreSQL + PostGIS, and the cluster (NATS JetStream)"
# The cluster tests run Debian's nats-server: installed if missing.
if [ ! -x /usr/sbin/nats-server ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "nats-server is missing and installing it needs root (apt-get install nats-server)" >&2
    exit 1
  fi
  apt-get update
  DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends nats-server
fi
# The tests that touch the store (the others do not change with it), and
# the cluster's. Selected from the whole workspace, as the step above built
# them: naming packages would resolve the dependencies' features afresh and
# build them again.
./scripts/with-postgres.sh cargo test --workspace --locked \
  --test store_suite --test live_server --test live_ws --test ogc_api --test ogc_import --test incidents --test incident_views --test guard \
  --test access_matrix --test kill --test pg_restart --test security --test first_run \
  --test accounts --test duty --test sos --test patrol --test venues --test fences --test roster --test risk --test organisation --test import --test citizen --test intake --test cluster

step "fuzzing: /ws messages, OsmAnd, GeoJSON import (cargo-fuzz, bounded)"
FUZZ_SECONDS=${FUZZ_SECONDS:-20} ./scripts/fuzz.sh

step "schemathesis against /api/openapi.json"
./scripts/schemathesis.sh

step "web client: build, Vitest, browser tests in Chromium (playwright-core)"
./scripts/web-test.sh

step "done"
