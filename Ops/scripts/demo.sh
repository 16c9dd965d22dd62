#!/usr/bin/env bash
# The main job: installs what is needed, builds, and runs a local KartKlash stack on loopback —
# redis, PostgreSQL, the platform services (kk-services: accounts and auth, social, the lobby,
# results and economy, assets, proximity voice), coturn (TURN for voice), moto (S3 API) with the
# tracks published as signed bundles and nginx as their CDN, 2 sim shards, 2 edge relays on the lobby's control plane, the match service — then synthetic
# clients that log in as real (device) accounts, gather in lobby rooms of 8 (create, join by
# code, vote, ready up), take the connect token the lobby pushes, do the real DTLS handshake and
# race, with a live summary.
# Everything is stopped by pid on exit. Knobs: DEMO_CLIENTS (default 32; the scenario is
# LoadTests/scenarios/demo.json: 40 ms RTT, 1% loss each way, ~30 s), DEMO_CONF (release).
set -euo pipefail
cd "$(dirname "$0")/../.."
bash Ops/scripts/install-deps.sh
clients=${DEMO_CLIENTS:-32}
conf=${DEMO_CONF:-release}
echo "demo: building ($conf; the first build takes several minutes)"
swift build -c "$conf" 2>&1 | grep -vE "prohibited flag|^\[[0-9]+/[0-9]+\]" | tail -3
bin=$(swift build -c "$conf" --show-bin-path)
run=$(mktemp -d /tmp/kk-demo.XXXXXX)
pids=()
pg_dir=""
extra_dirs=()
cleanup() {
  for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
  sleep 1
  for p in "${pids[@]}"; do kill -KILL "$p" 2>/dev/null || true; done
  if [ -n "$pg_dir" ]; then
    runuser -u postgres -- /usr/lib/postgresql/15/bin/pg_ctl -D "$pg_dir/data" -m fast -w stop >/dev/null 2>&1 || true
    rm -rf "$pg_dir"
  fi
  for d in "${extra_dirs[@]}"; do rm -rf "$d"; done
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
turnsecret=$(openssl rand -hex 16)
read -r tport tpid tdir < <(bash Ops/scripts/coturn-local.sh "$turnsecret")
pids+=("$tpid"); extra_dirs+=("$tdir")
echo "demo: coturn (TURN for proximity voice) on 127.0.0.1:$tport (pid $tpid)"
# Assets: moto as the S3 store, the tracks published as signed bundles, nginx as the CDN.
pyenv=${KK_PYENV:-/var/tmp/kk-pyenv}
mport=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
"$pyenv/bin/moto_server" -H 127.0.0.1 -p "$mport" >"$run/moto.log" 2>&1 &
pids+=("$!")
for _ in $(seq 1 200); do curl -fs "http://127.0.0.1:$mport/moto-api/" >/dev/null 2>&1 && break; sleep 0.05; done
export KK_S3_ACCESS_KEY=demo KK_S3_SECRET_KEY=demo
assetkey=$(openssl rand -hex 32)
KK_ASSET_SIGNING_KEY=$assetkey "$bin/kk-assets" publish --endpoint "http://127.0.0.1:$mport" --build demo-1 --key-id assets-1 | sed 's/^/demo: /'
assetpub=$(KK_ASSET_SIGNING_KEY=$assetkey "$bin/kk-assets" public-key)
linksecret=$(openssl rand -hex 16)
read -r cport cpid cdir < <(bash Ops/scripts/nginx-cdn.sh "http://127.0.0.1:$mport/kk-assets" "$linksecret")
pids+=("$cpid"); extra_dirs+=("$cdir")
echo "demo: moto (S3 API) pid ${pids[-2]} on 127.0.0.1:$mport, nginx CDN pid $cpid on 127.0.0.1:$cport (asset key assets-1:$assetpub)"
jwt=$(openssl rand -hex 32)
authkey=$(KK_JWT_KEY=$jwt "$bin/kk-services" --print-public-key)
KK_JWT_KEY=$jwt KK_POSTGRES_URL="postgres://kk:$pgpass@127.0.0.1:$pgport/kk" KK_TOKEN_KEY=$key KK_LOBBY_RELAY_SECRET=$lobbysecret \
  KK_TURN_SECRET=$turnsecret KK_ASSET_LINK_SECRET=$linksecret \
  "$bin/kk-services" --services auth,social,lobby,results,economy,assets,voice --http-port 7090 --redis-port "$rport" --countdown-seconds 2 \
  --assets-store "http://127.0.0.1:$mport" --assets-cdn-url "http://127.0.0.1:$cport" --assets-public-key "assets-1:$assetpub" \
  --voice-turn-url "turn:127.0.0.1:$tport?transport=udp" \
  >"$run/services.log" 2>&1 &
pids+=("$!"); echo "demo: kk-services (auth, social, lobby, results, economy, assets, voice; presence, race results, boards and rewards, karts' positions from the shards) pid $! (http 127.0.0.1:7090, ws /v1/lobby and /v1/voice, GET /v1/assets/linux/current, access-token key $authkey)"
KK_TOKEN_KEY=$key KK_AUTH_PUBLIC_KEY=$authkey "$bin/kk-match" --http-port 7080 --redis-port "$rport" >"$run/match.log" 2>&1 &
pids+=("$!"); echo "demo: kk-match pid $! (http 127.0.0.1:7080, players authenticated by the auth service's tokens)"
for port in 7401 7402 7781 7782 7090 7080; do
  for _ in $(seq 1 100); do curl -fsS "http://127.0.0.1:$port/readyz" >/dev/null 2>&1 && break; sleep 0.1; done
  echo "demo: :$port $(curl -s "http://127.0.0.1:$port/readyz" | head -1)"
done
echo "demo: $clients synthetic clients log in (device accounts), meet in lobby rooms of 8 and race (one summary line per second)"
echo "demo: play yourself: $bin/kk-client --auth-url http://127.0.0.1:7090 --lobby-url ws://127.0.0.1:7090/v1/lobby --asset-public-key assets-1:$assetpub"
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
