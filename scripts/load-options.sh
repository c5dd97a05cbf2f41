#!/usr/bin/env bash
# Load test of the hot path: POST /api/interaction/verification/webauthn-registration.
# Builds Foyer, starts redis-server and Foyer (pinned to CPU 1 with taskset) on
# 127.0.0.1, opens N identified Register interactions through the API, drives
# the options call with wrk (64 connections, bounded to DURATION <= 10s, pinned
# to CPU 0), and prints req/s, p50/p99 latency, the server's CPU microseconds
# per request and its read+write syscalls per request (from /proc/<pid>).
#   N=1000 DURATION=10s CONNS=64 scripts/load-options.sh
# PROFILE=cpu.pprof also writes a CPU profile of the timed run (from
# /debug/pprof on the private metrics listener): go tool pprof -top cpu.pprof
set -euo pipefail
cd "$(dirname "$0")/.."
N=${N:-1000} DURATION=${DURATION:-10s} CONNS=${CONNS:-64} THREADS=${THREADS:-2}
[[ $DURATION =~ ^([1-9]|10)s$ ]] || { echo "DURATION must be 1s..10s" >&2; exit 1; }
for tool in redis-server wrk curl taskset; do
  command -v "$tool" >/dev/null || { echo "needs $tool (apt-get install redis-server wrk curl util-linux)" >&2; exit 1; }
done
out=$(mktemp -d)
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
rport=$(free_port) fport=$(free_port) mport=$(free_port)
go build -o "$out/foyer" ./cmd/foyer
redis-server --bind 127.0.0.1 --port "$rport" --save '' --appendonly no --logfile "$out/redis.log" &
rpid=$!
taskset -a -p -c 0 "$rpid" >/dev/null
FOYER_ADDR=127.0.0.1:$fport FOYER_REDIS_URL=redis://127.0.0.1:$rport FOYER_DEV=1 FOYER_METRICS_ADDR=127.0.0.1:$mport \
  taskset -c 1 "$out/foyer" >"$out/foyer.log" 2>&1 &
fpid=$!
trap 'kill $fpid $rpid 2>/dev/null; wait 2>/dev/null; rm -rf "$out"' EXIT
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$fport/healthz" >/dev/null && break; sleep 0.1; done

origin="http://localhost:$fport"
seed() { # one identified Register interaction; prints its cookie value
  local jar; jar=$(mktemp)
  curl -sf -c "$jar" -X PUT "$origin/api/interaction" -H "Origin: $origin" -H 'Content-Type: application/json' \
    -d '{"event":"Register"}' >/dev/null
  curl -sf -b "$jar" -X PATCH "$origin/api/interaction/profile" -H "Origin: $origin" -H 'Content-Type: application/json' \
    -d "{\"username\":\"load$1\"}" >/dev/null
  awk '$6 == "foyer_ix" {print $7}' "$jar"; rm -f "$jar"
}
export -f seed; export origin
seq "$N" | xargs -P 8 -I{} bash -c 'seed {}' >"$out/cookies.txt"
[[ $(wc -l <"$out/cookies.txt") -eq $N ]] || { echo "seeding failed" >&2; exit 1; }

ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
sysc() { awk '/^sysc[rw]:/ {s += $2} END {print s}' "/proc/$1/io"; }
taskset -c 0 wrk -t"$THREADS" -c"$CONNS" -d2s -s scripts/load-options.lua "$origin" -- "$out/cookies.txt" "$origin" >/dev/null
# Redis round trips the server made (each pipeline the batching client sends
# counts once), from its own metrics.
batches() { curl -sf "http://127.0.0.1:$mport/metrics" | awk '/^foyer_redis_command_duration_seconds_count/ {s += $2} END {print s + 0}'; }
t0=$(ticks $fpid) y0=$(sysc $fpid) b0=$(batches)
ppid=''
if [[ -n ${PROFILE:-} ]]; then
  curl -sf -o "$PROFILE" "http://127.0.0.1:$mport/debug/pprof/profile?seconds=$((${DURATION%s} - 1))" &
  ppid=$!
fi
taskset -c 0 wrk -t"$THREADS" -c"$CONNS" -d"$DURATION" --timeout 2s -s scripts/load-options.lua "$origin" -- "$out/cookies.txt" "$origin" >"$out/wrk.txt"
t1=$(ticks $fpid) y1=$(sysc $fpid) b1=$(batches)
[[ -z $ppid ]] || wait "$ppid"
awk -v dt=$((t1 - t0)) -v dy=$((y1 - y0)) -v db=$((b1 - b0)) -v hz="$(getconf CLK_TCK)" '/^RESULT/ {
  for (i = 2; i <= NF; i++) { split($i, kv, "="); v[kv[1]] = kv[2] }
  n = v["requests"]
  printf "webauthn-registration: %.0f req/s  p50 %.2f ms  p99 %.2f ms  server %.1f us CPU/req  %.2f read+write syscalls/req  %.3f Redis writes/req  errors %d\n",
    n / (v["duration_us"] / 1e6), v["p50_us"] / 1000, v["p99_us"] / 1000, dt * 1e6 / hz / n, dy / n, db / n, v["non2xx"] + v["sockerr"] }' "$out/wrk.txt"
