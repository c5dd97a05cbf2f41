package main

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
	"time"
)

// per is n per sign-in of res.
func (res result) per(n int64) float64 {
	if res.ok == 0 {
		return 0
	}
	return float64(n) / float64(res.ok)
}

// percentile is the nearest-rank q-th latency, in milliseconds.
func (res result) percentile(q float64) float64 {
	if len(res.lat) == 0 {
		return 0
	}
	i := int(q*float64(len(res.lat))+0.999999) - 1
	return float64(res.lat[max(i, 0)]) / float64(time.Millisecond)
}

func (res result) rate() float64 { return float64(res.ok) / res.elapsed.Seconds() }

// cpuPer is the server's CPU microseconds per sign-in.
func (res result) cpuPer() float64 { return res.per(res.server.cpu.Microseconds()) }

func (r *runner) report(results []result, floor time.Duration) {
	w := r.out
	fmt.Fprintf(w, "\nWhole sign-ins (conc 1: one at a time, exact Redis counts; conc %d: the load, for %s)\n", r.cfg.conc, r.cfg.duration)
	fmt.Fprintf(w, "%-9s %4s %8s %6s %10s %7s %8s %8s %8s %8s %8s %8s %8s\n", "flow", "conc", "sign-ins", "failed",
		"sign-ins/s", "p50 ms", "p99 ms", "srv us", "syscalls", "cmds", "reads", "redis us", "client us")
	for _, res := range results {
		fmt.Fprintf(w, "%-9s %4d %8d %6d %10.0f %7.2f %8.2f %8.1f %8.2f %8.2f %8.2f %8.1f %8.1f\n", res.flow, res.conc, res.ok, res.failed(),
			res.rate(), res.percentile(0.50), res.percentile(0.99), res.cpuPer(), res.per(res.server.syscalls),
			res.per(res.redis.commands), res.per(res.redis.reads), res.per(res.redis.cpu.Microseconds()), res.per(res.client.Microseconds()))
	}
	fmt.Fprintln(w, "(per sign-in: srv us, syscalls: the server's CPU and read+write syscalls; cmds: Redis commands, Lua's")
	fmt.Fprintln(w, " included; reads: Redis read events, at conc 1 each one round trip of the server, under load pipelined")
	fmt.Fprintln(w, " commands share reads; redis us: Redis's CPU; client us: this load generator's CPU)")
	for _, res := range results {
		if !res.seq || res.ok == 0 {
			continue
		}
		names := sortedClasses(res.redis.calls)
		slices.SortStableFunc(names, func(a, b string) int { return cmp.Compare(res.redis.calls[b], res.redis.calls[a]) })
		parts := make([]string, 0, len(names))
		for _, name := range names {
			parts = append(parts, fmt.Sprintf("%s %.2g (%.0f us)", name, res.per(res.redis.calls[name]), res.per(res.redis.usec[name])))
		}
		fmt.Fprintf(w, "Redis commands of one %s sign-in (calls, Redis's time in them): %s\n", res.flow, strings.Join(parts, ", "))
	}
	for _, res := range results {
		for cause, n := range res.failures {
			fmt.Fprintf(w, "FAILED %s conc %d: %d x %s\n", res.flow, res.conc, n, cause)
		}
	}

	floorUS := float64(floor.Nanoseconds()) / 1e3
	fmt.Fprintf(w, "\nES256 verification (SHA-256 + ECDSA P-256, this process's CPU, %d runs): %.1f us\n", r.cfg.verifies, floorUS)
	passkeyCPU := 0.0
	for _, res := range results {
		if res.flow == "passkey" && !res.seq {
			passkeyCPU = res.cpuPer()
		}
	}
	ratio := passkeyCPU / floorUS
	switch {
	case r.proc.pid == 0:
		fmt.Fprintln(w, "passkey sign-in: no -pid, the server's CPU is unknown")
	case passkeyCPU > 0:
		verdict := "goal met"
		if ratio > 4 {
			verdict = "goal missed"
		}
		fmt.Fprintf(w, "passkey sign-in under load: %.1f us of server CPU = %.1fx the ES256 floor (goal <= 4x: %s)\n", passkeyCPU, ratio, verdict)
	}
	fmt.Fprintf(w, "RESULT es256_verify_us=%.2f passkey_cpu_us=%.1f ratio=%.2f\n", floorUS, passkeyCPU, ratio)
	for _, res := range results {
		fmt.Fprintf(w, "RESULT flow=%s conc=%d signins=%d failed=%d per_s=%.1f p50_ms=%.3f p99_ms=%.3f cpu_us=%.1f syscalls=%.2f redis_cmds=%.2f redis_reads=%.2f redis_cpu_us=%.1f client_cpu_us=%.1f\n",
			res.flow, res.conc, res.ok, res.failed(), res.rate(), res.percentile(0.50), res.percentile(0.99), res.cpuPer(),
			res.per(res.server.syscalls), res.per(res.redis.commands), res.per(res.redis.reads),
			res.per(res.redis.cpu.Microseconds()), res.per(res.client.Microseconds()))
	}
}

