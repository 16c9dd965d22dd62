#!/usr/bin/env bash
# Relay benchmark in one run: udpbench's C relay (udpfwd, udpfwd -M) and nginx next to
# kk-relay's plain passthrough mode (same generator, same run), then a DTLS load through the
# real kk-relay with kk-load; prints ratios against the baselines of this run only.
#
#   LoadTests/bench.sh            # about 5-8 minutes; needs release builds (built here under the lock)
#   RAMP="40000 80000 120000" DTLS_CLIENTS=400 LoadTests/bench.sh
#
# kk-relay passthrough prints its counters on stdout at exit; run.sh reads the step result from
# stdout, so the command sends them to stderr (custom.log).
# Everything goes to 127.0.0.1. Every load is bounded (udpbench's own bounds; kk-load's caps).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
SRC=${UDPBENCH:-}
for c in "$ROOT/../shared/udpbench" /work/shared/udpbench; do [ -z "$SRC" ] && [ -d "$c" ] && SRC=$c; done
[ -n "$SRC" ] || { echo "bench.sh: udpbench not found (set UDPBENCH=)" >&2; exit 2; }
OUT=${OUT:-$ROOT/LoadTests/results/bench-$(date +%Y%m%d-%H%M%S)}
mkdir -p "$OUT"
TMP=$(mktemp -d /tmp/kk-bench.XXXXXX)
trap 'rm -rf "$TMP"' EXIT

echo "bench.sh: release build (under /tmp/kk-build.lock)" >&2
(cd "$ROOT" && flock /tmp/kk-build.lock swift build -c release --product kk-relay 2>&1 | grep -vE "prohibited flag|^\[[0-9]+/" || true)
(cd "$ROOT" && flock /tmp/kk-build.lock swift build -c release --product kk-shard 2>&1 | grep -vE "prohibited flag|^\[[0-9]+/" || true)
(cd "$ROOT" && flock /tmp/kk-build.lock swift build -c release --product kk-load 2>&1 | grep -vE "prohibited flag|^\[[0-9]+/" || true)
BIN="$ROOT/.build/release"
[ -x "$BIN/kk-relay" ] || { echo "bench.sh: no $BIN/kk-relay" >&2; exit 2; }

cp -r "$SRC/." "$TMP/udpbench"
chmod -R u+w "$TMP/udpbench"
(cd "$TMP/udpbench" && make distclean >/dev/null 2>&1 || true; make >/dev/null)
echo "bench.sh: udpbench in $TMP/udpbench" >&2
(cd "$TMP/udpbench" && \
  CUSTOM_CMD="$BIN/kk-relay passthrough --listen 127.0.0.1:{PORT} --upstream 127.0.0.1:{ECHO} 1>&2" \
  CONFIGS="${CONFIGS:-udpfwd udpfwd-mux nginx-w1 custom}" MAX_CONFIGS="${MAX_CONFIGS:-udpfwd udpfwd-mux nginx-w1 custom}" \
  RUNS=${RUNS:-2} DUR=${DUR:-3} RAMP="${RAMP:-40000 80000 120000 160000 200000}" BISECT=${BISECT:-2} CONFIRM=${CONFIRM:-1} \
  LAT_BISECT=${LAT_BISECT:-1} DTLS=0 ./run.sh > "$OUT/udpbench.log" 2>&1)
RES="$TMP/udpbench/results/latest"
cp -r "$(readlink -f "$RES")/." "$OUT/udpbench"

# Ratios from this run's udpbench results.
max_pps() { jq -r --arg c "$1" 'select(.config == $c) | .max_pps' "$OUT/udpbench/max.jsonl" | tail -1; }
us_rt() { jq -rs --arg c "$1" 'map(select(.config == $c) | .relay_us_per_rt) | sort | if length == 0 then "null" else .[length / 2 | floor] end' "$OUT/udpbench/load1.jsonl"; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a == "" || b == "" || a == "null" || b == "null" || b == 0) print "-"; else printf "%.2f", a / b }'; }
K=$(max_pps custom); M=$(max_pps udpfwd-mux); N=$(max_pps nginx-w1); F=$(max_pps udpfwd)
KU=$(us_rt custom); MU=$(us_rt udpfwd-mux); FU=$(us_rt udpfwd); NU=$(us_rt nginx-w1)

# DTLS load through the real relay (kk-load, fixed client count, no impairment).
DTLS_CLIENTS=${DTLS_CLIENTS:-500}
cat > "$TMP/dtls.json" <<JSON
{"name":"bench-dtls","clients":$DTLS_CLIENTS,"playersPerMatch":8,"inputHz":20,
 "ramp":{"stepClients":$DTLS_CLIENTS,"stepSeconds":6,"spreadMillis":4000,"settleSeconds":5},
 "holdSeconds":10,"maxSeconds":60,"relays":1,"shards":1,"thresholds":{}}
JSON
"$BIN/kk-load" --scenario "$TMP/dtls.json" --spawn-stack --quiet --report "$OUT/dtls-load.json" --log-dir "$TMP/dtls-logs" \
  > "$OUT/dtls-load.log" 2>&1 || true
DT=$(jq -r '[.cpuSeconds.relays, ((.stackMetrics["kk_relay_datagrams_total{direction=\"in\"}"] // 0) + (.stackMetrics["kk_relay_datagrams_total{direction=\"out\"}"] // 0))] | if .[1] > 0 then (.[0] * 1e6 / .[1] * 100 | round / 100) else "null" end' "$OUT/dtls-load.json" 2>/dev/null || echo null)
DP99=$(jq -r '.summary.latencyMillis.p99' "$OUT/dtls-load.json" 2>/dev/null || echo null)
DCPU=$(jq -r '.cpuSeconds | "generator \(.generator|.*10|round/10) s, relay \(.relays|.*10|round/10) s, shard \(.shards|.*10|round/10) s"' "$OUT/dtls-load.json" 2>/dev/null || echo "-")
# Passthrough: one round trip = 4 datagrams through the relay (2 in, 2 out).
PT_DG=$(awk -v a="$MU" 'BEGIN { if (a == "null" || a == "") print "null"; else printf "%.3f", a / 4 }')

{
echo "# bench.sh $(date -u +%FT%TZ) ($(nproc) cores; ratios within this run only)"
echo
echo "| relay | max pps held | relay CPU µs per round trip at load (i) |"
echo "|---|---|---|"
echo "| udpfwd | $F | $FU |"
echo "| udpfwd-mux | $M | $MU |"
echo "| nginx-w1 | $N | $NU |"
echo "| kk-relay passthrough | $K | $KU |"
echo
echo "| ratio | value |"
echo "|---|---|"
echo "| kk-relay passthrough max pps / udpfwd-mux | $(ratio "$K" "$M") |"
echo "| kk-relay passthrough max pps / nginx-w1 | $(ratio "$K" "$N") |"
echo "| kk-relay passthrough CPU µs per round trip / udpfwd-mux | $(ratio "$KU" "$MU") |"
echo "| kk-relay DTLS serve: relay CPU µs per datagram (in+out), $DTLS_CLIENTS clients x 20 Hz | $DT |"
echo "| ... / udpfwd-mux µs per datagram ($PT_DG) | $(ratio "$DT" "$PT_DG") |"
echo
echo "DTLS load: latency p99 $DP99 ms; CPU $DCPU. Full udpbench summary: udpbench/summary.md; kk-load report: dtls-load.md"
} | tee "$OUT/bench.md"
