#!/usr/bin/env bash
# The main job: installs what is needed, builds, and runs a local KartKlash stack on loopback —
# redis, PostgreSQL, the platform services (kk-services: accounts and auth, social, the lobby),
# 2 sim shards, 2 edge relays on the lobby's control plane, the match service — then synthetic
# clients that log in as real (device) accounts, gather in lobby rooms of 8 (create, join by
# code, vote, ready up), take the connect token the lobby pushes, do the real DTLS handshake and
# race, with a live summary.
# Everything is stopped by pid on exit. Knob: DEMO_CLIENTS (default 32; the scenario is
# LoadTests/scenarios/demo.json: 40 ms RTT, 1% loss each way, ~30 s).
set -euo pipefail
cd "$(dirname "$0")/../.."
bash Ops/scripts/install-deps.sh
clients=${DEMO_CLIENTS:-32}
echo "demo: building (release; the first build takes several minutes)"
swift build -c release 2>&1 | grep -vE "prohibited flag|^\[[0-9]+/[0-9]+\]" | tail -3
bin=$(swift build -c release --show-bin-path)
run=$(mktemp -d /tmp/kk-demo.XXXXXX)
pids=()
pg_dir=""
cleanup() {
  for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
  sleep 1
  for p in "${pids[@]}"; do kill -KILL "$p" 2>/dev/null || true; done
  if [ -n "$pg_dir" ]; then
    runuser -u postgres -- /usr/lib/postgresql/15/bin/pg_ctl -D "$pg_dir/data" -m fast -w stop >/dev/null 2>&1 || true
    rm -rf "$pg_dir"
  fi
  echo "demo: stopped; logs in $run"
}
trap cleanup EXIT
read -r rport rpid < <(bash Ops/scripts/redis-local.sh)
pids+=("$rpid")
key=$(openssl rand -hex 32)
cookie=$(openssl rand -hex 32)
echo "demo: redis on 127.0.0.1:$rport (pid $rpid)"
for i in 1 2; do
  "$bin/kk-shard" --id "shard-$i" --enet-port $((7300 + i)) --admin-port $((7400 + i)) --redis-port "$rport" \
    >"$run/shard-$i.log" 2>&1 &
  pids+=("$!"); echo "demo: kk-shard shard-$i pid $! (enet 127.0.0.1:$((7300 + i)), admin :$((7400 + i)))"
done
lobbysecret=$(openssl rand -hex 16)
for i in 1 2; do
  KK_TOKEN_KEY=$key KK_COOKIE_SECRET=$cookie KK_LOBBY_RELAY_SECRET=$lobbysecret "$bin/kk-relay" serve --listen-port $((7776 + i)) \
    --admin-port $((7780 + i)) --redis-port "$rport" --workers 1 --relay-id "relay-$i" \
    --lobby-url ws://127.0.0.1:7090/v1/lobby/relay-control >"$run/relay-$i.log" 2>&1 &
  pids+=("$!"); echo "demo: kk-relay relay-$i pid $! (udp 127.0.0.1:$((7776 + i)), admin :$((7780 + i)), lobby control plane)"
done
read -r pgport pgpid pg_dir pgpass < <(bash Ops/scripts/postgres-local.sh)
echo "demo: postgresql on 127.0.0.1:$pgport (pid $pgpid)"
jwt=$(openssl rand -hex 32)
authkey=$(KK_JWT_KEY=$jwt "$bin/kk-services" --print-public-key)
KK_JWT_KEY=$jwt KK_POSTGRES_URL="postgres://kk:$pgpass@127.0.0.1:$pgport/kk" KK_TOKEN_KEY=$key KK_LOBBY_RELAY_SECRET=$lobbysecret \
  "$bin/kk-services" --services auth,social,lobby,results,economy --http-port 7090 --redis-port "$rport" --countdown-seconds 2 \
  >"$run/services.log" 2>&1 &
pids+=("$!"); echo "demo: kk-services (auth, social, lobby, results, economy; presence, race results, boards and rewards from the shards) pid $! (http 127.0.0.1:7090, ws /v1/lobby, access-token key $authkey)"
KK_TOKEN_KEY=$key KK_AUTH_PUBLIC_KEY=$authkey "$bin/kk-match" --http-port 7080 --redis-port "$rport" >"$run/match.log" 2>&1 &
pids+=("$!"); echo "demo: kk-match pid $! (http 127.0.0.1:7080, players authenticated by the auth service's tokens)"
for port in 7401 7402 7781 7782 7090 7080; do
  for _ in $(seq 1 100); do curl -fsS "http://127.0.0.1:$port/readyz" >/dev/null 2>&1 && break; sleep 0.1; done
  echo "demo: :$port $(curl -s "http://127.0.0.1:$port/readyz" | head -1)"
done
echo "demo: $clients synthetic clients log in (device accounts), meet in lobby rooms of 8 and race (one summary line per second)"
echo "demo: play yourself: $bin/kk-client --auth-url http://127.0.0.1:7090 --lobby-url ws://127.0.0.1:7090/v1/lobby"
echo "demo:   (a room of your own: c, then share the code; quick play: m) or, without the lobby, --match-url http://127.0.0.1:7080"
"$bin/kk-load" --scenario LoadTests/scenarios/demo.json --clients "$clients" --lobby-url ws://127.0.0.1:7090/v1/lobby \
  --auth-url http://127.0.0.1:7090 \
  --shard-pid "${pids[1]}" --shard-pid "${pids[2]}" --relay-pid "${pids[3]}" --relay-pid "${pids[4]}" \
  --report "$run/report.json" || true
echo
echo "demo: shard status:"; curl -s http://127.0.0.1:7401/status; echo; curl -s http://127.0.0.1:7402/status; echo
echo "demo: relay status:"; curl -s http://127.0.0.1:7781/status; echo; curl -s http://127.0.0.1:7782/status; echo
echo "demo: lobby:"; curl -s http://127.0.0.1:7090/status; echo
echo "demo: report: $run/report.json (and report.md)"
[ -f "$run/report.md" ] && sed -n 1,40p "$run/report.md"
