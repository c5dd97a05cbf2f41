package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"os"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/foyer-auth/foyer/internal/flows"
	"github.com/foyer-auth/foyer/tests/authenticator"
)

// password is every seeded user's: strong enough for the tenant's policy.
const password = "violet-Harbor-kettle-93"

// seedWorkers sign users up at once.
const seedWorkers = 4

type runner struct {
	cfg  config
	hc   *http.Client
	rdb  *redis.Client
	out  io.Writer
	proc proc
	tag  string // in every username, so that runs on one Redis never collide
	// overhead is what taking two Redis snapshots adds to the counters
	// (the INFO command and its read), subtracted from every delta.
	overhead redisStats
}

// flow is one kind of sign-in: sign-in i of worker w (of n), by a visitor
// whose cookies were just forgotten.
type flow struct {
	name   string
	signIn func(ctx context.Context, b *flows.Browser, w, n, i int) error
}

func (r *runner) all(ctx context.Context) error {
	tag := make([]byte, 3)
	_, _ = rand.Read(tag)
	r.tag = hex.EncodeToString(tag)
	if err := r.calibrate(ctx); err != nil {
		return err
	}
	if r.cfg.memory {
		if err := r.memoryReport(ctx); err != nil {
			return fmt.Errorf("memory report: %w", err)
		}
	}
	passkeys, usernames, err := r.seed(ctx)
	if err != nil {
		return fmt.Errorf("seeding: %w", err)
	}
	all := map[string]flow{
		"passkey": {"passkey", func(ctx context.Context, b *flows.Browser, w, n, i int) error {
			// Worker w owns the users w, w+n, w+2n...: a credential's
			// signature counter must reach Foyer in the order it grew.
			mine := (len(passkeys)-1-w)/n + 1
			return b.PasskeySignIn(ctx, passkeys[w+n*(i%mine)])
		}},
		"password": {"password", func(ctx context.Context, b *flows.Browser, w, n, i int) error {
			return b.PasswordSignIn(ctx, usernames[(w+n*i)%len(usernames)], password)
		}},
	}
	var results []result
	for _, name := range r.cfg.flows {
		f := all[name]
		// The sequential pass first: it also warms the server's caches
		// and Redis's script cache for the load.
		seq, err := r.phase(ctx, f, 1, r.cfg.seq, maxPhase, false)
		if err != nil {
			return err
		}
		seq.seq = true
		profile := r.cfg.profile != "" && len(results) == 0 // the first load phase
		load, err := r.phase(ctx, f, r.cfg.conc, r.cfg.maxSignIns, r.cfg.duration, profile)
		if err != nil {
			return err
		}
		results = append(results, seq, load)
	}
	floor, err := es256Floor(r.cfg.verifies)
	if err != nil {
		return err
	}
	r.report(results, floor)
	failed := 0
	for _, res := range results {
		failed += res.failed()
	}
	if failed > 0 {
		return fmt.Errorf("%d sign-ins failed", failed)
	}
	return nil
}

// calibrate measures what two back-to-back snapshots add to Redis's
// counters.
func (r *runner) calibrate(ctx context.Context) error {
	if err := r.rdb.Ping(ctx).Err(); err != nil { // the connection's own set-up is not counted
		return fmt.Errorf("redis: %w", err)
	}
	a, err := redisSnapshot(ctx, r.rdb)
	if err != nil {
		return err
	}
	b, err := redisSnapshot(ctx, r.rdb)
	r.overhead = b.minus(a)
	return err
}

// seed signs up the users of the run through the API: -users with a
// password and an ES256 passkey bound at sign-up, -password-users with a
// password only. Any failure ends the run. Four workers: each sign-up
// hashes a password (argon2id, tens of milliseconds of the server's one
// core), and a deeper queue would only add waiting.
func (r *runner) seed(ctx context.Context) ([]*authenticator.Authenticator, []string, error) {
	ctx, cancel := context.WithTimeout(ctx, maxPhase)
	defer cancel()
	passkeys := make([]*authenticator.Authenticator, r.cfg.users)
	usernames := make([]string, r.cfg.passwordUsers)
	var next atomic.Int64
	var mu sync.Mutex
	var first error
	var wg sync.WaitGroup
	t0 := time.Now()
	for range min(r.cfg.conc, seedWorkers) {
		wg.Go(func() {
			b := flows.NewBrowser(r.hc, r.cfg.origin)
			for {
				i := int(next.Add(1) - 1)
				if i >= len(passkeys)+len(usernames) || ctx.Err() != nil {
					return
				}
				b.Forget()
				var err error
				if i < len(passkeys) {
					passkeys[i] = authenticator.New(authenticator.WithAlgorithms(r.cfg.alg))
					err = b.SignUp(ctx, fmt.Sprintf("lf_%s_pk%d", r.tag, i), password, passkeys[i])
				} else {
					j := i - len(passkeys)
					usernames[j] = fmt.Sprintf("lf_%s_pw%d", r.tag, j)
					err = b.SignUp(ctx, usernames[j], password, nil)
				}
				if err != nil {
					mu.Lock()
					if first == nil && ctx.Err() == nil { // not one cut short by the first
						first = fmt.Errorf("user %d: %w", i, err)
					}
					mu.Unlock()
					cancel()
					return
				}
			}
		})
	}
	wg.Wait()
	if first != nil {
		return nil, nil, first
	}
	if err := ctx.Err(); err != nil {
		return nil, nil, fmt.Errorf("not done within %s: %w", maxPhase, err)
	}
	fmt.Fprintf(r.out, "seeded %d users with a password and a passkey (COSE %d), %d with a password only, in %.1f s\n",
		len(passkeys), r.cfg.alg, len(usernames), time.Since(t0).Seconds())
	return passkeys, usernames, nil
}

