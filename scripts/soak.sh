#!/usr/bin/env bash
# Soak test with faults: builds foyer and the load generator (cmd/soak),
# which runs redis-server (appendonly yes, appendfsync always), foyer, an
# SMTP listener and a webhook receiver on 127.0.0.1 only, drives steady
# mixed flows, kills redis-server -9 and restarts it, pauses it with
# SIGSTOP/SIGCONT, and prints the figures. Bounded: the load runs
# DURATION (default 120s, at most 150s) and everything ends within 3
# minutes. Exit 3 means a goal was missed.
#
#   DURATION=60s RATE=12 scripts/soak.sh
set -euo pipefail
cd "$(dirname "$0")/.."
command -v redis-server >/dev/null || { echo "soak: redis-server not found (apt-get install redis-server)" >&2; exit 1; }
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
go build -o "$out/foyer" ./cmd/foyer
go build -o "$out/soak" ./cmd/soak
exec timeout --signal=TERM --kill-after=10s 180s "$out/soak" -foyer "$out/foyer" \
	-duration "${DURATION:-120s}" -rate "${RATE:-12}" -workers "${WORKERS:-32}"