func (r *runner) reportMemory(sizes []ixSize, all []memFlow, added map[string]map[string]int64) {
	w := r.out
	fmt.Fprintf(w, "Interaction in Redis after each step (MEMORY USAGE foyer:ix:{id} SAMPLES 0; goal <= %d B)\n", ixGoal)
	fmt.Fprintf(w, "%-17s %-23s %7s %7s\n", "flow", "step", "bytes", "doc")
	var largest ixSize
	for _, s := range sizes {
		if s.gone {
			fmt.Fprintf(w, "%-17s %-23s %7s %7s\n", s.flow, s.step, "deleted", "")
		} else {
			fmt.Fprintf(w, "%-17s %-23s %7d %7d\n", s.flow, s.step, s.key, s.doc)
		}
		fmt.Fprintf(w, "MEMORY flow=%q step=%s ix_bytes=%d doc_bytes=%d deleted=%t\n", s.flow, s.step, s.key, s.doc, s.gone)
		if s.key > largest.key {
			largest = s
		}
	}
	verdict := "goal met"
	if largest.key > ixGoal {
		verdict = "goal missed"
	}
	fmt.Fprintf(w, "largest: %d B (%s, after %s): %s\n", largest.key, largest.flow, largest.step, verdict)

	fmt.Fprintln(w, "\nBytes each flow added to Redis, by key class (MEMORY USAGE SAMPLES 0 of every foyer:* key, before and after)")
	account := map[string]int64{}
	for _, f := range all {
		var parts []string
		for _, class := range sortedClasses(added[f.name]) {
			n := added[f.name][class]
			parts = append(parts, fmt.Sprintf("%s %+d", class, n))
			if userClass(class) {
				account[f.name] += n
			}
			fmt.Fprintf(w, "MEMORY flow=%q class=%s bytes=%d\n", f.name, class, n)
		}
		fmt.Fprintf(w, "%-17s %s\n", f.name, strings.Join(parts, ", "))
	}
	user := account["sign-up"]
	fmt.Fprintf(w, "per user (user, indexes, list entry): %d B; a passkey adds %d B, a TOTP factor %d B; a login session (sess + usess) %d B\n",
		user, account["sign-up+passkey"]-user, account["sign-up+totp"]-user,
		added["password sign-in"]["sess"]+added["password sign-in"]["usess"])
	fmt.Fprintf(w, "MEMORY per_user=%d per_passkey=%d per_totp=%d per_login_session=%d largest_ix=%d\n\n",
		user, account["sign-up+passkey"]-user, account["sign-up+totp"]-user,
		added["password sign-in"]["sess"]+added["password sign-in"]["usess"], largest.key)
}
