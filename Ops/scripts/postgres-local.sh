#!/usr/bin/env bash
# Starts a throwaway PostgreSQL 15 on a loopback port in a temp directory (initdb refuses root:
# everything runs as the `postgres` user), with role and database `kk` and a random password
# (scram-sha-256 over TCP only). Prints "PORT PID DIR PASSWORD".
# Stop it with: runuser -u postgres -- /usr/lib/postgresql/15/bin/pg_ctl -D DIR/data -w stop
# (or kill PID: the postmaster shuts down on SIGTERM), then rm -rf DIR.
set -euo pipefail
PGBIN=${PGBIN:-/usr/lib/postgresql/15/bin}
port=${1:-$(( 20000 + RANDOM % 20000 ))}
dir=$(mktemp -d /tmp/kk-pg.XXXXXX)
password=$(openssl rand -hex 16)
mkdir -p "$dir/sock"
chown -R postgres:postgres "$dir"
as_pg() { runuser -u postgres -- "$@"; }
as_pg "$PGBIN/initdb" -D "$dir/data" -U postgres -E UTF8 --locale=C.UTF-8 \
  --auth-local=peer --auth-host=scram-sha-256 >"$dir/initdb.log" 2>&1 \
  || { echo "postgres-local: initdb failed (log: $dir/initdb.log)" >&2; exit 1; }
as_pg "$PGBIN/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
  -o "-p $port -c listen_addresses=127.0.0.1 -c unix_socket_directories=$dir/sock -c fsync=off" start >/dev/null \
  || { echo "postgres-local: pg_ctl start failed (log: $dir/server.log)" >&2; exit 1; }
pid=$(head -1 "$dir/data/postmaster.pid")
as_pg "$PGBIN/psql" -X -q -h "$dir/sock" -p "$port" -U postgres \
  -c "CREATE ROLE kk LOGIN PASSWORD '$password'" -c "CREATE DATABASE kk OWNER kk" >/dev/null
echo "$port $pid $dir $password"
