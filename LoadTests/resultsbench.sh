#!/usr/bin/env bash
# Results benchmark in one run (issue 17): re-simulation time per minute of race; results
# ingested per second by the real consumer next to verification alone; telemetry rows/s
# copied in batches next to one INSERT per row; leaderboard top-100 and around-me p50/p99 at
# 1,000,000 entries in PostgreSQL next to the same queries on a Redis sorted set. Starts redis
# and PostgreSQL on loopback (release build of kk-load), stops them by pid.
#
#   LoadTests/resultsbench.sh                          # 1,000,000 entries, 2,000 queries each
#   ENTRIES=200000 QUERIES=500 RESULTS=200 LoadTests/resultsbench.sh
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
CONF=${CONF:-release}
ENTRIES=${ENTRIES:-1000000}
QUERIES=${QUERIES:-2000}
RESULTS=${RESULTS:-400}
TELEMETRY=${TELEMETRY:-2000}
PIDS=()
PGDIR=
cleanup() {
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null || true; done
  [ -n "$PGDIR" ] && rm -rf "$PGDIR"
}
trap cleanup EXIT

(cd "$ROOT" && flock /tmp/kk-build.lock swift build -c "$CONF" --product kk-load 2>&1 | grep -vE "prohibited flag|^\[[0-9]+/|unhandled|CMakeLists" || true)
read -r RPORT RPID < <(bash "$ROOT/Ops/scripts/redis-local.sh")
PIDS+=("$RPID")
read -r PGPORT PGPID PGDIR PGPASS < <(bash "$ROOT/Ops/scripts/postgres-local.sh")
PIDS+=("$PGPID")
echo "resultsbench: $CONF build, $(nproc) cores, $ENTRIES entries, $QUERIES queries, $RESULTS results, $TELEMETRY telemetry entries"
"$ROOT/.build/$CONF/kk-load" resultsbench --postgres-url "postgres://kk:$PGPASS@127.0.0.1:$PGPORT/kk" --redis-port "$RPORT" \
  --entries "$ENTRIES" --queries "$QUERIES" --results "$RESULTS" --telemetry "$TELEMETRY"
