#!/usr/bin/env bash
# Anycast POP failover, for real, in network namespaces this script creates (veth pairs; no
# address outside them or loopback is ever used; 192.0.2.10 is TEST-NET-1):
#
#   cli (bots: kk-load) -- rtr (BIRD 2, BGP AS65000) --+-- popa (kk-relay on 192.0.2.10, BIRD AS65001, health check)
#                                                      +-- popb (kk-relay on 192.0.2.10, BIRD AS65002, health check)
#                                                      +-- core (redis, kk-shard)
#
# Both POPs announce 192.0.2.10/32 while their relay is ready; the router prefers POP A (lower
# router id). Bots race through the anycast address, all on POP A; then POP A fails:
#   MODE=drain: POST /drain to relay A: /readyz turns 503, the health check withdraws A's route,
#               and 300 ms after the drain (--drain-move-after-ms) relay A tells its sessions to
#               move: they resume at the same address, now answered by POP B.
#   MODE=kill:  relay A is killed by pid: the health check withdraws the route, the clients notice
#               the silence and resume at the same address, answered by POP B.
# Prints one JSON line: route withdrawal ms (router's kernel route moved to POP B), clients'
# resume (stall) p50/max ms, resumes, inputs lost/checked, failed clients, sessions on each POP.
# Needs root (ip netns), bird2, redis-server, curl, python3; KK_BIN: the kk-* binaries.
# Usage: KK_BIN=.build/release netns-test.sh drain|kill [OUT_DIR]
set -euo pipefail
mode=${1:?drain or kill}
case "$mode" in drain|kill) ;; *) echo "mode must be drain or kill" >&2; exit 64 ;; esac
here=$(cd "$(dirname "$0")" && pwd)
bin=${KK_BIN:?KK_BIN: directory of kk-relay, kk-shard, kk-load}
out=${2:-$(mktemp -d /tmp/kk-anycast.XXXXXX)}
mkdir -p "$out"
tag="kk$$"
ns_cli="$tag-cli"; ns_rtr="$tag-rtr"; ns_a="$tag-popa"; ns_b="$tag-popb"; ns_core="$tag-core"
all_ns=("$ns_cli" "$ns_rtr" "$ns_a" "$ns_b" "$ns_core")
anycast=192.0.2.10
pids=()

cleanup() {
  for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
  for _ in $(seq 1 30); do
    alive=0; for p in "${pids[@]}"; do kill -0 "$p" 2>/dev/null && alive=1; done
    [ "$alive" = 0 ] && break; sleep 0.1
  done
  for p in "${pids[@]}"; do kill -KILL "$p" 2>/dev/null || true; done
  for n in "${all_ns[@]}"; do ip netns del "$n" 2>/dev/null || true; done
}
trap cleanup EXIT
trap 'exit 130' INT TERM

in_ns() { local n=$1; shift; ip netns exec "$n" "$@"; }
# Starts a command in a namespace in the background, its pid (ip netns exec execs) recorded.
bg_ns() { local n=$1 log=$2; shift 2; ip netns exec "$n" "$@" >"$log" 2>&1 & pids+=("$!"); }

if ! ip netns add "$ns_rtr" 2>"$out/netns.err"; then
  echo "SKIP: cannot create network namespaces here: $(cat "$out/netns.err")"
  exit 77
fi
for n in "$ns_cli" "$ns_a" "$ns_b" "$ns_core"; do ip netns add "$n"; done
for n in "${all_ns[@]}"; do ip -n "$n" link set lo up; done
# veth pairs created directly inside the namespaces (nothing is attached to the host).
link() { # ns1 if1 addr1 ns2 if2 addr2
  ip link add "$2" netns "$1" type veth peer name "$5" netns "$4"
  ip -n "$1" addr add "$3" dev "$2"; ip -n "$4" addr add "$6" dev "$5"
  ip -n "$1" link set "$2" up; ip -n "$4" link set "$5" up
}
link "$ns_rtr" r-c 10.77.3.1/24 "$ns_cli" c-r 10.77.3.2/24
link "$ns_rtr" r-a 10.77.1.1/30 "$ns_a" a-r 10.77.1.2/30
link "$ns_rtr" r-b 10.77.2.1/30 "$ns_b" b-r 10.77.2.2/30
link "$ns_rtr" r-k 10.77.4.1/24 "$ns_core" k-r 10.77.4.2/24
ip -n "$ns_cli" route add default via 10.77.3.1
ip -n "$ns_a" route add default via 10.77.1.1
ip -n "$ns_b" route add default via 10.77.2.1
ip -n "$ns_core" route add default via 10.77.4.1
ip -n "$ns_a" addr add "$anycast/32" dev lo
ip -n "$ns_b" addr add "$anycast/32" dev lo
in_ns "$ns_rtr" sysctl -qw net.ipv4.ip_forward=1

