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
ROOT=$(cd "$(dirname "$0")/.." && pwd)
CONF=${CONF:-release}
PEERS=${PEERS:-256}
SECONDS_=${SECONDS_:-5}
TMP=$(mktemp -d /tmp/kk-voicebench.XXXXXX)
PIDS=()
PGDIR=
cleanup() {
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null || true; done
  [ -n "$PGDIR" ] && rm -rf "$PGDIR"
  rm -rf "$TMP"
}
trap cleanup EXIT
for product in kk-services kk-load; do
  (cd "$ROOT" && flock /tmp/kk-build.lock swift build -c "$CONF" --product "$product" 2>&1 | grep -vE "prohibited flag|^\[[0-9]+/|unhandled|CMakeLists" || true)
done
BIN="$ROOT/.build/$CONF"
read -r RPORT RPID < <(bash "$ROOT/Ops/scripts/redis-local.sh")
PIDS+=("$RPID")
read -r PGPORT PGPID PGDIR PGPASS < <(bash "$ROOT/Ops/scripts/postgres-local.sh")
PIDS+=("$PGPID")
export KK_POSTGRES_URL="postgres://kk:$PGPASS@127.0.0.1:$PGPORT/kk"
export KK_JWT_KEY=$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')
export KK_TURN_SECRET=$(head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n')
HTTP=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
"$BIN/kk-services" --services voice --http-port "$HTTP" --redis-port "$RPORT" --voice-turn-url "turn:127.0.0.1:3478?transport=udp" \
  --voice-messages-per-second 10000 --log-level warning > "$TMP/services.log" 2>&1 &
SVC=$!
PIDS+=("$SVC")
for _ in $(seq 1 200); do curl -fs "http://127.0.0.1:$HTTP/readyz" >/dev/null 2>&1 && break; sleep 0.1; done
echo "voicebench: $CONF build, $(nproc) cores"
"$BIN/kk-load" voicebench --voice-url "ws://127.0.0.1:$HTTP/v1/voice" --redis-port "$RPORT" --services-pid "$SVC" \
  --peers "$PEERS" --seconds "$SECONDS_"
curl -s "http://127.0.0.1:$HTTP/metrics" | grep -E "^kk_voice_(refused|messages)_total" | head -8 || true
