package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"
)

// fault is one planned Redis failure and what was seen of it.
type fault struct {
	name      string
	at        time.Duration // after the load starts
	down      time.Duration // how long Redis stays away
	kill      bool          // kill -9 and restart, else SIGSTOP/SIGCONT
	start     time.Time     // when it began
	back      time.Time     // when Redis was back (restarted and answering, or continued)
	recovered time.Time     // the first successful request begun after back
}

func run(ctx context.Context, o options) (bool, error) {
	dir, err := os.MkdirTemp("", "foyer-soak-")
	if err != nil {
		return false, err
	}
	defer os.RemoveAll(dir)
	keyBytes := make([]byte, 24)
	_, _ = rand.Read(keyBytes)
	adminKey := hex.EncodeToString(keyBytes)
	runID := hex.EncodeToString(keyBytes[:3])

	redis, redisAddr, err := newRedis(o.redis, dir)
	if err != nil {
		return false, err
	}
	if err := redis.start(); err != nil {
		return false, err
	}
	defer redis.stop(5 * time.Second)
	if err := waitRedis(ctx, redisAddr); err != nil {
		return false, fmt.Errorf("redis-server did not start: %w", err)
	}
	foyer, addr, metricsAddr, err := newFoyer(o.foyer, dir, redisAddr, adminKey)
	if err != nil {
		return false, err
	}
	if err := foyer.start(); err != nil {
		return false, err
	}
	defer foyer.stop(15 * time.Second)
	mail, err := startMailSink()
	if err != nil {
		return false, err
	}
	defer mail.srv.Close()
	hooks, err := startHookSink()
	if err != nil {
		return false, err
	}
	defer hooks.srv.Close()

	base := "http://" + addr
	_, port, _ := strings.Cut(addr, ":")
	hc := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 256, MaxIdleConns: 256}}
	rec := &recorder{}
	admin := newVU(base, "localhost:"+port, "", hc, &recorder{})
	admin.bearer = adminKey
	if err := waitReady(ctx, admin); err != nil {
		return false, err
	}
	tid, err := setupTenant(ctx, admin, mail, hooks)
	if err != nil {
		return false, err
	}
	origin := "https://soak." + baseDomain
	f := &flows{origin: origin, pool: make(chan *passkeyUser, 8),
		newVU: func() *vu { return newVU(base, "soak."+baseDomain+":"+port, origin, hc, rec) }}
	setup := &flows{origin: origin, newVU: func() *vu { return newVU(base, "soak."+baseDomain+":"+port, origin, hc, &recorder{}) }}
	for i := range cap(f.pool) {
		u, err := setup.register(ctx, fmt.Sprintf("mfa%s%d", runID, i))
		if err != nil {
			return false, fmt.Errorf("%w: passkey user: %w", errSetup, err)
		}
		f.pool <- u
	}

	faults := []*fault{
		{name: "SIGSTOP 4 s", at: o.duration * 20 / 100, down: 4 * time.Second},
		{name: "kill -9, restart after 2 s", at: o.duration * 42 / 100, down: 2 * time.Second, kill: true},
		{name: "SIGSTOP 4 s", at: o.duration * 66 / 100, down: 4 * time.Second},
		{name: "kill -9, restart after 2 s", at: o.duration * 85 / 100, down: 2 * time.Second, kill: true},
	}
	fmt.Printf("soak: %s of load at %.0f flows/s (sign-ups, password+passkey MFA sign-ins, passkey sign-ins, options calls, email codes), %s with appendonly yes, appendfsync always\n",
		o.duration, o.rate, redisVersion(o.redis))

	loadCtx, stopLoad := context.WithTimeout(ctx, o.duration)
	defer stopLoad()
	began := time.Now()
	var wg sync.WaitGroup
	wg.Go(func() { inject(loadCtx, began, faults, redis, redisAddr) })
	dropped := drive(loadCtx, o, f, runID)
	wg.Wait()
	loadEnd := time.Now()
	samples := rec.all()

	// Afterwards: every acknowledged sign-up is there, and has had its webhook.
	names, err := listUsers(ctx, admin, tid)
	if err != nil {
		return false, fmt.Errorf("list users after the run: %w", err)
	}
	f.mu.Lock()
	acked := append([]string(nil), f.acked...)
	f.mu.Unlock()
	var missing []string
	for _, n := range acked {
		if names[n] == "" {
			missing = append(missing, n)
		}
	}
	hooksMissing := waitHooks(ctx, hooks, acked, names, 30*time.Second)

	ok := report(o, began, loadEnd, samples, faults, dropped, acked, missing, hooksMissing, mail.got.Load(), hooks, metricsAddr)
	printErrors(filepath.Join(dir, "foyer.log"))
	if keep := os.Getenv("SOAK_KEEP_LOG"); keep != "" {
		if b, err := os.ReadFile(filepath.Join(dir, "foyer.log")); err == nil {
			_ = os.WriteFile(keep, b, 0o600)
		}
	}
	return ok, nil
}

// printErrors shows the server's error lines (500s are logged with their
// cause), since the log goes with the temporary directory.
func printErrors(path string) {
	b, err := os.ReadFile(path)
	if err != nil {
		return
	}
	n := 0
	for _, line := range strings.Split(string(b), "\n") {
		if strings.Contains(line, `"level":"ERROR"`) && !strings.Contains(line, `"status":503`) {
			if n == 0 {
				fmt.Println("\nfoyer's error log lines:")
			}
			if n++; n <= 10 {
				fmt.Println("  " + line)
			}
		}
	}
}

