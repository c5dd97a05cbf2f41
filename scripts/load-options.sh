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
#
# AGAINST=/path/to/other/foyer compares this tree's build with another in
# paired rounds: both servers run side by side on CPU 1 against one Redis,
# and each round times both, one after the other, in alternating order, so
# that the host's drift (a third between minutes on a shared VM) falls on
# both alike. ROUNDS (6 by default with AGAINST) rounds of DURATION (5s),
# then the medians of each build.
#   AGAINST=/tmp/foyer-main ROUNDS=6 scripts/load-options.sh
set -euo pipefail
cd "$(dirname "$0")/.."
AGAINST=${AGAINST:-}
if [[ -n $AGAINST ]]; then
  [[ -x $AGAINST ]] || { echo "AGAINST must be an executable Foyer build" >&2; exit 1; }
  ROUNDS=${ROUNDS:-6} DURATION=${DURATION:-5s}
fi
N=${N:-1000} DURATION=${DURATION:-10s} CONNS=${CONNS:-64} THREADS=${THREADS:-2} ROUNDS=${ROUNDS:-1}
[[ $DURATION =~ ^([1-9]|10)s$ ]] || { echo "DURATION must be 1s..10s" >&2; exit 1; }
[[ $ROUNDS =~ ^([1-9]|1[0-9]|20)$ ]] || { echo "ROUNDS must be 1..20" >&2; exit 1; }
for tool in redis-server wrk curl taskset; do
  command -v "$tool" >/dev/null || { echo "needs $tool (apt-get install redis-server wrk curl util-linux)" >&2; exit 1; }
done
out=$(mktemp -d)
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
go build -o "$out/foyer" ./cmd/foyer
rport=$(free_port)
redis-server --bind 127.0.0.1 --port "$rport" --save '' --appendonly no --logfile "$out/redis.log" &
pids=$!
taskset -a -p -c 0 "$pids" >/dev/null
trap 'kill $pids 2>/dev/null; wait 2>/dev/null; rm -rf "$out"' EXIT

# start NAME BINARY: a server on CPU 1 with its own port and metrics port;
# sets port_NAME, mport_NAME and pid_NAME. One at a time: the first one to
# start makes the demo tenant that both serve.
start() {
  local port mport
  port=$(free_port) mport=$(free_port)
  FOYER_ADDR=127.0.0.1:$port FOYER_REDIS_URL=redis://127.0.0.1:$rport FOYER_DEV=1 FOYER_METRICS_ADDR=127.0.0.1:$mport \
    taskset -c 1 "$2" >"$out/$1.log" 2>&1 &
  pids="$pids $!"
  printf -v "pid_$1" %s $!
  printf -v "port_$1" %s "$port"
  printf -v "mport_$1" %s "$mport"
  for _ in $(seq 100); do curl -sf "http://127.0.0.1:$port/healthz" >/dev/null && return; sleep 0.1; done
  echo "$1 did not start: $(tail -3 "$out/$1.log")" >&2
  exit 1
}

seed() { # ORIGIN NUMBER: one identified Register interaction; prints its cookie value
  local jar; jar=$(mktemp)
  curl -sf -c "$jar" -X PUT "$1/api/interaction" -H "Origin: $1" -H 'Content-Type: application/json' \
    -d '{"event":"Register"}' >/dev/null
  curl -sf -b "$jar" -X PATCH "$1/api/interaction/profile" -H "Origin: $1" -H 'Content-Type: application/json' \
    -d "{\"username\":\"load$2\"}" >/dev/null
  awk '$6 == "foyer_ix" {print $7}' "$jar"; rm -f "$jar"
}
export -f seed

builds=this
start this "$out/foyer"
if [[ -n $AGAINST ]]; then
  builds='this against'
  start against "$AGAINST"
fi
for b in $builds; do
  port=port_$b
  seq "$N" | xargs -P 8 -I{} bash -c "seed http://localhost:${!port} {}" >"$out/cookies-$b.txt"
  [[ $(wc -l <"$out/cookies-$b.txt") -eq $N ]] || { echo "seeding $b failed" >&2; exit 1; }
