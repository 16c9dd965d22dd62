#!/bin/sh
# Runs the KartKlash Edge micro-benchmarks (release build) and writes the results to a file:
# a summary table (p50 ns/op, p50 mallocs/op per benchmark), the frame sizes, then the full
# package-benchmark output.
#
# Usage: LoadTests/Benchmarks/run.sh [OUTPUT_FILE] [extra `swift package benchmark` args...]
#   OUTPUT_FILE defaults to LoadTests/Benchmarks/results/latest.md
#   e.g.  run.sh /tmp/wire.md --filter 'Wire.*'
# Builds under the shared build lock (/tmp/kk-build.lock). Needs flock, awk.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
out=${1:-$here/results/latest.md}
[ $# -gt 0 ] && shift
mkdir -p "$(dirname "$out")"
out=$(cd "$(dirname "$out")" && pwd)/$(basename "$out") # absolute: we cd below
raw=$(mktemp)
trap 'rm -f "$raw"' EXIT
cd "$here"
# swift package benchmark always builds the benchmark targets in release.
flock /tmp/kk-build.lock swift package benchmark --no-progress "$@" >"$raw" 2>&1 || {
  cat "$raw" >&2
  echo "benchmark run failed" >&2
  exit 1
}
{
  echo "# KartKlash Edge micro-benchmarks"
  echo
  echo "- date: $(date -u +%Y-%m-%dT%H:%M:%SZ)"
  echo "- commit: $(git -C "$here" rev-parse --short HEAD 2>/dev/null || echo unknown)$(git -C "$here" diff --quiet HEAD -- ../.. 2>/dev/null || echo ' (dirty)')"
  echo "- host: $(uname -srm), $(nproc) cores; $(swift --version 2>/dev/null | head -1)"
  echo
  echo "Per operation, p50 over the samples of this run. Compare rows of the same run only (noisy shared VM)."
  echo
  echo "| benchmark | ns/op (p50) | ns/op (p90) | ops/s (from p50) | mallocs/op (p50) | samples |"
  echo "|---|---:|---:|---:|---:|---:|"
  LC_ALL=C awk '
    function num(line, i,   n, f) { n = split(line, f, "\342\224\202"); gsub(/[ ,]/, "", f[i]); return f[i] }
    index($0, "\342\225\222") == 1 { bench = last; next }
    index($0, "Time (wall clock)") > 0 { p50[bench] = num($0, 5); p90[bench] = num($0, 7); samples[bench] = num($0, 10); order[++n] = bench; next }
    index($0, "Malloc (total)") > 0 { mal[bench] = num($0, 5); next }
    /^[A-Za-z]/ && $0 !~ /^(Host|Baseline|Note|Build|Building|Compiling|Linking|Write|Emitting|KKBench$)/ { last = $0 }
    END {
      for (i = 1; i <= n; i++) {
        b = order[i]; ops = (p50[b] > 0) ? sprintf("%.0f", 1e9 / p50[b]) : "-"
        printf "| %s | %s | %s | %s | %s | %s |\n", b, p50[b], p90[b], ops, (b in mal) ? mal[b] : "-", samples[b]
      }
    }' "$raw"
  echo
  echo "## Sizes"
  echo
  grep '^\[sizes\]' "$raw" | sort -u | sed 's/^\[sizes\] /- /'
  echo
  echo "## Full output"
  echo
  echo '```'
  grep -v -E '^\[[0-9]+/[0-9]+\]|^\[sizes\]' "$raw"
  echo '```'
} >"$out"
sed -n '1,/^## Full output/p' "$out" | sed '$d'
echo "results written to $out"
