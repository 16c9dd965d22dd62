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
# Prometheus (the main job scrapes every process; promtool checks the rules) without its
# recommended exporters, BIRD 2 (the anycast test's BGP speakers) and Chromium (the web
# console's headless test). Package scripts must
# not start daemons (prometheus would take :9090): where the image has no policy-rc.d saying
# so, one is put in place for the install and removed after.
extra=()
dpkg -s prometheus >/dev/null 2>&1 || extra+=(prometheus)
dpkg -s chromium >/dev/null 2>&1 || extra+=(chromium)
dpkg -s bird2 >/dev/null 2>&1 || extra+=(bird2)
if [ ${#extra[@]} -gt 0 ]; then
  echo "install-deps: installing ${extra[*]}"
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  placed=0
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' | $SUDO tee /usr/sbin/policy-rc.d >/dev/null && $SUDO chmod +x /usr/sbin/policy-rc.d && placed=1
  fi
  [ ${#missing[@]} -gt 0 ] || $SUDO apt-get update -qq
  status=0
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends prometheus bird2 >/dev/null || status=$?
  [ "$status" = 0 ] && { DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium >/dev/null || status=$?; }
  [ "$placed" = 1 ] && $SUDO rm -f /usr/sbin/policy-rc.d
  [ "$status" = 0 ] || { echo "install-deps: apt-get install ${extra[*]} failed" >&2; exit "$status"; }
fi
command -v swift >/dev/null || { echo "install-deps: swift 6 toolchain not found on PATH" >&2; exit 1; }
# Python test peers from PyPI, in a venv of their own: openskill (the rating model's reference
# implementation), moto (an S3 API on loopback for the asset tests) and aiortc (the WebRTC voice
# peers of Tests/Voice, relayed through coturn; wheels only, no numpy) and kubernetes-validate
# (Ops/k8s/validate.py: the manifests against its bundled Kubernetes schemas, offline) and
# opentelemetry-proto (the OTLP receiver of the tracing test).
pyenv=${KK_PYENV:-/var/tmp/kk-pyenv}
if ! "$pyenv/bin/python" -c "import openskill, moto, flask, aiortc, kubernetes_validate, opentelemetry.proto" >/dev/null 2>&1; then
  echo "install-deps: python venv $pyenv (openskill, moto[server], aiortc, kubernetes-validate, opentelemetry-proto)"
  [ -x "$pyenv/bin/pip" ] || python3 -m venv "$pyenv"
  "$pyenv/bin/pip" install -q "openskill==6.2.0" "moto[server]==5.2.1" "aiortc==1.16.0" "kubernetes-validate==1.37.0" "opentelemetry-proto==1.38.0"
fi
