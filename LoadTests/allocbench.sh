#!/usr/bin/env bash
# Match allocation throughput on one Redis next to a 3-primary Redis Cluster (issue 19), in one
# run: kk-load allocbench (the match service's MatchBridge: allocation script + a new match's
# lease claim on its own slot) against a redis-server and against a 3+3 cluster, each next to
# PINGs through the same bridge. Starts both on loopback (release build), stops them by pid.
#
#   LoadTests/allocbench.sh                 # 5 s per measurement, 32 in flight
#   SECONDS_EACH=2 CONCURRENCY=8 LoadTests/allocbench.sh
set -euo pipefail
source "$(dirname "$0")/bench-lib.sh"
SECONDS_EACH=${SECONDS_EACH:-5}
CONCURRENCY=${CONCURRENCY:-32}
CDIR=
cluster_cleanup() { [ -n "$CDIR" ] && rm -rf "$CDIR"; bench_cleanup; }
trap cluster_cleanup EXIT
bench_build kk-load
bench_redis
read -r CPORTS CPIDS CDIR < <(bash "$ROOT/Ops/scripts/redis-cluster-local.sh")
for p in ${CPIDS//,/ }; do PIDS+=("$p"); done
CSEED=${CPORTS%%,*}
echo "allocbench: $CONF build, $(nproc) cores, $SECONDS_EACH s each, $CONCURRENCY in flight"
"$BIN/kk-load" allocbench --redis-port "$RPORT" --seconds "$SECONDS_EACH" --concurrency "$CONCURRENCY" --report "$TMP/single.json"
"$BIN/kk-load" allocbench --redis-port "$CSEED" --redis-cluster --seconds "$SECONDS_EACH" --concurrency "$CONCURRENCY" --report "$TMP/cluster.json"
python3 - "$TMP/single.json" "$TMP/cluster.json" <<'PY'
import json, sys
s, c = (json.load(open(p)) for p in sys.argv[1:3])
print(f"allocbench: cluster/single allocations/s = {c['allocationsPerSecond']:.0f}/{s['allocationsPerSecond']:.0f} = "
      f"{c['allocationsPerSecond'] / max(s['allocationsPerSecond'], 1e-9):.2f}; p99 {c['p99Millis']:.2f} vs {s['p99Millis']:.2f} ms")
PY
