#!/usr/bin/env bash
# The test command: installs what is needed, builds once (release, with testing enabled, so the
# process-level tests drive the optimized kk-relay/kk-shard/kk-load the way users run them),
# starts a real redis-server and a real PostgreSQL 15 on loopback ports, runs every test, stops
# both by pid.
# Exit code is the tests' exit code. No test verdict depends on the machine's speed: timing
# figures are printed as FIGURE lines and judged by benchmarks (LoadTests/bench.sh).
set -euo pipefail
cd "$(dirname "$0")/../.."
bash Ops/scripts/install-deps.sh
started=$(date +%s)
# Its own build folder (.build-test): the plain release build of the demo and the benchmarks in
# .build stays as it is instead of being rebuilt with other flags each time.
flags=(--scratch-path .build-test -c release -Xswiftc -enable-testing)
# One build for everything: the test bundle, the executables the system tests start and the
# C ABI library (libKartKlashClient.so, which `swift test` alone does not build).
set +e
swift build "${flags[@]}" --build-tests 2>&1 | grep -vE "prohibited flag|^\[[0-9]+/[0-9]+\]|^(Compiling|Emitting|Write|Wrapping|Linking|Building|Planning|Applying)"
rc=${PIPESTATUS[0]}
set -e
if [ "$rc" -ne 0 ]; then echo "test.sh: build failed ($rc)"; exit "$rc"; fi
built=$(date +%s)
echo "test.sh: build took $((built - started)) s"
read -r port pid < <(bash Ops/scripts/redis-local.sh)
read -r pgport pgpid pgdir pgpass < <(bash Ops/scripts/postgres-local.sh)
trap 'kill "$pid" 2>/dev/null || true; kill "$pgpid" 2>/dev/null || true; for _ in $(seq 1 100); do kill -0 "$pgpid" 2>/dev/null || break; sleep 0.05; done; rm -rf "$pgdir"' EXIT
export KK_REDIS_PORT="$port"
export KK_OPENSKILL_PYTHON="${KK_PYENV:-/var/tmp/kk-pyenv}/bin/python"
export KK_POSTGRES_URL="postgres://kk:$pgpass@127.0.0.1:$pgport/kk"
echo "test.sh: redis-server pid $pid on 127.0.0.1:$port; postgres pid $pgpid on 127.0.0.1:$pgport"
set +e
swift test "${flags[@]}" --skip-build --no-parallel 2>&1 | grep --line-buffered -vE "prohibited flag|^\[[0-9]+/[0-9]+\]"
rc=${PIPESTATUS[0]}
echo "test.sh: swift test exited $rc after $(( $(date +%s) - built )) s (build $((built - started)) s)"
# The soak's CI version (LoadTests/soak.sh runs it for 30 minutes under AddressSanitizer): two
# minutes of the stack under mixed impairment with a relay, a shard and Redis killed and started
# again in turn, on the test build's binaries; functional checks only (no crash, every fault
# recovered, no client failed); one-lap races, so clients also finish races and join the next.
soaked=$(date +%s)
set +e
bash LoadTests/soak.sh --seconds 120 --fault-every 30 --laps 1 --sanitize none --bin .build-test/release --functional --clients 24
src=$?
set -e
echo "test.sh: soak.sh exited $src after $(( $(date +%s) - soaked )) s"
if [ "$rc" -eq 0 ]; then rc=$src; fi
# The decoders' libFuzzer targets, a few seconds each over the committed corpora (its own build,
# .build-fuzz; Ops/scripts/fuzz.sh --hours N runs them for hours).
fuzzed=$(date +%s)
set +e
bash Ops/scripts/fuzz.sh --seconds 4 --jobs 2
frc=$?
set -e
echo "test.sh: fuzz.sh exited $frc after $(( $(date +%s) - fuzzed )) s"
if [ "$rc" -eq 0 ]; then rc=$frc; fi
exit "$rc"
