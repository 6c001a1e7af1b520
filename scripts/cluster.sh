#!/usr/bin/env bash
# A riskmap cluster on this machine, on loopback: nats-server with JetStream
# (file storage), a throwaway PostgreSQL + PostGIS (scripts/with-postgres.sh),
# and three riskmap nodes on the demo city sharing them. Prints each node's
# URL; Ctrl-C stops everything (the database and the log are thrown away).
#
#   scripts/cluster.sh            three nodes on ports 8081, 8082, 8083
#   NODES=5 BASE_PORT=9000 scripts/cluster.sh
#
# Installs nats-server from Debian if it is missing (needs root for that).
# docs/DEPLOY.md explains a production layout.
set -euo pipefail
cd "$(dirname "$0")/.."

NODES=${NODES:-3}
BASE_PORT=${BASE_PORT:-8081}
NATS_PORT=${NATS_PORT:-4222}
say() { printf 'cluster: %s\n' "$*" >&2; }

if [ -z "${RISKMAP_TEST_DATABASE_URL:-}" ]; then
  exec ./scripts/with-postgres.sh "$0" "$@"
fi

if ! command -v nats-server >/dev/null 2>&1 && [ ! -x /usr/sbin/nats-server ]; then
  if [ "$(id -u)" -ne 0 ]; then
    say "nats-server is not installed and installing it needs root (apt-get install nats-server)"
    exit 1
  fi
  say "installing nats-server from Debian"
  apt-get update
  DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends nats-server
fi
nats_server=$(command -v nats-server || echo /usr/sbin/nats-server)

cargo build --release --locked -p geodata -p riskmap
bin="${CARGO_TARGET_DIR:-target}/release"
if [ ! -f web-client/dist/index.html ]; then
  (cd web-client && npm ci --no-audit --no-fund --loglevel=error && npm run build)
fi
city=${RISKMAP_DEMO_CITY:-data/demo}
if [ ! -f "$city/areas.geojson" ]; then
  "$bin/geodata" demo --out "$city"
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/riskmap-cluster.XXXXXX")
pids=()
stop_all() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
  rm -rf "$work"
}
trap stop_all EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

"$nats_server" -a 127.0.0.1 -p "$NATS_PORT" -js -sd "$work/jetstream" >"$work/nats.log" 2>&1 &
pids+=($!)
for _ in $(seq 1 100); do
  if (exec 3<>"/dev/tcp/127.0.0.1/$NATS_PORT") 2>/dev/null; then break; fi
  sleep 0.1
done
say "nats-server $("$nats_server" --version | awk '{print $2}') with JetStream on nats://127.0.0.1:$NATS_PORT"

# The first node loads the demo city into the empty database; the others
# start once it is ready and find the city there.
export RISKMAP_DATABASE_URL=$RISKMAP_TEST_DATABASE_URL
for i in $(seq 1 "$NODES"); do
  port=$((BASE_PORT + i - 1))
  "$bin/riskmap" serve --demo --demo-city "$city" --data-dir "$work/node$i" \
    --listen "127.0.0.1:$port" --cluster "nats://127.0.0.1:$NATS_PORT" --node-id "n$i" \
    >"$work/node$i.log" 2>&1 &
  pids+=($!)
  ready=
  for _ in $(seq 1 600); do
    if curl -sf "http://127.0.0.1:$port/ready" >/dev/null; then ready=1; break; fi
    sleep 0.2
  done
  if [ -z "$ready" ]; then
    say "node n$i did not become ready; its log:"
    tail -30 "$work/node$i.log" >&2
    exit 1
  fi
done

echo
echo "riskmap cluster: $NODES nodes over PostGIS and NATS JetStream"
for i in $(seq 1 "$NODES"); do
  echo "  node n$i: http://127.0.0.1:$((BASE_PORT + i - 1))/   (metrics: /metrics)"
done
echo "  NATS: nats://127.0.0.1:$NATS_PORT   logs: $work"
echo "demo logins (password riskmap-demo): commander, dispatcher, screen, district, field"
echo "Ctrl-C stops the cluster."
wait "${pids[0]}"
