#!/usr/bin/env bash
# The main job: installs what is needed, builds, and runs a local KartKlash stack on loopback —
# redis, PostgreSQL, the platform services (kk-services: accounts and auth, social, the lobby,
# results and economy, assets, proximity voice), coturn (TURN for voice), moto (S3 API) with the
# tracks published as signed bundles and nginx as their CDN, 2 sim shards, 2 edge relays on the
# lobby's control plane, the match service — then synthetic clients that log in as real
# (device) accounts, gather in lobby rooms of 8 (create, join by code, vote, ready up), take the
# connect token the lobby pushes, do the real DTLS handshake and race, with a live summary.
# Near the end one relay and one shard are killed by pid (the fault demo): the clients resume
# on the other relay, the other shard adopts the matches, and the report counts it.
# Every port is picked free; everything is stopped by pid on exit (Ctrl-C too); a JSON summary
# (processes, ports, the load report) is written to the run directory.
# Prometheus scrapes every process; the console (kk-services --services console) polls them
# all and serves the web console at /console; the screen is kk-console, the live terminal view.
# Knobs: DEMO_CLIENTS (32), DEMO_SECONDS (the racing time; default the scenario's, 60 s),
# DEMO_TRACK (what the bots vote for: oval), DEMO_LAPS (1), DEMO_FAULTS (1; 0: no kills),
# DEMO_CONF (release), DEMO_SUMMARY (also copy the summary here), DEMO_RUN_DIR (the run
# directory; default a new /tmp/kk-demo.*), KK_BIN (use these binaries, no build),
# DEMO_SKIP_INSTALL (1: do not run install-deps).
set -euo pipefail
cd "$(dirname "$0")/../.."
[ "${DEMO_SKIP_INSTALL:-0}" = 1 ] || bash Ops/scripts/install-deps.sh
clients=${DEMO_CLIENTS:-32}
conf=${DEMO_CONF:-release}
if [ -n "${KK_BIN:-}" ]; then
  bin=$KK_BIN
else
  echo "demo: building ($conf; the first build takes several minutes)"
  swift build -c "$conf" 2>&1 | grep -vE "prohibited flag|^\[[0-9]+/[0-9]+\]" | tail -3
  bin=$(swift build -c "$conf" --show-bin-path)
