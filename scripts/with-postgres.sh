#!/usr/bin/env bash
# Runs a command beside a throwaway PostgreSQL 15 + PostGIS 3 cluster:
#
#   scripts/with-postgres.sh cargo test -p riskmap --test store_suite
#
# - installs PostgreSQL 15 and PostGIS 3 from Debian if they are missing
#   (needs root for that; a machine that has them needs nothing);
# - creates a cluster in a fresh temporary directory, owned by the `postgres`
#   OS user when run as root (initdb refuses to run as root);
# - starts it on 127.0.0.1 on a free port (55432 and up), its unix socket in
#   the temporary directory, with fsync on (the same durability as
#   production: a test that passes here would pass on a real server), and
#   room for 200 connections (test suites run many stores side by side);
# - creates the superuser role `riskmap` (password login over TCP) and the
#   database `riskmap`, with PostGIS installed in template1 so every database
#   created afterwards (the store tests create one per run) has it too;
# - exports RISKMAP_TEST_DATABASE_URL=postgres://riskmap:…@127.0.0.1:PORT/riskmap
#   and RISKMAP_TEST_PG_CTL_DIR (holding pg-stop and pg-start, for tests that
#   restart the database under load), and runs the command;
# - always stops the cluster and removes the directory, and exits with the
#   command's status.
set -euo pipefail

PG_MAJOR=15
PG_BIN=/usr/lib/postgresql/$PG_MAJOR/bin
POSTGIS_CONTROL=/usr/share/postgresql/$PG_MAJOR/extension/postgis.control
PORT_FIRST=55432
PORT_LAST=55532

say() { printf 'with-postgres: %s\n' "$*" >&2; }

