#!/usr/bin/env bash
# Starts a throwaway coturn TURN server on a free loopback port for the voice tests: TURN REST
# auth (username "<expiry>:<user>", password base64(HMAC-SHA1(SECRET, username))), realm kk.local,
# UDP/TCP only (no TLS/DTLS, no admin CLI), relaying to loopback peers allowed, and a small relay
# port range of its own so that instances run in parallel do not clash.
# Usage: coturn-local.sh SECRET. Prints "PORT PID DIR"; stop it with kill PID (SIGTERM: turnserver
# takes 1-2 s to exit; SIGINT is ignored, as by any background job of a script). Log: DIR/turn.log.
set -euo pipefail
secret=${1:?secret}
command -v turnserver >/dev/null || { echo "coturn-local: turnserver not installed (run Ops/scripts/install-deps.sh, it installs the Debian package coturn)" >&2; exit 1; }
dir=$(mktemp -d /tmp/kk-turn.XXXXXX)
# Listening port: free for TCP and UDP. Relay range: one of the 500 blocks of 40 ports between
# 40000 and 59999, picked at random among those with all ports free for UDP.
read -r port min max < <(python3 - <<'PY'
import random, socket
def free(p, kinds=(socket.SOCK_DGRAM,)):
    for k in kinds:
        s = socket.socket(socket.AF_INET, k)
        try: s.bind(("127.0.0.1", p))
        except OSError: return False
        finally: s.close()
    return True
while True:
    s = socket.socket(); s.bind(("127.0.0.1", 0)); port = s.getsockname()[1]; s.close()
    if free(port): break
blocks = list(range(40000, 60000, 40)); random.shuffle(blocks)
lo = next((b for b in blocks if all(free(p) for p in range(b, b + 40))), blocks[0])
print(port, lo, lo + 39)
PY
)
turnserver -n \
  --listening-ip=127.0.0.1 --relay-ip=127.0.0.1 --listening-port="$port" \
  --min-port="$min" --max-port="$max" \
  --use-auth-secret --static-auth-secret="$secret" --realm=kk.local \
  --fingerprint --no-tls --no-dtls --no-cli --no-rfc5780 \
  --allow-loopback-peers \
  --db="$dir/turndb" --pidfile="$dir/turn.pid" \
  --log-file="$dir/turn.log" --simple-log -v \
  >"$dir/stdout.log" 2>&1 </dev/null &
pid=$!
for _ in $(seq 1 100); do
  if ! kill -0 "$pid" 2>/dev/null; then break; fi
  if [ -n "$(ss -Hlnu "sport = :$port" 2>/dev/null)" ] && [ -n "$(ss -Hlnt "sport = :$port" 2>/dev/null)" ]; then
    echo "$port $pid $dir"; exit 0
  fi
  sleep 0.05
done
echo "coturn-local: turnserver did not listen on 127.0.0.1:$port (log: $dir/turn.log, $dir/stdout.log)" >&2
kill "$pid" 2>/dev/null || true
exit 1