// waitReady waits for /readyz.
func waitReady(ctx context.Context, admin *vu) error {
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		if _, err := admin.call(ctx, http.MethodGet, "/readyz", "/readyz", nil, 200); err == nil {
			return nil
		}
		time.Sleep(50 * time.Millisecond)
	}
	return fmt.Errorf("%w: foyer not ready within 20 s (see its log)", errSetup)
}

// setupTenant creates the soak tenant (SMTP to the sink, MFA "prompt",
// discoverable passkeys) and its webhook for PostRegister.
func setupTenant(ctx context.Context, admin *vu, mail *mailSink, hooks *hookSink) (string, error) {
	b, err := admin.call(ctx, http.MethodPost, "/api/admin/tenants", "/api/admin/tenants", map[string]any{"slug": "soak", "settings": map[string]any{
		"mfa":     map[string]any{"policy": "prompt"},
		"passkey": map[string]any{"residentKey": "required", "userVerification": "required"},
		"connectors": map[string]any{"email": map[string]any{"type": "smtp", "smtp": map[string]any{
			"host": mail.host, "port": mail.port, "from": "noreply@soak.test", "tls": "none"}}},
	}}, 201)
	if err != nil {
		return "", fmt.Errorf("%w: tenant: %w", errSetup, err)
	}
	var t struct {
		ID string `json:"id"`
	}
	_ = json.Unmarshal(b, &t)
	b, err = admin.call(ctx, http.MethodPost, "/api/admin/tenants/"+t.ID+"/webhooks", "webhooks", map[string]any{
		"url": hooks.url, "events": []string{"PostRegister"}}, 201)
	if err != nil {
		return "", fmt.Errorf("%w: webhook: %w", errSetup, err)
	}
	var h struct {
		Secret string `json:"secret"`
	}
	_ = json.Unmarshal(b, &h)
	hooks.mu.Lock()
	hooks.secret = []byte(h.Secret)
	hooks.mu.Unlock()
	return t.ID, nil
}

// inject runs the planned faults.
func inject(ctx context.Context, began time.Time, faults []*fault, redis *proc, addr string) {
	for _, f := range faults {
		select {
		case <-ctx.Done():
			return
		case <-time.After(time.Until(began.Add(f.at))):
		}
		f.start = time.Now()
		if f.kill {
			redis.kill()
		} else {
			redis.signal(syscall.SIGSTOP)
		}
		time.Sleep(f.down)
		if f.kill {
			if err := redis.start(); err != nil {
				fmt.Fprintln(os.Stderr, "soak: restart redis-server:", err)
				return
			}
			wctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			_ = waitRedis(wctx, addr)
			cancel()
		} else {
			redis.signal(syscall.SIGCONT)
		}
		f.back = time.Now()
	}
}

// drive starts flows at a steady rate on a fixed pool of workers; a flow
// that finds every worker busy is counted as dropped.
func drive(ctx context.Context, o options, f *flows, runID string) int {
	jobs := make(chan func(context.Context) error)
	var wg sync.WaitGroup
	for range o.workers {
		wg.Go(func() {
			for job := range jobs {
				_ = job(ctx)
			}
		})
	}
	mix := []func(context.Context) error{
		func(ctx context.Context) error { return f.signUp(ctx, runID) },
		func(ctx context.Context) error { return f.signUp(ctx, runID) },
		f.passwordMFA, f.passkey, f.options,
	}
	tick := time.NewTicker(time.Duration(float64(time.Second) / o.rate))
	defer tick.Stop()
	codeTick := time.NewTicker(5 * time.Second) // under the 30 sends an hour per address limit
	defer codeTick.Stop()
	dropped, n := 0, 0
	for {
		var job func(context.Context) error
		select {
		case <-ctx.Done():
			close(jobs)
			wg.Wait()
			return dropped
		case <-tick.C:
			job = mix[n%len(mix)]
			n++
		case <-codeTick.C:
			job = f.sendCode
		}
		select {
		case jobs <- job:
		default:
			dropped++
		}
	}
}

// listUsers returns username -> id of every user of the tenant.
func listUsers(ctx context.Context, admin *vu, tid string) (map[string]string, error) {
	out := map[string]string{}
	after := ""
	for {
		path := "/api/admin/tenants/" + tid + "/users?limit=200"
		if after != "" {
			path += "&after=" + after
		}
		b, err := admin.call(ctx, http.MethodGet, path, "users", nil, 200)
		if err != nil {
			return nil, err
		}
		var page struct {
			Users []struct{ ID, Username string } `json:"users"`
			Next  string                          `json:"next"`
		}
		if err := json.Unmarshal(b, &page); err != nil {
			return nil, err
		}
		for _, u := range page.Users {
			out[u.Username] = u.ID
		}
		if page.Next == "" {
			return out, nil
		}
		after = page.Next
	}
}

// waitHooks waits until every acknowledged sign-up's PostRegister arrived,
// and returns the usernames still missing one.
func waitHooks(ctx context.Context, hooks *hookSink, acked []string, ids map[string]string, limit time.Duration) []string {
	deadline := time.Now().Add(limit)
	for {
		var missing []string
		for _, n := range acked {
			if !hooks.has("PostRegister", ids[n]) {
				missing = append(missing, n)
			}
		}
		if len(missing) == 0 || time.Now().After(deadline) || ctx.Err() != nil {
			return missing
		}
		time.Sleep(100 * time.Millisecond)
	}
}