fi
if [ -n "${DEMO_RUN_DIR:-}" ]; then run=$DEMO_RUN_DIR; mkdir -p "$run"; else run=$(mktemp -d /tmp/kk-demo.XXXXXX); fi
laps=${DEMO_LAPS:-1}
track=${DEMO_TRACK:-oval}
pids=()
names=()
pg_dir=""
extra_dirs=()
started() { pids+=("$2"); names+=("$1"); }
cleanup() {
  for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
  for _ in $(seq 1 50); do
    alive=0
    for p in "${pids[@]}"; do kill -0 "$p" 2>/dev/null && alive=1; done
    [ "$alive" = 0 ] && break
    sleep 0.1
  done
  for p in "${pids[@]}"; do kill -KILL "$p" 2>/dev/null || true; done
  if [ -n "$pg_dir" ]; then
    runuser -u postgres -- /usr/lib/postgresql/15/bin/pg_ctl -D "$pg_dir/data" -m fast -w stop >/dev/null 2>&1 || true
    rm -rf "$pg_dir"
  fi
  for d in "${extra_dirs[@]}"; do rm -rf "$d"; done
  echo "demo: stopped; logs in $run"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
free_port() { python3 -c 'import socket,sys; k=socket.SOCK_DGRAM if sys.argv[1]=="udp" else socket.SOCK_STREAM; s=socket.socket(socket.AF_INET,k); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])' "${1:-tcp}"; }
http=$(free_port); matchport=$(free_port)
read -r rport rpid < <(bash Ops/scripts/redis-local.sh)
started redis "$rpid"
key=$(openssl rand -hex 32)
cookie=$(openssl rand -hex 32)
echo "demo: redis on 127.0.0.1:$rport (pid $rpid)"
admins=()
for i in 1 2; do
  enet=$(free_port udp); admin=$(free_port)
  "$bin/kk-shard" --id "shard-$i" --enet-port "$enet" --admin-port "$admin" --redis-port "$rport" --laps "$laps" \
    >"$run/shard-$i.log" 2>&1 &
  started "shard-$i" "$!"; admins+=("$admin")
  echo "demo: kk-shard shard-$i pid $! (enet 127.0.0.1:$enet, admin :$admin)"
done
lobbysecret=$(openssl rand -hex 16)
for i in 1 2; do
  udp=$(free_port udp); admin=$(free_port)
  KK_TOKEN_KEY=$key KK_COOKIE_SECRET=$cookie KK_LOBBY_RELAY_SECRET=$lobbysecret "$bin/kk-relay" serve --listen-port "$udp" \
    --admin-port "$admin" --redis-port "$rport" --workers 1 --relay-id "relay-$i" \
    --lobby-url "ws://127.0.0.1:$http/v1/lobby/relay-control" >"$run/relay-$i.log" 2>&1 &
  started "relay-$i" "$!"; admins+=("$admin")
  echo "demo: kk-relay relay-$i pid $! (udp 127.0.0.1:$udp, admin :$admin, lobby control plane)"
done
read -r pgport pgpid pg_dir pgpass < <(bash Ops/scripts/postgres-local.sh)
echo "demo: postgresql on 127.0.0.1:$pgport (pid $pgpid)"
turnsecret=$(openssl rand -hex 16)
read -r tport tpid tdir < <(bash Ops/scripts/coturn-local.sh "$turnsecret")
started coturn "$tpid"; extra_dirs+=("$tdir")
echo "demo: coturn (TURN for proximity voice) on 127.0.0.1:$tport (pid $tpid)"
# Assets: moto as the S3 store, the tracks published as signed bundles, nginx as the CDN.
pyenv=${KK_PYENV:-/var/tmp/kk-pyenv}
mport=$(free_port)
"$pyenv/bin/moto_server" -H 127.0.0.1 -p "$mport" >"$run/moto.log" 2>&1 &
started moto "$!"
for _ in $(seq 1 200); do curl -fs "http://127.0.0.1:$mport/moto-api/" >/dev/null 2>&1 && break; sleep 0.05; done
export KK_S3_ACCESS_KEY=demo KK_S3_SECRET_KEY=demo
assetkey=$(openssl rand -hex 32)
KK_ASSET_SIGNING_KEY=$assetkey "$bin/kk-assets" publish --endpoint "http://127.0.0.1:$mport" --build demo-1 --key-id assets-1 | sed 's/^/demo: /'
assetpub=$(KK_ASSET_SIGNING_KEY=$assetkey "$bin/kk-assets" public-key)
linksecret=$(openssl rand -hex 16)
read -r cport cpid cdir < <(bash Ops/scripts/nginx-cdn.sh "http://127.0.0.1:$mport/kk-assets" "$linksecret")
started nginx "$cpid"; extra_dirs+=("$cdir")
echo "demo: moto (S3 API) on 127.0.0.1:$mport, nginx CDN pid $cpid on 127.0.0.1:$cport (asset key assets-1:$assetpub)"
loadadmin=$(free_port)
# Prometheus scrapes every process with an admin endpoint (the bots' kk-load too).
pport=$(free_port)
mkdir -p "$run/prometheus"
python3 - "$run/prometheus/prometheus.yml" "$PWD/Ops/prometheus/rules.yml" "$http" "$matchport" "$loadadmin" "${admins[@]}" <<'PY'
import sys
path, rules, http, match, load, *admins = sys.argv[1:]
jobs = {"kk-shard": [("shard-1", admins[0]), ("shard-2", admins[1])], "kk-relay": [("relay-1", admins[2]), ("relay-2", admins[3])],
        "kk-services": [("kk-services", http)], "kk-match": [("kk-match", match)], "kk-load": [("bots", load)]}
with open(path, "w") as f:
    f.write(f"global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\nrule_files:\n  - '{rules}'\nscrape_configs:\n")
    for job, members in jobs.items():
        f.write(f"  - job_name: {job}\n    static_configs:\n")
        for name, port in members:
            f.write(f"      - targets: ['127.0.0.1:{port}']\n        labels: {{name: {name}}}\n")
PY
prometheus --config.file="$run/prometheus/prometheus.yml" --storage.tsdb.path="$run/prometheus/data" \
  --web.listen-address="127.0.0.1:$pport" >"$run/prometheus.log" 2>&1 &
started prometheus "$!"
echo "demo: prometheus pid $! (http://127.0.0.1:$pport, scraping ${#admins[@]} admin ports, kk-services, kk-match and the bots every second; alerts: Ops/prometheus/rules.yml)"
clientcmd="$bin/kk-client --auth-url http://127.0.0.1:$http --lobby-url ws://127.0.0.1:$http/v1/lobby --asset-public-key assets-1:$assetpub"
# The console's targets: every process by pid, those with admin endpoints by URL too.
python3 - "$run/console-targets.json" "$http" "$matchport" "$loadadmin" "$pport" "$clientcmd" "${names[*]}" "${pids[*]}" "${admins[*]}" "$pgpid" <<'PY'
import json, sys
path, http, match, load, prom, clientcmd, names, pids, admins, pgpid = sys.argv[1:]
admins = admins.split()
kinds = {"shard-1": "shard", "shard-2": "shard", "relay-1": "relay", "relay-2": "relay"}
targets = [{"name": "postgres", "kind": "postgres", "pid": int(pgpid)}]
for name, pid in zip(names.split(), map(int, pids.split())):
    t = {"name": name, "kind": kinds.get(name, name), "pid": pid}
    if name in kinds:
        t["url"] = "http://127.0.0.1:" + admins[list(kinds).index(name)]
    targets.append(t)
targets += [{"name": "kk-services", "kind": "services", "url": f"http://127.0.0.1:{http}"},
            {"name": "kk-match", "kind": "match", "url": f"http://127.0.0.1:{match}"},
            {"name": "bots", "kind": "load", "url": f"http://127.0.0.1:{load}"}]
json.dump({"title": "KartKlash Edge local stack", "targets": targets, "results": f"http://127.0.0.1:{http}",
           "tracks": ["sprint", "oval", "canyon"], "prometheus": f"http://127.0.0.1:{prom}",
           "join": [clientcmd, f"web console: http://127.0.0.1:{http}/console   prometheus: http://127.0.0.1:{prom}"]},
          open(path, "w"), indent=1)
PY
jwt=$(openssl rand -hex 32)
authkey=$(KK_JWT_KEY=$jwt "$bin/kk-services" --print-public-key)
KK_JWT_KEY=$jwt KK_POSTGRES_URL="postgres://kk:$pgpass@127.0.0.1:$pgport/kk" KK_TOKEN_KEY=$key KK_LOBBY_RELAY_SECRET=$lobbysecret \
  KK_TURN_SECRET=$turnsecret KK_ASSET_LINK_SECRET=$linksecret \
  "$bin/kk-services" --services auth,social,lobby,results,economy,assets,voice,console --http-port "$http" --redis-port "$rport" --countdown-seconds 2 \
  --assets-store "http://127.0.0.1:$mport" --assets-cdn-url "http://127.0.0.1:$cport" --assets-public-key "assets-1:$assetpub" \
  --voice-turn-url "turn:127.0.0.1:$tport?transport=udp" --console-targets "$run/console-targets.json" \
  >"$run/services.log" 2>&1 &
started kk-services "$!"
echo "demo: kk-services (auth, social, lobby, results, economy, assets, voice, console; presence, race results, boards and rewards, karts' positions from the shards) pid $! (http 127.0.0.1:$http, ws /v1/lobby and /v1/voice, GET /v1/assets/linux/current, access-token key $authkey)"
KK_TOKEN_KEY=$key KK_AUTH_PUBLIC_KEY=$authkey "$bin/kk-match" --http-port "$matchport" --redis-port "$rport" >"$run/match.log" 2>&1 &
started kk-match "$!"
echo "demo: kk-match pid $! (http 127.0.0.1:$matchport, players authenticated by the auth service's tokens)"
for port in "${admins[@]}" "$http" "$matchport"; do
  for _ in $(seq 1 100); do curl -fsS "http://127.0.0.1:$port/readyz" >/dev/null 2>&1 && break; sleep 0.1; done
  echo "demo: :$port $(curl -s "http://127.0.0.1:$port/readyz" | head -1)"
done
# The scenario: LoadTests/scenarios/demo.json with the racing time and the fault demo applied
# (one relay killed at 40% of the run, one shard at 65%: each with time left to show the
# clients resuming and the match adopted).
python3 - LoadTests/scenarios/demo.json "$run/scenario.json" "$clients" "${DEMO_SECONDS:-}" "${DEMO_FAULTS:-1}" <<'PY'
import json, math, sys
src, dst, clients, seconds, faults = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4], sys.argv[5] == "1"
s = json.load(open(src))
s["clients"] = clients
if seconds: s["holdSeconds"] = max(1, int(seconds))
r = s["ramp"]
total = math.ceil(clients / r["stepClients"]) * r["stepSeconds"] + s["holdSeconds"]
s["faults"] = [{"atSeconds": round(total * 0.4, 1), "kill": "relay", "index": 0},
               {"atSeconds": round(total * 0.65, 1), "kill": "shard", "index": 0}] if faults else []