// result is one phase of one flow.
type result struct {
	flow     string
	seq      bool // the sequential pass
	conc     int
	ok       int
	failures map[string]int // by step, status and code
	elapsed  time.Duration
	lat      []time.Duration // of the successful sign-ins, sorted
	server   procSample      // deltas
	client   time.Duration   // this process's CPU
	redis    redisStats      // deltas, snapshot overhead removed
}

func (res result) failed() int {
	n := 0
	for _, c := range res.failures {
		n += c
	}
	return n
}

// phase runs f with conc workers until limit sign-ins have started or d
// has passed; sign-ins under way then finish. Counters are read before
// and after. With profile, Foyer's CPU profile of the phase is written to
// -profile.
func (r *runner) phase(ctx context.Context, f flow, conc, limit int, d time.Duration, profile bool) (result, error) {
	res := result{flow: f.name, conc: conc, failures: map[string]int{}}
	rs0, err := redisSnapshot(ctx, r.rdb)
	if err != nil {
		return res, err
	}
	ps0, err := r.proc.sample()
	if err != nil {
		return res, err
	}
	cpu0, err := selfCPU()
	if err != nil {
		return res, err
	}
	var started atomic.Int64
	var mu sync.Mutex
	var wg sync.WaitGroup
	if profile {
		// Waited for at the end, outside the phase's timing.
		var pw sync.WaitGroup
		defer pw.Wait()
		pw.Go(func() {
			if err := r.takeProfile(ctx, d); err != nil {
				fmt.Fprintln(r.out, "profile:", err)
			}
		})
	}
	t0 := time.Now()
	stop := t0.Add(d)
	for w := range conc {
		wg.Go(func() {
			b := flows.NewBrowser(r.hc, r.cfg.origin)
			var lat []time.Duration
			failures := map[string]int{}
			for i := 0; time.Now().Before(stop) && started.Add(1) <= int64(limit) && ctx.Err() == nil; i++ {
				b.Forget()
				s := time.Now()
				err := f.signIn(ctx, b, w, conc, i)
				if err == nil {
					lat = append(lat, time.Since(s))
				} else if ctx.Err() == nil {
					failures[err.Error()]++
				}
			}
			mu.Lock()
			res.lat = append(res.lat, lat...)
			for k, n := range failures {
				res.failures[k] += n
			}
			mu.Unlock()
		})
	}
	wg.Wait()
	res.elapsed = time.Since(t0)
	if err := ctx.Err(); err != nil {
		return res, err
	}
	cpu1, err := selfCPU()
	if err != nil {
		return res, err
	}
	ps1, err := r.proc.sample()
	if err != nil {
		return res, err
	}
	rs1, err := redisSnapshot(ctx, r.rdb)
	if err != nil {
		return res, err
	}
	res.ok = len(res.lat)
	slices.Sort(res.lat)
	res.server = procSample{cpu: ps1.cpu - ps0.cpu, syscalls: ps1.syscalls - ps0.syscalls}
	res.client = cpu1 - cpu0
	res.redis = rs1.minus(rs0).minus(r.overhead)
	return res, nil
}

// takeProfile writes a CPU profile of Foyer, from its metrics listener,
// taken over the whole seconds of a load phase of length d.
func (r *runner) takeProfile(ctx context.Context, d time.Duration) error {
	secs := max(1, int(d/time.Second))
	ctx, cancel := context.WithTimeout(ctx, time.Duration(secs)*time.Second+10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, fmt.Sprintf("%s/debug/pprof/profile?seconds=%d", r.cfg.pprofURL, secs), nil)
	if err != nil {
		return err
	}
	resp, err := r.cfg.pprof.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%s: status %d", req.URL, resp.StatusCode)
	}
	f, err := os.Create(r.cfg.profile)
	if err != nil {
		return err
	}
	if _, err := io.Copy(f, resp.Body); err != nil {
		_ = f.Close()
		return err
	}
	return f.Close()
}