# BIRD: the router and one speaker per POP, from the shipped templates.
fill() { # template output key=value...
  local t=$1 o=$2; shift 2
  local text; text=$(cat "$t")
  for kv in "$@"; do text=${text//@${kv%%=*}@/${kv#*=}}; done
  printf '%s\n' "$text" >"$o"
}
fill "$here/bird-router.conf.in" "$out/rtr.conf" LOG="$out/bird-rtr.log" ROUTER_ID=10.77.0.1 LOCAL_AS=65000 ANYCAST=$anycast \
  POPA=10.77.1.2 POPA_AS=65001 POPA_PEER=10.77.1.1 POPB=10.77.2.2 POPB_AS=65002 POPB_PEER=10.77.2.1
fill "$here/bird-pop.conf.in" "$out/popa.conf" LOG="$out/bird-popa.log" ROUTER_ID=10.77.1.2 ANYCAST=$anycast \
  LOCAL=10.77.1.2 LOCAL_AS=65001 PEER=10.77.1.1 PEER_AS=65000
fill "$here/bird-pop.conf.in" "$out/popb.conf" LOG="$out/bird-popb.log" ROUTER_ID=10.77.2.2 ANYCAST=$anycast \
  LOCAL=10.77.2.2 LOCAL_AS=65002 PEER=10.77.2.1 PEER_AS=65000
for c in rtr popa popb; do bird -p -c "$out/$c.conf"; done
bg_ns "$ns_rtr" "$out/bird-rtr.out" bird -f -c "$out/rtr.conf" -s "$out/rtr.ctl" -P "$out/rtr.pid"
bg_ns "$ns_a" "$out/bird-popa.out" bird -f -c "$out/popa.conf" -s "$out/popa.ctl" -P "$out/popa.pid"
bg_ns "$ns_b" "$out/bird-popb.out" bird -f -c "$out/popb.conf" -s "$out/popb.ctl" -P "$out/popb.pid"

# The core: redis and a shard, reachable from the POPs through the router.
bg_ns "$ns_core" "$out/redis.log" redis-server --bind 10.77.4.2 --port 6379 --save "" --appendonly no --protected-mode no
key=$(openssl rand -hex 32)
for _ in $(seq 1 100); do in_ns "$ns_core" redis-cli -h 10.77.4.2 ping 2>/dev/null | grep -q PONG && break; sleep 0.05; done
bg_ns "$ns_core" "$out/shard.log" "$bin/kk-shard" --id shard-1 --enet-host 10.77.4.2 --enet-port 7300 --admin-host 127.0.0.1 \
  --admin-port 9201 --redis-host 10.77.4.2 --redis-port 6379 --players-per-match 8 --registration-ttl-ms 1500 --ownership-ttl-ms 1500
shard_pid=${pids[-1]}
# The POPs: a relay on the anycast address and the health check driving BIRD.
relay() { # ns id cookie
  bg_ns "$1" "$out/relay-$2.log" "$bin/kk-relay" serve --listen-host $anycast --listen-port 7777 --admin-host 127.0.0.1 --admin-port 9101 \
    --redis-host 10.77.4.2 --redis-port 6379 --workers 1 --relay-id "$2" --token-key "$key" --cookie-secret "$3" \
    --drain-move-after-ms 300 --drain-deadline-ms 20000 --idle-timeout-ms 3000
}
relay "$ns_a" pop-a "$(openssl rand -hex 32)"; relay_a=${pids[-1]}
relay "$ns_b" pop-b "$(openssl rand -hex 32)"; relay_b=${pids[-1]}
bg_ns "$ns_a" "$out/health-popa.log" bash "$here/bird-healthcheck.sh" http://127.0.0.1:9101/readyz "$out/popa.ctl" 0.1 2 2
bg_ns "$ns_b" "$out/health-popb.log" bash "$here/bird-healthcheck.sh" http://127.0.0.1:9101/readyz "$out/popb.ctl" 0.1 2 2
# Wait: both relays ready, the router's route to the anycast address via POP A (and B known).
route_via() { in_ns "$ns_rtr" ip route get $anycast 2>/dev/null | grep -o 'via [0-9.]*' | cut -d' ' -f2; }
ok=0
for _ in $(seq 1 300); do
  if [ "$(route_via)" = 10.77.1.2 ] && in_ns "$ns_b" curl -fs http://127.0.0.1:9101/readyz >/dev/null 2>&1 \
     && birdc -s "$out/rtr.ctl" show route $anycast/32 all 2>/dev/null | grep -q AS65002; then ok=1; break; fi
  sleep 0.1
done
if [ "$ok" != 1 ]; then
  echo "anycast setup did not converge: route via '$(route_via)'" >&2
  birdc -s "$out/rtr.ctl" show protocols >&2 || true
  tail -5 "$out/relay-pop-a.log" "$out/relay-pop-b.log" "$out/health-popa.log" >&2 || true
  exit 1
fi

# The bots, in the client namespace, through the anycast address only.
python3 - "$out/scenario.json" <<'PY'
import json, sys
json.dump({"name": "anycast", "clients": 16, "playersPerMatch": 8, "inputHz": 30,
           "ramp": {"stepClients": 16, "stepSeconds": 2, "spreadMillis": 1000, "settleSeconds": 1},
           "holdSeconds": 12, "maxSeconds": 60, "threads": 1, "relays": 2, "shards": 1, "stallMillis": 200,
           "impairment": {"seed": 5}, "faults": [], "thresholds": {"maxErrors": 0}}, open(sys.argv[1], "w"), indent=1)
PY
bg_ns "$ns_cli" "$out/load.log" "$bin/kk-load" --scenario "$out/scenario.json" --relay $anycast:7777 --shard shard-1 \
  --redis-host 10.77.4.2 --redis-port 6379 --token-key "$key" --relay-pid "$relay_a" --relay-pid "$relay_b" --shard-pid "$shard_pid" \
  --report "$out/report.json" --quiet
load=${pids[-1]}
# Fault when every bot plays (on POP A).
playing() { in_ns "$1" curl -fs http://127.0.0.1:9101/status 2>/dev/null | python3 -c 'import json,sys; print(json.load(sys.stdin).get("playing", 0))' 2>/dev/null || echo 0; }
for _ in $(seq 1 200); do [ "$(playing "$ns_a")" -ge 16 ] && break; sleep 0.1; done
sleep 2   # two seconds of steady racing before the fault
before_a=$(playing "$ns_a"); before_b=$(playing "$ns_b")
t0=$(date +%s%N)
if [ "$mode" = drain ]; then
  in_ns "$ns_a" curl -fsS -X POST http://127.0.0.1:9101/drain >/dev/null
else
  kill -KILL "$relay_a"
fi
withdraw_ms=-1
for _ in $(seq 1 2000); do
  if [ "$(route_via)" = 10.77.2.2 ]; then withdraw_ms=$(( ($(date +%s%N) - t0) / 1000000 )); break; fi
  sleep 0.005
done
wait "$load" || true
after_b=$(playing "$ns_b")
python3 - "$out/report.json" "$mode" "$withdraw_ms" "$before_a" "$before_b" "$after_b" <<'PY'
import json, sys
path, mode, withdraw, before_a, before_b, after_b = sys.argv[1], sys.argv[2], int(sys.argv[3]), *map(int, sys.argv[4:7])
r = json.load(open(path))
s, c = r["summary"], r["counters"]
print(json.dumps({"mode": mode, "routeWithdrawalMillis": withdraw, "playingOnABefore": before_a, "playingOnBBefore": before_b,
                  "playingOnBAfter": after_b, "resumes": s["resumes"], "resumeStallMillisP50": s["stallMillis"]["p50"],
                  "resumeStallMillisMax": s["stallMillis"]["max"], "stalls": s["stallMillis"].get("count", 0),
                  "inputsLost": c.get("inputMisses", 0), "inputsChecked": c.get("inputChecks", 0),
                  "clientsFailed": r["gauges"]["failed"], "clientsStarted": r["gauges"]["started"]}))
PY
