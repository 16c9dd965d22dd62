#!/usr/bin/env bash
# Relay benchmark in one run: udpbench's C relay (udpfwd, udpfwd -M) and nginx next to
# kk-udp-passthrough (the relay's socket layer without DTLS) (same generator, same run); then the full DTLS path's max
# pps through the real kk-relay (kk-load maxpps), and the DTLS cost in memory next to
# udpbench's dtlsbench. Prints ratios against the baselines of this run only.
#
#   LoadTests/bench.sh            # about 8-10 minutes; needs release builds (built here under the lock)
#   RAMP="40000 80000 120000" DTLS_LEVELS="40000 80000" LoadTests/bench.sh
#
# kk-udp-passthrough prints its counters on stdout at exit; run.sh reads the step result from
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
  CUSTOM_CMD="$BIN/kk-udp-passthrough --listen 127.0.0.1:{PORT} --upstream 127.0.0.1:{ECHO} 1>&2" \
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

# Full DTLS path: kk-load maxpps (lean clients doing the real handshake and protocol at 60 Hz,
# one single-threaded relay, one shard) steps the offered input pps up until a level fails
# udpbench's criterion (schedule kept, <= 1% loss each way), then bisects.
"$BIN/kk-load" maxpps --levels "${DTLS_LEVELS:-20000 40000 60000 80000 100000 120000}" --bisect ${DTLS_BISECT:-2} \
  --max-clients ${DTLS_MAX_CLIENTS:-3000} --max-seconds 300 --report "$OUT/maxpps.json" --log-dir "$TMP/maxpps-logs" \
  > "$OUT/maxpps.log" 2>&1 || true
D=$(jq -r '.maxHeldPps // "null"' "$OUT/maxpps.json" 2>/dev/null || echo null)
DLVL=$(jq -r '.maxHeldLevel // empty |
  "\(.clients) clients; relay \(.relayMicrosPerDatagram * 100 | round / 100) µs CPU per datagram (in+out), CPU gen \(.generatorCpuPercent | round)% relay \(.relayCpuPercent | round)% shard \(.shardCpuPercent | round)%; input->frame p50 \(.latencyMillis.p50) ms p99 \(.latencyMillis.p99) ms (6-tick lead included)"' \
  "$OUT/maxpps.json" 2>/dev/null || echo "-")

# DTLS cost in memory, same run: udpbench's dtlsbench (certificate, ECDHE-ECDSA) and the relay's
# own server side (ECDHE-PSK with the sealed token opened in the PSK callback).
"$TMP/udpbench/dtlsbench" -H ${HS:-500} -P 20000 > "$OUT/dtlsbench.jsonl" 2> "$OUT/dtlsbench.log" || true
"$BIN/kk-relay" dtls-bench --handshakes ${HS:-500} --packets 20000 > "$OUT/kk-dtls-bench.json" 2> "$OUT/kk-dtls-bench.log" || true
CERT_US=$(jq -r 'select(.suite == "ECDHE-ECDSA-CHACHA20-POLY1305") | .server_us_per_hs' "$OUT/dtlsbench.jsonl" 2>/dev/null | tail -1)
CERT_NS=$(jq -r 'select(.suite == "ECDHE-ECDSA-CHACHA20-POLY1305") | .echo_server_ns_per_pkt' "$OUT/dtlsbench.jsonl" 2>/dev/null | tail -1)
PSK_US=$(jq -r '.server_us_per_hs' "$OUT/kk-dtls-bench.json" 2>/dev/null)
PSK_NS=$(jq -r '.echo_server_ns_per_pkt' "$OUT/kk-dtls-bench.json" 2>/dev/null)
per_s() { awk -v u="$1" 'BEGIN { if (u == "" || u == "null" || u == 0) print "-"; else printf "%d", 1e6 / u }'; }

{
echo "# bench.sh $(date -u +%FT%TZ) ($(nproc) cores; ratios within this run only)"
echo
echo "| relay | max pps held | relay CPU µs per round trip at load (i) |"
echo "|---|---|---|"
echo "| udpfwd | $F | $FU |"
echo "| udpfwd-mux | $M | $MU |"
echo "| nginx-w1 | $N | $NU |"
echo "| kk-udp-passthrough | $K | $KU |"
echo
echo "| ratio | value |"
echo "|---|---|"
echo "| kk-udp-passthrough max pps / udpfwd-mux | $(ratio "$K" "$M") |"
echo "| kk-udp-passthrough max pps / nginx-w1 | $(ratio "$K" "$N") |"
echo "| kk-udp-passthrough CPU µs per round trip / udpfwd-mux | $(ratio "$KU" "$MU") |"
echo "| kk-relay full DTLS path max input pps held / udpfwd-mux max pps ($D / $M) | $(ratio "$D" "$M") |"
echo "| kk-relay full DTLS path max input pps held / nginx-w1 | $(ratio "$D" "$N") |"
echo
echo "Full path at its max: $DLVL. Levels: maxpps.log."
echo
echo "| DTLS server side, in memory, one core | µs per handshake | handshakes/s | ns per 80 B datagram echoed |"
echo "|---|---|---|---|"
echo "| udpbench dtlsbench, ECDHE-ECDSA-CHACHA20-POLY1305 (certificate) | $CERT_US | $(per_s "$CERT_US") | $CERT_NS |"
echo "| kk-relay dtls-bench, ECDHE-PSK-CHACHA20-POLY1305 (token as PSK identity) | $PSK_US | $(per_s "$PSK_US") | $PSK_NS |"
echo "| ratio kk-relay / dtlsbench | $(ratio "$PSK_US" "$CERT_US") | | $(ratio "$PSK_NS" "$CERT_NS") |"
} | tee "$OUT/bench.md"
