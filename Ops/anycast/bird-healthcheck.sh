#!/usr/bin/env bash
# Health-driven anycast for a POP running BIRD (bird-pop.conf.in): polls the local relay's
# /readyz every INTERVAL seconds; after FALL failures it disables BIRD's `svc` protocol (the
# route is withdrawn: the upstream router moves traffic to the next POP within milliseconds),
# after RISE successes it enables it again. Prints one line per change.
# Usage: bird-healthcheck.sh READYZ_URL BIRD_CONTROL_SOCKET [INTERVAL=0.1] [FALL=2] [RISE=2]
set -u
url=${1:?readyz url, e.g. http://127.0.0.1:7780/readyz}
ctl=${2:?bird control socket}
interval=${3:-0.1}; fall=${4:-2}; rise=${5:-2}
ok=0; bad=0; announced=0   # svc starts disabled (bird-pop.conf.in)
while true; do
  if curl -fsS --max-time 0.5 "$url" >/dev/null 2>&1; then ok=$((ok + 1)); bad=0; else bad=$((bad + 1)); ok=0; fi
  if [ "$announced" -eq 1 ] && [ "$bad" -ge "$fall" ]; then
    birdc -s "$ctl" disable svc >/dev/null && announced=0 && echo "$(date +%s.%N) withdraw (relay not ready)"
  elif [ "$announced" -eq 0 ] && [ "$ok" -ge "$rise" ]; then
    birdc -s "$ctl" enable svc >/dev/null && announced=1 && echo "$(date +%s.%N) announce (relay ready)"
  fi
  sleep "$interval"
done
