#!/usr/bin/env bash
# Voice signalling benchmark in one run (issue 18): peers per process (RSS per socket) and
# signalling messages relayed per second through kk-services' voice service (each authorized
# against the proximity links built from position reports on Redis), next to a bare
# hummingbird-websocket echo server (kk-load ws-echo, same client code, same run). Starts
# redis, PostgreSQL and kk-services (voice) on loopback, release builds; stops all by pid.
#
#   LoadTests/voicebench.sh                  # 256 peers, 5 s
#   PEERS=1024 SECONDS_=10 LoadTests/voicebench.sh
set -euo pipefail
source "$(dirname "$0")/bench-lib.sh"
PEERS=${PEERS:-256}
SECONDS_=${SECONDS_:-5}
bench_build kk-services kk-load
bench_redis
bench_postgres
export KK_JWT_KEY=$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')
export KK_TURN_SECRET=$(head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n')
HTTP=$(free_port)
"$BIN/kk-services" --services voice --http-port "$HTTP" --redis-port "$RPORT" --voice-turn-url "turn:127.0.0.1:3478?transport=udp" \
  --voice-messages-per-second 10000 --log-level warning > "$TMP/services.log" 2>&1 &
SVC=$!
PIDS+=("$SVC")
for _ in $(seq 1 200); do curl -fs "http://127.0.0.1:$HTTP/readyz" >/dev/null 2>&1 && break; sleep 0.1; done
echo "voicebench: $CONF build, $(nproc) cores"
"$BIN/kk-load" voicebench --voice-url "ws://127.0.0.1:$HTTP/v1/voice" --redis-port "$RPORT" --services-pid "$SVC" \
  --peers "$PEERS" --seconds "$SECONDS_"
curl -s "http://127.0.0.1:$HTTP/metrics" | grep -E "^kk_voice_(refused|messages)_total" | head -8 || true
