# Sourced by LoadTests/*bench.sh: the repository root, the build configuration (CONF, default
# release) and its binaries, a temp dir, and the processes started (PIDS) stopped by pid on
# exit; helpers to build products and start redis / PostgreSQL on loopback.
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
CONF=${CONF:-release}
BIN="$ROOT/.build/$CONF"
TMP=$(mktemp -d /tmp/kk-bench.XXXXXX)
PIDS=()
PGDIR=
bench_cleanup() {
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null || true; done
  if [ -n "$PGDIR" ]; then rm -rf "$PGDIR"; fi
  rm -rf "$TMP"
}
trap bench_cleanup EXIT

# bench_build PRODUCT...: one build at a time on this machine (flock).
bench_build() {
  for product in "$@"; do
    (cd "$ROOT" && flock /tmp/kk-build.lock swift build -c "$CONF" --product "$product" 2>&1 \
      | grep -vE "prohibited flag|^\[[0-9]+/|unhandled|CMakeLists" || true)
  done
}
# Sets RPORT.
bench_redis() {
  read -r RPORT RPID < <(bash "$ROOT/Ops/scripts/redis-local.sh")
  PIDS+=("$RPID")
}
# Sets PGPORT, PGPASS, PGDIR and exports KK_POSTGRES_URL.
bench_postgres() {
  read -r PGPORT PGPID PGDIR PGPASS < <(bash "$ROOT/Ops/scripts/postgres-local.sh")
  PIDS+=("$PGPID")
  export KK_POSTGRES_URL="postgres://kk:$PGPASS@127.0.0.1:$PGPORT/kk"
}
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
