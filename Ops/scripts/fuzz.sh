#!/bin/bash
# Runs the decoders' libFuzzer targets (kk-fuzz; Sources/KKFuzz) over their committed seed
# corpora (Tests/Fuzz/corpus/<target>/), with AddressSanitizer.
#
#   Ops/scripts/fuzz.sh --seconds 5            each target for 5 s (CI)
#   Ops/scripts/fuzz.sh --hours 4 --jobs 2     each target for its share of 4 hours, 2 at a time
#   Ops/scripts/fuzz.sh --seconds 60 --targets delta-frame,snapshot
#
# The binary is built with libFuzzer's coverage instrumentation (-sanitize-coverage with the
# options -sanitize=fuzzer implies) and libFuzzer's no-main runtime, since kk-fuzz has a main of
# its own (list, seed, replay) and hands over to LLVMFuzzerRunDriver; into .build-fuzz/.
# New inputs go to a scratch corpus (/var/tmp/kk-fuzz/<target>), never into the committed one.
# A crash or a violated property stops the run with exit 1 and names the reproducer: copy it
# into Tests/Fuzz/regressions/<target>/ with the fix (FuzzCorpusTests replays it).
set -euo pipefail
# libFuzzer reports crashes itself; Swift's backtracer would add a second report per crash.
export SWIFT_BACKTRACE=enable=no
cd "$(dirname "$0")/../.."
seconds=5
hours=""
jobs=1
only=""
while [ $# -gt 0 ]; do
  case "$1" in
    --seconds) seconds="$2"; shift 2 ;;
    --hours) hours="$2"; shift 2 ;;
    --jobs) jobs="$2"; shift 2 ;;
    --targets) only="$2"; shift 2 ;;
    *) echo "fuzz.sh: unknown argument $1" >&2; exit 2 ;;
  esac
done
swiftbin=$(dirname "$(readlink -f "$(command -v swift)")")
runtime=$(ls "$swiftbin"/../lib/clang/*/lib/linux/libclang_rt.fuzzer_no_main-x86_64.a 2>/dev/null | head -1)
[ -f "$runtime" ] || { echo "fuzz.sh: libclang_rt.fuzzer_no_main not found in the Swift toolchain" >&2; exit 1; }
echo "fuzz.sh: building kk-fuzz with libFuzzer + AddressSanitizer (.build-fuzz)"
swift build -c release --product kk-fuzz --scratch-path .build-fuzz \
  -Xswiftc -DKK_FUZZ -Xswiftc -sanitize=address \
  -Xswiftc -sanitize-coverage=edge,trace-cmp,inline-8bit-counters,pc-table \
  -Xlinker "$runtime" -Xlinker -lstdc++ 2>&1 | grep -E "error|warning: unre|Compiling kk|Build complete" || true
bin=.build-fuzz/release/kk-fuzz
[ -x "$bin" ] || { echo "fuzz.sh: build failed" >&2; exit 1; }
targets=$("$bin" list | cut -f1)
if [ -n "$only" ]; then targets=$(echo "$only" | tr ',' ' '); fi
n=$(echo $targets | wc -w)
if [ -n "$hours" ]; then seconds=$(( (hours * 3600 * jobs) / n )); fi
work=/var/tmp/kk-fuzz
artifacts="$work/artifacts"
mkdir -p "$artifacts"
summary="$work/summary.txt"
: > "$summary"
run_one() {
  local t="$1" scratch="$work/corpus/$1" log="$work/$1.log"
  mkdir -p "$scratch"
  # -rss_limit_mb bounds memory; -max_len covers the largest shard packet; -timeout: a slow input is a finding.
  if "$bin" run "$t" -max_total_time="$seconds" -rss_limit_mb=1024 -max_len=17000 -timeout=10 \
       -artifact_prefix="$artifacts/$t-" -print_final_stats=1 "$scratch" "Tests/Fuzz/corpus/$t" > "$log" 2>&1; then
    local execs rate cov
    execs=$(grep -aE "stat::number_of_executed_units" "$log" | awk '{print $2}')
    rate=$(( ${execs:-0} / (seconds > 0 ? seconds : 1) ))
    cov=$(grep -aE "^#[0-9]+.*(DONE|pulse|NEW)" "$log" | tail -1 | grep -oE "cov: [0-9]+" || true)
    echo "$t: ok, ${execs:-0} executions in ${seconds}s (~${rate}/s), ${cov:-cov: ?}, corpus $(ls "$scratch" | wc -l) new" | tee -a "$summary"
  else
    echo "$t: FAILED (log $log)" | tee -a "$summary"
    grep -aE "ERROR|VIOLATION|Fatal|Test unit written" "$log" | head -5
    return 1
  fi
}
status=0
pids=()
for t in $targets; do
  run_one "$t" & pids+=($!)
  if [ ${#pids[@]} -ge "$jobs" ]; then wait "${pids[0]}" || status=1; pids=("${pids[@]:1}"); fi
done
for p in "${pids[@]}"; do wait "$p" || status=1; done
echo "fuzz.sh: $n targets, ${seconds}s each: $([ $status = 0 ] && echo 'no finding' || echo 'FINDINGS (see above)')"
exit $status
