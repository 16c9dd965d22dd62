#!/usr/bin/env bash
# Health-driven anycast route withdrawal: announce the POP's anycast prefix while the local
# relay's /readyz says ready, withdraw it when it does not (draining, Redis gone, process dead).
# Runs under exabgp as a process (see exabgp.conf) and speaks exabgp's text API on stdout.
# Usage: healthcheck.sh ANYCAST_PREFIX NEXT_HOP [ADMIN_URL]
set -u
prefix=${1:?anycast prefix, e.g. 192.0.2.10/32}
nexthop=${2:?next hop, e.g. self}
url=${3:-http://127.0.0.1:7780/readyz}
rise=2; fall=2; ok=0; bad=0; announced=0
while true; do
  if curl -fsS --max-time 1 "$url" >/dev/null 2>&1; then ok=$((ok + 1)); bad=0; else bad=$((bad + 1)); ok=0; fi
  if [ "$announced" -eq 0 ] && [ "$ok" -ge "$rise" ]; then
    echo "announce route $prefix next-hop $nexthop"; announced=1
  elif [ "$announced" -eq 1 ] && [ "$bad" -ge "$fall" ]; then
    echo "withdraw route $prefix next-hop $nexthop"; announced=0
  fi
  sleep 1
done
