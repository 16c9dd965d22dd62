#!/usr/bin/env bash
# Starts a throwaway redis-server on a loopback port; prints "PORT PID". Stop it with: kill PID
set -euo pipefail
port=${1:-$(( 20000 + RANDOM % 20000 ))}
dir=$(mktemp -d /tmp/kk-redis.XXXXXX)
redis-server --port "$port" --bind 127.0.0.1 --save "" --appendonly no --daemonize no \
  --dir "$dir" --loglevel warning >"$dir/redis.log" 2>&1 &
pid=$!
for _ in $(seq 1 200); do
  if redis-cli -p "$port" ping >/dev/null 2>&1; then echo "$port $pid"; exit 0; fi
  sleep 0.05
done
echo "redis-local: redis-server did not start (log: $dir/redis.log)" >&2
kill "$pid" 2>/dev/null || true
exit 1
