#!/bin/sh
# Checks that MatchSimulation.step does not allocate: replays a constant-input 8-kart log
# for 3600 and 36000 ticks under an LD_PRELOAD malloc counter; the counts must be equal.
# Usage: LoadTests/alloc-check/alloc-check.sh [debug|release]   (builds kk-replay under the shared lock)
set -eu
cfg=${1:-release}
root=$(cd "$(dirname "$0")/../.." && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
gcc -shared -fPIC -O2 -o "$tmp/count.so" "$root/LoadTests/alloc-check/malloc-count.c" -ldl
(cd "$root" && flock /tmp/kk-build.lock swift build -c "$cfg" --product kk-replay >/dev/null)
for t in 3600 36000; do
  printf 'kklog 1\ntrack canyon\nplayers 8\nseed 3\nlaps 50\nticks %s\n0 0 05 40\n0 1 01 -20\n0 2 01 0\n0 3 09 127\n0 4 03 10\n0 5 01 60\n0 6 05 -90\n0 7 01 5\n' "$t" > "$tmp/l$t.kklog"
  LD_PRELOAD="$tmp/count.so" "$root/.build/$cfg/kk-replay" --final-only "$tmp/l$t.kklog" 2>"$tmp/c$t" >/dev/null
done
a=$(cat "$tmp/c3600"); b=$(cat "$tmp/c36000")
echo "3600 ticks: $a; 36000 ticks: $b"
[ "$a" = "$b" ] && echo "OK: no per-tick allocation" || { echo "FAIL: step allocates"; exit 1; }
