#!/usr/bin/env bash
# Installs the Debian packages KartKlash Edge builds and runs with (idempotent; needs root).
set -euo pipefail
pkgs=(libuv1-dev libssl-dev libenet-dev libhiredis-dev redis-server postgresql-15 nginx coturn pkg-config tmux gcc curl openssl python3-venv)
missing=()
for p in "${pkgs[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
if [ ${#missing[@]} -gt 0 ]; then
  echo "install-deps: installing ${missing[*]}"
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
fi
command -v swift >/dev/null || { echo "install-deps: swift 6 toolchain not found on PATH" >&2; exit 1; }
# Python test peers from PyPI, in a venv of their own: openskill (the rating model's reference
# implementation), moto (an S3 API on loopback for the asset tests) and aiortc (the WebRTC voice
# peers of Tests/Voice, relayed through coturn; wheels only, no numpy).
pyenv=${KK_PYENV:-/var/tmp/kk-pyenv}
if ! "$pyenv/bin/python" -c "import openskill, moto, flask, aiortc" >/dev/null 2>&1; then
  echo "install-deps: python venv $pyenv (openskill, moto[server], aiortc)"
  [ -x "$pyenv/bin/pip" ] || python3 -m venv "$pyenv"
  "$pyenv/bin/pip" install -q "openskill==6.2.0" "moto[server]==5.2.1" "aiortc==1.16.0"
fi
