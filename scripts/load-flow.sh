#!/usr/bin/env bash
# Whole sign-ins per second: builds Foyer and cmd/loadflow, starts its own
# redis-server (127.0.0.1, a free port) and Foyer (dev mode, pinned to CPU 1),
# and runs loadflow pinned to CPU 0: the memory report, then passkey and
# password sign-ins (a sequential pass and CONC workers for DURATION, at most
# 10s each), and the ES256 floor. See cmd/loadflow/doc.go for what it prints.
#   DURATION=5s CONC=32 USERS=64 scripts/load-flow.sh [more loadflow flags]
# PROFILE=cpu.pprof also writes a CPU profile of Foyer during the first load
# phase (from /debug/pprof on its metrics listener; sampling costs a little of
# the CPU it measures): go tool pprof -top cpu.pprof
# Take the machine's measurement lock when others measure too:
#   flock /tmp/perf.lock scripts/load-flow.sh
set -euo pipefail
cd "$(dirname "$0")/.."
for tool in redis-server taskset python3 curl; do
  command -v "$tool" >/dev/null || { echo "needs $tool (apt-get install redis-server util-linux python3 curl)" >&2; exit 1; }
done
out=$(mktemp -d)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$out"
}
trap cleanup EXIT
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
rport=$(free_port) fport=$(free_port) mport=$(free_port)
go build -o "$out/foyer" ./cmd/foyer
go build -o "$out/loadflow" ./cmd/loadflow

taskset -c 0 redis-server --bind 127.0.0.1 --port "$rport" --save '' --appendonly no \
  --dir "$out" --logfile "$out/redis.log" &
pids+=($!)
pong() { python3 -c 'import socket,sys; s=socket.create_connection(("127.0.0.1",int(sys.argv[1])),1); s.sendall(b"PING\r\n"); sys.exit(s.recv(7)!=b"+PONG\r\n")' "$1" 2>/dev/null; }
for _ in $(seq 50); do pong "$rport" && break; sleep 0.1; done
# Seeding and every sign-in open an interaction from 127.0.0.1, which dev
# mode allows (its limit of new interactions per address is lifted).
FOYER_ADDR=127.0.0.1:$fport FOYER_REDIS_URL=redis://127.0.0.1:$rport FOYER_DEV=1 FOYER_METRICS_ADDR=127.0.0.1:$mport \
  taskset -c 1 "$out/foyer" >"$out/foyer.log" 2>&1 &
fpid=$!
pids+=("$fpid")
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$fport/healthz" >/dev/null && break; sleep 0.1; done
curl -sf "http://127.0.0.1:$fport/healthz" >/dev/null || { cat "$out/foyer.log" >&2; exit 1; }

profile=()
[[ -z ${PROFILE:-} ]] || profile=(-pprof "http://127.0.0.1:$mport" -profile "$PROFILE")
timeout --signal=TERM --kill-after=5s 150s taskset -c 0 "$out/loadflow" "${profile[@]}" \
  -url "http://localhost:$fport" -redis "redis://127.0.0.1:$rport" -pid "$fpid" \
  -duration "${DURATION:-5s}" -c "${CONC:-32}" -users "${USERS:-64}" "$@" \
  || { status=$?; tail -n 20 "$out/foyer.log" >&2; exit "$status"; }
