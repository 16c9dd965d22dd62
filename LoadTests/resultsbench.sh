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
source "$(dirname "$0")/bench-lib.sh"
ENTRIES=${ENTRIES:-1000000}
QUERIES=${QUERIES:-2000}
RESULTS=${RESULTS:-400}
TELEMETRY=${TELEMETRY:-2000}
bench_build kk-load
bench_redis
bench_postgres
echo "resultsbench: $CONF build, $(nproc) cores, $ENTRIES entries, $QUERIES queries, $RESULTS results, $TELEMETRY telemetry entries"
"$ROOT/.build/$CONF/kk-load" resultsbench --postgres-url "postgres://kk:$PGPASS@127.0.0.1:$PGPORT/kk" --redis-port "$RPORT" \
  --entries "$ENTRIES" --queries "$QUERIES" --results "$RESULTS" --telemetry "$TELEMETRY"
