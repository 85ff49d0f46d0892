#!/usr/bin/env bash
# Starts a throwaway PostgreSQL 15 cluster for the store tests (or finds the one already running)
# and prints its connection URL on stdout, so that:
#   export HOOKGATE_TEST_POSTGRES_URL=$(./scripts/start-postgres.sh)
# Needs Debian 12's `postgresql` package (scripts/setup-debian.sh). Run as root, the server runs
# as the `postgres` user; run as anyone else, it runs as that user. It listens on 127.0.0.1 only
# and trusts every local connection: it holds test data and nothing else. Safe to run again.
# Stop it with: pg_ctl -D /tmp/hookgate-pg/data stop (as the user it runs as).
set -euo pipefail

bin=${HOOKGATE_PG_BIN:-/usr/lib/postgresql/15/bin}
dir=${HOOKGATE_PG_DIR:-/tmp/hookgate-pg}
database=hookgate_test
first_port=${HOOKGATE_PG_PORT:-55432}

log() { echo "start-postgres: $*" >&2; }

[ -x "$bin/pg_ctl" ] || { log "no PostgreSQL 15 in $bin (apt-get install postgresql)"; exit 1; }

as_server=()
if [ "$(id -u)" -eq 0 ]; then
  # PostgreSQL refuses to run as root.
  as_server=(runuser -u postgres --)
fi
server() { "${as_server[@]}" "$@"; }

mkdir -p "$dir"
[ "${#as_server[@]}" -eq 0 ] || chown postgres: "$dir"
chmod 700 "$dir"

if [ ! -f "$dir/data/PG_VERSION" ]; then
  log "initdb $dir/data"
  rm -rf "$dir/data"
  server "$bin/initdb" -D "$dir/data" -U postgres --auth=trust --encoding=UTF8 --locale=C.UTF-8 \
    >"$dir/initdb.log" 2>&1 || { cat "$dir/initdb.log" >&2; exit 1; }
fi
server mkdir -p "$dir/socket"

port_in_use() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

if server "$bin/pg_ctl" -D "$dir/data" status >/dev/null 2>&1 && [ -f "$dir/port" ]; then
  port=$(cat "$dir/port")
else
  # A port another program listens on makes pg_ctl fail: try the next few.
  port=$first_port
  started=no
  for _ in $(seq 1 20); do
    if ! port_in_use "$port" &&
      server "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
        -o "-c listen_addresses=127.0.0.1 -p $port -k $dir/socket -c max_connections=300" \
        start >/dev/null; then
      started=yes
      break
    fi
    port=$((port + 1))
  done
  [ "$started" = yes ] || { log "could not start; see $dir/server.log"; tail -20 "$dir/server.log" >&2; exit 1; }
  echo "$port" | server tee "$dir/port" >/dev/null
  log "running on 127.0.0.1:$port (data in $dir/data)"
fi

psql_admin() { server "$bin/psql" -h 127.0.0.1 -p "$port" -U postgres -d postgres -XqtA "$@"; }
for _ in $(seq 1 50); do
  server "$bin/pg_isready" -q -h 127.0.0.1 -p "$port" && break
  sleep 0.2
done
if [ "$(psql_admin -c "SELECT 1 FROM pg_database WHERE datname = '$database'")" != 1 ]; then
  psql_admin -c "CREATE DATABASE $database"
fi

echo "postgresql://postgres@127.0.0.1:$port/$database"
