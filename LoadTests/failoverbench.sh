#!/usr/bin/env bash
# Failover before/after in one run (issue 22): each chaos scenario (a relay killed at 10 s, a
# shard at 20 s) with shards that adopt a dead shard's matches only when their leases run out
# (livenessMillis 0: before) and with the liveness beat (livenessMillis 400: after); then the
# false-switch check: the 15% and 25% loss scenarios with no fault, where every relay change is
# a false one. Release build; kk-load spawns each stack (redis, shards, relays) on loopback and
# stops it by pid.
#
#   LoadTests/failoverbench.sh
#   SCENARIOS="chaos" LOSSY="" LoadTests/failoverbench.sh
set -euo pipefail
source "$(dirname "$0")/bench-lib.sh"
SCENARIOS=${SCENARIOS:-"chaos chaos-50ms-5pct"}
LOSSY=${LOSSY:-"net-250ms-15pct net-loss-25pct"}
bench_build kk-load kk-shard kk-relay
echo "failoverbench: $CONF build, $(nproc) cores"
run() {  # run SCENARIO LIVENESS_MS OUT
  python3 - "$ROOT/LoadTests/scenarios/$1.json" "$2" "$TMP/$1-$2.json" <<'PY'
import json, sys
s = json.load(open(sys.argv[1])); s["livenessMillis"] = int(sys.argv[2]); s["name"] += "-liveness" + sys.argv[2]
json.dump(s, open(sys.argv[3], "w"))
PY
  "$BIN/kk-load" --scenario "$TMP/$1-$2.json" --spawn-stack --report "$3" > "$TMP/$1-$2.log" 2>&1 || true
  grep -E "kk-load: (fault|relay failovers|PASSED|FAILED)" "$TMP/$1-$2.log" | sed "s/^/  [$1 liveness=$2] /"
}
for sc in $SCENARIOS; do
  for live in 0 400; do run "$sc" "$live" "$TMP/r-$sc-$live.json"; done
done
for sc in $LOSSY; do run "$sc" 400 "$TMP/r-$sc-400.json"; done
python3 - "$TMP" $SCENARIOS -- $LOSSY <<'PY'
import json, sys, os
tmp, rest = sys.argv[1], sys.argv[2:]
cut = rest.index("--"); chaos, lossy = rest[:cut], rest[cut + 1:]
def load(name):
    p = os.path.join(tmp, name)
    return json.load(open(p)) if os.path.exists(p) else None
print("failoverbench: per fault, before (leases only) -> after (liveness 400 ms)")
print(f"{'scenario':18} {'fault':14} {'mode':8} {'resumes':>7} {'relay chg':>9} {'stall p50/p99/max ms':>22} {'inputs lost':>18} {'failed':>6}")
for sc in chaos:
    for live, mode in ((0, "before"), (400, "after")):
        r = load(f"r-{sc}-{live}.json")
        if not r: print(f"{sc:18} (no report)"); continue
        for f in r["summary"]["faultImpacts"]:
            lost = f"{f['inputsLost']}/{f['inputsChecked']} ({100 * f['inputsLost'] / max(1, f['inputsChecked']):.2f}%)"
            stall = f"{f['stallP50Millis']:.0f}/{f['stallP99Millis']:.0f}/{f['maxStallMillis']:.0f}"
            print(f"{sc:18} {f['target']:14} {mode:8} {f['resumes']:7d} {f['relayChanges']:9d} {stall:>22} {lost:>18} {f['clientsFailed']:6d}")
for sc in lossy:
    r = load(f"r-{sc}-400.json")
    if not r: print(f"{sc}: no report"); continue
    k = r["counters"]
    secs = r["playingSeconds"]
    print(f"false switches, {sc}: {k['relayChanges']} relay changes in {secs} client-seconds "
          f"(silent {k['failoversSilent']}, draining {k['failoversDraining']}, closed {k['failoversClosed']}, handshake {k['failoversHandshake']})")
PY