json.dump(s, open(dst, "w"), indent=2)
PY
[ "${DEMO_FAULTS:-1}" = 1 ] && echo "demo: fault demo: relay-1 and shard-1 are killed by pid near the end (DEMO_FAULTS=0 skips it)"
echo "demo: $clients synthetic clients log in (device accounts), meet in lobby rooms of 8, vote $track ($laps lap), race, get results and coins"
echo "demo: web console: http://127.0.0.1:$http/console (open it in a browser); the live view follows"
echo "demo: play yourself: $clientcmd"
echo "demo:   (a room of your own: c, then share the code; quick play: m) or, without the lobby, --match-url http://127.0.0.1:$matchport"
loadstatus=0
"$bin/kk-load" --scenario "$run/scenario.json" --clients "$clients" --lobby-url "ws://127.0.0.1:$http/v1/lobby" \
  --auth-url "http://127.0.0.1:$http" --vote-track "$track" --admin-port "$loadadmin" \
  --shard-pid "${pids[1]}" --shard-pid "${pids[2]}" --relay-pid "${pids[3]}" --relay-pid "${pids[4]}" \
  --report "$run/report.json" 2>"$run/load.log" &
loadpid=$!
started bots "$loadpid"
# The screen: the console's snapshots once a second until the bots are done (a frame every
# 5 s when the output is not a terminal).
"$bin/kk-console" --port "$http" --until-pid "$loadpid" || true
wait "$loadpid" || loadstatus=$?
grep -E "^kk-load: (PASSED|FAILED|fault|knee|threshold)" "$run/load.log" | sed 's/^/demo: /' || true
# The console's last word: the first snapshot it takes after the bots are done (the finished
# races' results, the bots' final figures).
python3 - "$http" "$run/console.json" <<'PY'
import json, sys, time, urllib.request
port, out = sys.argv[1], sys.argv[2]
def status():
    try:
        return json.load(urllib.request.urlopen(f"http://127.0.0.1:{port}/v1/console/status", timeout=2))
    except Exception:
        return None
