#!/usr/bin/env bash
# Asset download throughput (issue 18), in one run: the same bundle through the CDN path
# (nginx secure_link + proxy cache in front of the S3 store, a signed URL; the first fetch is
# a cache miss from moto, the rest hits) next to nginx serving the same bytes as a plain static
# file (the baseline), each fetched ROUNDS times with curl over loopback; MB/s and the ratio.
# Starts moto_server (the test venv) and nginx on loopback, stops them by pid.
#
#   LoadTests/assetbench.sh                 # 64 MB bundle, 10 rounds
#   MB=16 ROUNDS=5 LoadTests/assetbench.sh
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
MB=${MB:-64}
ROUNDS=${ROUNDS:-10}
PYENV=${KK_PYENV:-/var/tmp/kk-pyenv}
PIDS=()
WORK=$(mktemp -d /tmp/kk-assetbench.XXXXXX)
CDNDIR=
cleanup() {
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null || true; done
  rm -rf "$WORK"; [ -n "$CDNDIR" ] && rm -rf "$CDNDIR"
}
trap cleanup EXIT
[ -x "$PYENV/bin/moto_server" ] || { echo "assetbench: $PYENV/bin/moto_server missing (Ops/scripts/install-deps.sh)" >&2; exit 1; }
MPORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
"$PYENV/bin/moto_server" -H 127.0.0.1 -p "$MPORT" >"$WORK/moto.log" 2>&1 &
PIDS+=("$!")
for _ in $(seq 1 200); do curl -fs "http://127.0.0.1:$MPORT/moto-api/" >/dev/null 2>&1 && break; sleep 0.05; done
mkdir -p "$WORK/www"
head -c $((MB * 1024 * 1024)) /dev/urandom >"$WORK/www/bundle.bin"
chmod -R a+rX "$WORK"
SHA=$(sha256sum "$WORK/www/bundle.bin" | cut -d' ' -f1)
# The bucket and the object (public-read, as kk-assets stores bundles: nginx fetches unsigned;
# an explicit Content-Type: with curl's default form type moto stores an empty body).
S3=(--aws-sigv4 "aws:amz:us-east-1:s3" --user testing:testing)
curl -fs "${S3[@]}" -X PUT "http://127.0.0.1:$MPORT/kk-bench" >/dev/null
curl -fs "${S3[@]}" -X PUT -H "x-amz-acl: public-read" -H "Content-Type: application/octet-stream" --data-binary @"$WORK/www/bundle.bin" "http://127.0.0.1:$MPORT/kk-bench/bundles/$SHA" >/dev/null
SECRET=$(openssl rand -hex 16)
read -r CPORT CPID CDNDIR < <(bash "$ROOT/Ops/scripts/nginx-cdn.sh" "http://127.0.0.1:$MPORT/kk-bench" "$SECRET" "$WORK/www")
PIDS+=("$CPID")
EXP=$(( $(date +%s) + 3600 ))
URI="/bundles/$SHA"
MD5=$(printf '%s%s %s' "$EXP" "$URI" "$SECRET" | openssl md5 -binary | openssl base64 | tr '+/' '-_' | tr -d '=')
CDN="http://127.0.0.1:$CPORT$URI?md5=$MD5&expires=$EXP"
STATIC="http://127.0.0.1:$CPORT/static/bundle.bin"
fetch() {  # url -> seconds; checks the bytes
  local t; t=$(curl -fs -o "$WORK/got" -w '%{time_total}' "$1")
  [ "$(sha256sum "$WORK/got" | cut -d' ' -f1)" = "$SHA" ] || { echo "assetbench: wrong bytes from $1" >&2; exit 1; }
  echo "$t"
}
echo "assetbench: $MB MB bundle, $ROUNDS rounds each, $(nproc) cores"
COLD=$(fetch "$CDN")
printf 'cdn cold (cache miss from moto): %.1f MB/s\n' "$(echo "$MB / $COLD" | bc -l)"
python3 - "$MB" "$ROUNDS" "$CDN" "$STATIC" "$WORK" <<'PY'
import subprocess, sys, statistics
mb, rounds, cdn, static, work = float(sys.argv[1]), int(sys.argv[2]), sys.argv[3], sys.argv[4], sys.argv[5]
def t(url):
    out = subprocess.run(["curl", "-fs", "-o", work + "/got", "-w", "%{time_total}", url], check=True, capture_output=True, text=True).stdout
    return float(out)
res = {"cdn": [], "static": []}
for _ in range(rounds):           # interleaved: both see the same machine noise
    res["static"].append(t(static))
    res["cdn"].append(t(cdn))
for k in ("static", "cdn"):
    v = sorted(mb / s for s in res[k])
    print(f"{k:6s} warm: median {statistics.median(v):8.1f} MB/s  (min {v[0]:.1f}, max {v[-1]:.1f})")
ratio = statistics.median(mb / s for s in res["cdn"]) / statistics.median(mb / s for s in res["static"])
print(f"ratio cdn/static (median): {ratio:.2f}")
PY
curl -s -o /dev/null -D - "$CDN" | grep -i x-cache-status || true
