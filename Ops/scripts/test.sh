#!/usr/bin/env bash
# The test command: installs what is needed, starts a real redis-server on a loopback port,
# runs every test (swift test), stops redis by pid. Exit code is the tests' exit code.
set -euo pipefail
cd "$(dirname "$0")/../.."
bash Ops/scripts/install-deps.sh
read -r port pid < <(bash Ops/scripts/redis-local.sh)
trap 'kill "$pid" 2>/dev/null || true' EXIT
export KK_REDIS_PORT="$port"
echo "test.sh: redis-server pid $pid on 127.0.0.1:$port"
# The C ABI test links libKartKlashClient.so, which `swift test` does not build by itself.
swift build --product KartKlashClient 2>&1 | grep -E "error|warning: unre" || true
set +e
swift test --no-parallel 2>&1 | grep -vE "prohibited flag|^\[[0-9]+/[0-9]+\]"
rc=${PIPESTATUS[0]}
echo "test.sh: swift test exited $rc"
exit "$rc"
