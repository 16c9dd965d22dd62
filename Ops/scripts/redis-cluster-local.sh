#!/usr/bin/env bash
# Starts a throwaway Redis Cluster on loopback: 3 primaries + 3 replicas (redis-server
# --cluster-enabled, redis-cli --cluster create), node timeout 1 s, diskless sync without delay.
# Waits until every node reports cluster_state:ok and every replica's link to its primary is up
# (a primary killed before its replica synced is never failed over: ../shared/facts).
# Prints "PORTS PIDS DIR" (PORTS and PIDS comma-separated, node i = PORTS[i]).
# Stop it with: kill PID... ; rm -rf DIR
set -euo pipefail
base=${1:-$(( 20000 + (RANDOM % 900) * 10 ))}   # cluster bus ports are base+10000...
dir=$(mktemp -d /tmp/kk-redis-cluster.XXXXXX)
ports=() pids=()
fail() {
  echo "redis-cluster-local: $1 (logs: $dir/*/redis.log)" >&2
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  exit 1
}
for i in 0 1 2 3 4 5; do
  p=$(( base + i ))
  if redis-cli -p "$p" ping >/dev/null 2>&1; then fail "port $p is taken"; fi
  mkdir -p "$dir/$p"
  redis-server --port "$p" --bind 127.0.0.1 --daemonize no --cluster-enabled yes \
    --cluster-config-file "$dir/$p/nodes.conf" --cluster-node-timeout 1000 --dir "$dir/$p" \
    --save "" --appendonly no --repl-diskless-sync-delay 0 --loglevel warning \
    --logfile "$dir/$p/redis.log" </dev/null >/dev/null 2>&1 &
  pids+=($!) ports+=("$p")
done
for p in "${ports[@]}"; do
  for _ in $(seq 1 200); do redis-cli -p "$p" ping >/dev/null 2>&1 && break; sleep 0.05; done
done
addrs=()
for p in "${ports[@]}"; do addrs+=("127.0.0.1:$p"); done
out=$(redis-cli --cluster create "${addrs[@]}" --cluster-replicas 1 --cluster-yes 2>&1) || fail "cluster create: $out"
echo "$out" | grep -q "All 16384 slots covered" || fail "cluster create: $out"
# redis-cli exits 0 on error replies: read the text.
for _ in $(seq 1 300); do
  ok=1
  for p in "${ports[@]}"; do
    redis-cli -p "$p" cluster info 2>/dev/null | grep -q "cluster_state:ok" || { ok=0; break; }
    if redis-cli -p "$p" role 2>/dev/null | head -1 | grep -q slave; then
      redis-cli -p "$p" info replication 2>/dev/null | grep -q "master_link_status:up" || { ok=0; break; }
    fi
  done
  if [ "$ok" = 1 ]; then
    (IFS=,; echo "${ports[*]} ${pids[*]} $dir")
    exit 0
  fi
  sleep 0.05
done
fail "cluster did not become ok with synced replicas in 15 s"