first = status()
last = first
deadline = time.time() + 5
while first is not None and time.time() < deadline:
    last = status() or last
    if last["seq"] > first["seq"]:
        break
    time.sleep(0.1)
json.dump(last or {}, open(out, "w"))
PY
echo
for i in 0 1; do echo "demo: shard-$((i + 1)) status: $(curl -s "http://127.0.0.1:${admins[$i]}/status" || echo down)"; done
for i in 2 3; do echo "demo: relay-$((i - 1)) status: $(curl -s "http://127.0.0.1:${admins[$i]}/status" || echo down)"; done
echo "demo: services: $(curl -s "http://127.0.0.1:$http/status")"
# The JSON summary: what ran where, and the load report (clients, latency, resumes, faults).
python3 - "$run" "$loadstatus" "$http" "$matchport" "$rport" "$pgport" "$tport" "$cport" "$mport" "$pport" "$loadadmin" "${names[*]}" "${pids[*]}" <<'PY'
import json, os, sys
run, status = sys.argv[1], int(sys.argv[2])
ports = dict(zip(["services", "match", "redis", "postgres", "coturn", "cdn", "moto", "prometheus", "bots"], map(int, sys.argv[3:12])))
procs = dict(zip(sys.argv[12].split(), map(int, sys.argv[13].split())))
report = None
if os.path.exists(run + "/report.json"):
    report = json.load(open(run + "/report.json"))
console = json.load(open(run + "/console.json")) if os.path.exists(run + "/console.json") else None
json.dump({"ok": status == 0, "loadExitStatus": status, "run": run, "ports": ports, "processes": procs, "report": report,
           "console": console},
          open(run + "/summary.json", "w"), indent=2)
PY
[ -n "${DEMO_SUMMARY:-}" ] && cp "$run/summary.json" "$DEMO_SUMMARY"
echo "demo: summary: $run/summary.json; report: $run/report.json (and report.md)"
[ -f "$run/report.md" ] && sed -n 1,40p "$run/report.md"
exit "$loadstatus"