done

ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
sysc() { awk '/^sysc[rw]:/ {s += $2} END {print s}' "/proc/$1/io"; }
busy1() { awk '/^cpu1 / {print $2 + $3 + $4 + $7 + $8, $5 + $6}' /proc/stat; }
# Redis round trips the server made (each pipeline the batching client
# sends counts once), from its own metrics.
batches() { curl -sf "http://127.0.0.1:$1/metrics" | awk '/^foyer_redis_command_duration_seconds_count/ {s += $2} END {print s + 0}'; }
wrk_run() { # BUILD DURATION OUTPUT
  local port=port_$1
  taskset -c 0 wrk -t"$THREADS" -c"$CONNS" -d"$2" --timeout 2s -s scripts/load-options.lua \
    "http://localhost:${!port}" -- "$out/cookies-$1.txt" "http://localhost:${!port}" >"$3"
}
# one BUILD ROUND: a timed run, printed as one line of results
one() {
  local pid=pid_$1 mport=mport_$1 t0 y0 b0 c0 t1 y1 b1 c1 ppid=''
  t0=$(ticks "${!pid}") y0=$(sysc "${!pid}") b0=$(batches "${!mport}") c0=$(busy1)
  if [[ -n ${PROFILE:-} && $2 == 1 && $1 == this ]]; then
    curl -sf -o "$PROFILE" "http://127.0.0.1:${!mport}/debug/pprof/profile?seconds=$((${DURATION%s} - 1))" &
    ppid=$!
  fi
  wrk_run "$1" "$DURATION" "$out/wrk.txt"
  t1=$(ticks "${!pid}") y1=$(sysc "${!pid}") b1=$(batches "${!mport}") c1=$(busy1)
  [[ -z $ppid ]] || wait "$ppid"
  # The line for people, and the same figures for the medians in
  # rounds.tsv: build, req/s, CPU us/req, syscalls/req, CPU 1 busy %.
  awk -v who="$1" -v dt=$((t1 - t0)) -v dy=$((y1 - y0)) -v db=$((b1 - b0)) -v c0="$c0" -v c1="$c1" \
      -v hz="$(getconf CLK_TCK)" -v tsv="$out/rounds.tsv" '/^RESULT/ {
    for (i = 2; i <= NF; i++) { split($i, kv, "="); v[kv[1]] = kv[2] }
    split(c0, a, " "); split(c1, b, " "); n = v["requests"]
    rps = n / (v["duration_us"] / 1e6); us = dt * 1e6 / hz / n; sc = dy / n
    busy = 100 * (b[1] - a[1]) / (b[1] - a[1] + b[2] - a[2])
    printf "%-8s %6.0f req/s  p50 %5.2f ms  p99 %5.2f ms  server %5.1f us CPU/req  %.2f read+write syscalls/req  %.3f Redis round trips/req  CPU 1 %2.0f%% busy  errors %d\n",
      who, rps, v["p50_us"] / 1000, v["p99_us"] / 1000, us, sc, db / n, busy, v["non2xx"] + v["sockerr"]
    printf "%s\t%f\t%f\t%f\t%f\n", who, rps, us, sc, busy >> tsv }' "$out/wrk.txt"
}

for b in $builds; do wrk_run "$b" 2s /dev/null; done # warm up
for r in $(seq "$ROUNDS"); do
  order=$builds
  (( r % 2 )) || order=$(echo "$builds" | awk '{for (i = NF; i > 0; i--) printf "%s ", $i}')
  for b in $order; do one "$b" "$r"; done
done
if [[ -n $AGAINST ]]; then
  # Medians of each build's rounds: req/s, CPU per request, syscalls, busy share.
  for b in $builds; do
    awk -F '\t' -v who="$b" '$1 == who { r[++n] = $2; u[n] = $3; s[n] = $4; c[n] = $5 }
      function med(x,   i, j, t) { for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (x[j] < x[i]) { t = x[i]; x[i] = x[j]; x[j] = t }
        return n % 2 ? x[(n + 1) / 2] : (x[n / 2] + x[n / 2 + 1]) / 2 }
      END { printf "median %-8s %6.0f req/s  server %5.1f us CPU/req  %.2f syscalls/req  CPU 1 %2.0f%% busy  (%d rounds)\n", who, med(r), med(u), med(s), med(c), n }' \
      "$out/rounds.tsv"
  done
fi
