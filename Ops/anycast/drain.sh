#!/usr/bin/env bash
# Drains the local relay: /readyz turns false (the health check withdraws the anycast route within
# ~2 s), existing sessions play on until their match ends or the drain deadline, then it exits.
set -euo pipefail
admin=${1:-127.0.0.1:7780}
curl -fsS -X POST "http://$admin/drain"
echo "drain requested; watch: curl -s http://$admin/status"
