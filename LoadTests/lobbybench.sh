#!/usr/bin/env bash
# Lobby benchmark in one run (issue 16): concurrent lobby sockets and events/s next to a bare
# hummingbird-websocket echo server (kk-load ws-echo, same client code, same run), then
# quick-play tickets/s and time-to-match p50/p99 through the real allocator and a real shard.
# Starts redis, PostgreSQL, one kk-shard and kk-services (auth + lobby) on loopback, release
# builds; stops every process by pid.
#
#   LoadTests/lobbybench.sh                     # 256 sockets per server, 5 s, 100 tickets/s
#   SOCKETS=1024 SECONDS_=10 TICKET_RATE=200 LoadTests/lobbybench.sh
set -euo pipefail
source "$(dirname "$0")/bench-lib.sh"
SOCKETS=${SOCKETS:-256}
SECONDS_=${SECONDS_:-5}
TICKET_RATE=${TICKET_RATE:-100}
bench_build kk-services kk-shard kk-load
bench_redis
bench_postgres
export KK_JWT_KEY=$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')
TOKEN_KEY=$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')
HTTP=$(free_port)
SHARD_ADMIN=$(free_port)

"$BIN/kk-shard" --id bench-s1 --enet-port 0 --admin-port "$SHARD_ADMIN" --redis-port "$RPORT" --players-per-match 8 \
  --max-matches 400 --track sprint --log-level warning > "$TMP/shard.log" 2>&1 &
PIDS+=($!)
"$BIN/kk-services" --services auth,lobby --http-port "$HTTP" --redis-port "$RPORT" --token-key "$TOKEN_KEY" \
  --commands-per-second 1000 --countdown-seconds 5 --relay 127.0.0.1:9 --log-level warning > "$TMP/services.log" 2>&1 &
SVC=$!
PIDS+=("$SVC")
for i in $(seq 1 200); do
  curl -sf "http://127.0.0.1:$HTTP/readyz" >/dev/null && curl -sf "http://127.0.0.1:$SHARD_ADMIN/readyz" >/dev/null && break
  sleep 0.1
done
curl -sf "http://127.0.0.1:$HTTP/readyz" >/dev/null || { echo "lobbybench: kk-services not ready"; cat "$TMP/services.log"; exit 1; }

echo "lobbybench: $CONF build, $(nproc) cores, $SOCKETS sockets, ${SECONDS_} s, $TICKET_RATE tickets/s"
"$BIN/kk-load" lobbybench --lobby-url "ws://127.0.0.1:$HTTP/v1/lobby" --services-pid "$SVC" \
  --sockets "$SOCKETS" --seconds "$SECONDS_" --ticket-rate "$TICKET_RATE"