if [ $# -eq 0 ]; then
  say "usage: $0 COMMAND [ARG...]"
  exit 2
fi

# --- install what is missing ------------------------------------------------
if [ ! -x "$PG_BIN/initdb" ] || [ ! -f "$POSTGIS_CONTROL" ]; then
  if [ "$(id -u)" -ne 0 ]; then
    say "PostgreSQL $PG_MAJOR + PostGIS 3 are not installed and installing them needs root"
    exit 1
  fi
  say "installing PostgreSQL $PG_MAJOR and PostGIS 3"
  apt-get update
  DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
    "postgresql-$PG_MAJOR" "postgresql-$PG_MAJOR-postgis-3"
fi

# --- who runs the server ----------------------------------------------------
# As root, the cluster belongs to the `postgres` user that the Debian package
# creates; anyone else runs it as themselves.
if [ "$(id -u)" -eq 0 ]; then
  if ! id postgres >/dev/null 2>&1; then
    say "there is no postgres OS user to own the cluster"
    exit 1
  fi
  if command -v runuser >/dev/null 2>&1; then
    as_pg() { runuser -u postgres -- "$@"; }
  else
    as_pg() { su postgres -s /bin/sh -c "$(printf '%q ' "$@")"; }
  fi
else
  as_pg() { "$@"; }
fi

# --- the cluster ------------------------------------------------------------
work=$(mktemp -d "${TMPDIR:-/tmp}/riskmap-pg.XXXXXX")
data=$work/data
log=$work/postgres.log
started=

cleanup() {
  local status=$?
  if [ -n "$started" ]; then
    as_pg "$PG_BIN/pg_ctl" -D "$data" -m fast -w -t 60 stop >/dev/null 2>&1 ||
      as_pg "$PG_BIN/pg_ctl" -D "$data" -m immediate -w -t 30 stop >/dev/null 2>&1 ||
      say "could not stop the cluster in $data"
  fi
  rm -rf "$work"
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'exit 129' HUP

if [ "$(id -u)" -eq 0 ]; then
  chown postgres: "$work"
fi
chmod 700 "$work"

# A random password for the TCP login: the cluster is throwaway, but it
# listens on a port every local user can reach.
password=$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')
pwfile=$work/pwfile
printf '%s\n' "$password" >"$pwfile"
if [ "$(id -u)" -eq 0 ]; then
  chown postgres: "$pwfile"
fi
chmod 600 "$pwfile"

as_pg "$PG_BIN/initdb" -D "$data" -U riskmap --pwfile="$pwfile" \
  --auth-local=trust --auth-host=scram-sha-256 \
  --encoding=UTF8 --locale=C.UTF-8 >"$work/initdb.log" 2>&1 || {
  cat "$work/initdb.log" >&2
  say "initdb failed"
  exit 1
}
rm -f "$pwfile"

port_in_use() {
  # Bash's /dev/tcp: the connect succeeds only if something listens there.
  (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

port=
for candidate in $(seq "$PORT_FIRST" "$PORT_LAST"); do
  if port_in_use "$candidate"; then
    continue
  fi
  # Someone may take the port between the check and the start: then the
  # start fails and the next port is tried.
  if as_pg "$PG_BIN/pg_ctl" -D "$data" -l "$log" -w -t 60 -o \
    "-c listen_addresses=127.0.0.1 -p $candidate -k $work -c fsync=on -c synchronous_commit=on -c full_page_writes=on -c max_connections=200" \
    start >/dev/null 2>&1; then
    port=$candidate
    started=1
    break
  fi
done
if [ -z "$port" ]; then
  [ -f "$log" ] && tail -n 20 "$log" >&2
  say "could not start PostgreSQL on any port in $PORT_FIRST..$PORT_LAST"
  exit 1
fi

psql_admin() {
  # Over the unix socket in $work, where the role is trusted.
  "$PG_BIN/psql" -X -q -v ON_ERROR_STOP=1 -h "$work" -p "$port" -U riskmap "$@"
}
psql_admin -d template1 -c "CREATE EXTENSION IF NOT EXISTS postgis"
psql_admin -d postgres -c "CREATE DATABASE riskmap"

export RISKMAP_TEST_DATABASE_URL="postgres://riskmap:$password@127.0.0.1:$port/riskmap"
# For fault tests: stop and start this cluster (same port and settings).
if [ "$(id -u)" -eq 0 ]; then run_as="runuser -u postgres --"; else run_as=""; fi
cat >"$work/pg-stop" <<STOP
#!/bin/sh
exec $run_as "$PG_BIN/pg_ctl" -D "$data" -m fast -w -t 60 stop
STOP
cat >"$work/pg-start" <<START
#!/bin/sh
exec $run_as "$PG_BIN/pg_ctl" -D "$data" -l "$log" -w -t 60 -o "-c listen_addresses=127.0.0.1 -p $port -k $work -c fsync=on -c synchronous_commit=on -c full_page_writes=on -c max_connections=200" start
START
chmod 755 "$work/pg-stop" "$work/pg-start"
export RISKMAP_TEST_PG_CTL_DIR="$work"
say "PostgreSQL $PG_MAJOR ($("$PG_BIN/postgres" --version | awk '{print $3}')) with PostGIS $(psql_admin -d riskmap -tA -c 'SELECT postgis_lib_version()') on 127.0.0.1:$port"

# The command runs in the background so that a signal to this script is
# handled at once (bash defers traps until a foreground command ends): it is
# passed on to the command, and the cleanup runs when the command has ended.
# `<&0` keeps our standard input (a background command would get /dev/null).
set +e
"$@" <&0 &
child=$!
forward() { kill "-$1" "$child" 2>/dev/null; }
trap 'forward INT' INT
trap 'forward TERM' TERM
trap 'forward HUP' HUP
wait "$child"
status=$?
# A signal interrupts `wait` (status > 128) while the command may still be
# running: wait for it to really end, and report its own status.
while kill -0 "$child" 2>/dev/null; do
  wait "$child"
  status=$?
done
set -e
exit "$status"
