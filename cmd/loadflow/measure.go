package main

import (
	"bufio"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"fmt"
	"os"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/redis/go-redis/v9"
)

// proc reads a server's counters from /proc; pid 0 reads nothing.
type proc struct{ pid int }

func procOf(pid int) proc { return proc{pid: pid} }

// procSample is a process's CPU time (user and system, every thread, dead
// ones included) and its read and write syscalls so far.
type procSample struct {
	cpu      time.Duration
	syscalls int64
}

// userHZ is the unit of utime and stime in /proc/<pid>/stat: USER_HZ,
// 100 on every Linux architecture Go supports.
const userHZ = 100

func (p proc) sample() (procSample, error) {
	var s procSample
	if p.pid == 0 {
		return s, nil
	}
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", p.pid))
	if err != nil {
		return s, err
	}
	// The command name (field 2) may hold spaces; fields count from its ")".
	f := strings.Fields(string(stat[strings.LastIndexByte(string(stat), ')')+1:]))
	if len(f) < 13 {
		return s, fmt.Errorf("/proc/%d/stat: %d fields", p.pid, len(f))
	}
	utime, err1 := strconv.ParseInt(f[11], 10, 64)
	stime, err2 := strconv.ParseInt(f[12], 10, 64)
	if err := errors.Join(err1, err2); err != nil {
		return s, fmt.Errorf("/proc/%d/stat: %w", p.pid, err)
	}
	s.cpu = time.Duration(utime+stime) * time.Second / userHZ
	io, err := os.Open(fmt.Sprintf("/proc/%d/io", p.pid))
	if err != nil {
		return s, err
	}
	defer io.Close()
	sc := bufio.NewScanner(io)
	for sc.Scan() {
		if name, v, ok := strings.Cut(sc.Text(), ": "); ok && (name == "syscr" || name == "syscw") {
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil {
				return s, fmt.Errorf("/proc/%d/io: %w", p.pid, err)
			}
			s.syscalls += n
		}
	}
	return s, sc.Err()
}

// redisStats are Redis's counters: commands processed and calls per
// command (both count the commands Lua scripts run), and read events (one
// per round trip a client makes: a pipeline of commands sent together
// arrives in one read).
type redisStats struct {
	commands, reads int64
	calls           map[string]int64
	usec            map[string]int64 // Redis's time in each command
	cpu             time.Duration    // used_cpu_user + used_cpu_sys
}

func redisSnapshot(ctx context.Context, rdb *redis.Client) (redisStats, error) {
	info, err := rdb.Info(ctx, "stats", "commandstats", "cpu").Result()
	if err != nil {
		return redisStats{}, fmt.Errorf("redis INFO: %w", err)
	}
	s := redisStats{calls: map[string]int64{}, usec: map[string]int64{}}
	for line := range strings.Lines(info) {
		name, v, ok := strings.Cut(strings.TrimSpace(line), ":")
		if !ok {
			continue
		}
		switch {
		case name == "total_commands_processed":
			s.commands, err = strconv.ParseInt(v, 10, 64)
		case name == "total_reads_processed":
			s.reads, err = strconv.ParseInt(v, 10, 64)
		case name == "used_cpu_user" || name == "used_cpu_sys":
			var sec float64
			sec, err = strconv.ParseFloat(v, 64)
			s.cpu += time.Duration(sec * float64(time.Second))
		case strings.HasPrefix(name, "cmdstat_"):
			// cmdstat_hmget:calls=12,usec=34,...
			cmd := strings.TrimPrefix(name, "cmdstat_")
			for kv := range strings.SplitSeq(v, ",") {
				k, n, _ := strings.Cut(kv, "=")
				switch k {
				case "calls":
					s.calls[cmd], err = strconv.ParseInt(n, 10, 64)
				case "usec":
					s.usec[cmd], err = strconv.ParseInt(n, 10, 64)
				}
				if err != nil {
					break
				}
			}
		}
		if err != nil {
			return s, fmt.Errorf("redis INFO %q: %w", line, err)
		}
	}
	return s, nil
}

// minus is s - o, counter by counter.
func (s redisStats) minus(o redisStats) redisStats {
	return redisStats{commands: s.commands - o.commands, reads: s.reads - o.reads, cpu: s.cpu - o.cpu,
		calls: minusEach(s.calls, o.calls), usec: minusEach(s.usec, o.usec)}
}

func minusEach(a, b map[string]int64) map[string]int64 {
	d := map[string]int64{}
	for name, n := range a {
		if n -= b[name]; n != 0 {
			d[name] = n
		}
	}
	for name, n := range b {
		if _, ok := a[name]; !ok {
			d[name] = -n
		}
	}
	return d
}

// rusageThread is RUSAGE_THREAD (Linux): the calling thread's CPU time.
const rusageThread = 1

// threadCPU is the CPU time (user and system) of the calling thread.
func threadCPU() (time.Duration, error) { return rusage(rusageThread) }

// selfCPU is the CPU time of this process: the load generator's own.
func selfCPU() (time.Duration, error) { return rusage(syscall.RUSAGE_SELF) }

func rusage(who int) (time.Duration, error) {
	var ru syscall.Rusage
	if err := syscall.Getrusage(who, &ru); err != nil {
		return 0, fmt.Errorf("getrusage: %w", err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()), nil
}

// es256Floor is the CPU time of one ES256 assertion check as a relying
// party does it (W3C WebAuthn L3 §7.2 steps 19-21): hash the
// clientDataJSON, hash authenticatorData || that hash, verify the ECDSA
// P-256 signature. Measured in this thread's CPU time over n checks, on a
// locked thread, so that neither the wall clock nor other goroutines count.
func es256Floor(n int) (time.Duration, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return 0, err
	}
	clientData := []byte(`{"type":"webauthn.get","challenge":"c2lnbi1pbi1jaGFsbGVuZ2UtMzItYnl0ZXMtbG9uZy0hIQ",` +
		`"origin":"http://localhost:3001","crossOrigin":false}`)
	authData := make([]byte, 37) // rpIdHash, flags, signCount
	sign := func() []byte { h := sha256.Sum256(clientData); return append(authData, h[:]...) }
	digest := sha256.Sum256(sign())
	sig, err := ecdsa.SignASN1(rand.Reader, key, digest[:])
	if err != nil {
		return 0, err
	}
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	t0, err := threadCPU()
	if err != nil {
		return 0, err
	}
	for range n {
		d := sha256.Sum256(sign())
		if !ecdsa.VerifyASN1(&key.PublicKey, d[:], sig) {
			return 0, errors.New("es256: own signature refused")
		}
	}
	t1, err := threadCPU()
	return (t1 - t0) / time.Duration(n), err
}
