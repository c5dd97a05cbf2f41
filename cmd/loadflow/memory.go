package main

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/foyer-auth/foyer/internal/flows"
	"github.com/foyer-auth/foyer/tests/authenticator"
)

// ixGoal is the most an interaction may take in Redis (issue 13).
const ixGoal = 2048

// ixKey is the Redis key of an interaction (session.Kind{Prefix: "ix"}).
func ixKey(id string) string { return "foyer:ix:{" + id + "}" }

// ixSize is the interaction after one step: MEMORY USAGE of its key and
// the length of its doc field; gone when the step deleted it.
type ixSize struct {
	flow, step string
	key, doc   int64
	gone       bool
}

// memFlow is one flow of the memory report, run by a fresh visitor.
type memFlow struct {
	name string
	run  func(ctx context.Context, b *flows.Browser) error
}

// memoryReport runs, one at a time on the demo tenant, three sign-ups (a
// password only; with a passkey; with TOTP) and two sign-ins, and prints
// the interaction's bytes after every step and the bytes each flow added
// to Redis, key class by key class. The usernames have one length, so that
// the differences between sign-ups are the factors'.
func (r *runner) memoryReport(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, maxPhase)
	defer cancel()
	name := func(kind string) string { return "mem_" + r.tag + "_" + kind }
	a := authenticator.New(authenticator.WithAlgorithms(r.cfg.alg))
	all := []memFlow{
		{"sign-up", func(ctx context.Context, b *flows.Browser) error {
			return b.SignUp(ctx, name("pw"), password, nil)
		}},
		{"sign-up+passkey", func(ctx context.Context, b *flows.Browser) error {
			return b.SignUp(ctx, name("pk"), password, a)
		}},
		{"sign-up+totp", func(ctx context.Context, b *flows.Browser) error {
			if err := b.Register(ctx, name("to"), password); err != nil {
				return err
			}
			if err := b.BindTOTP(ctx, time.Now()); err != nil {
				return err
			}
			return b.Submit(ctx)
		}},
		{"passkey sign-in", func(ctx context.Context, b *flows.Browser) error { return b.PasskeySignIn(ctx, a) }},
		{"password sign-in", func(ctx context.Context, b *flows.Browser) error {
			return b.PasswordSignIn(ctx, name("pw"), password)
		}},
	}

	var sizes []ixSize
	var hookErr error
	b := flows.NewBrowser(r.hc, r.cfg.origin)
	current, last := "", ""
	record := func(step string) {
		s := ixSize{flow: current, step: step}
		id := b.Cookie(flows.InteractionCookie)
		if id == "" { // submit deleted it, or should have
			id, s.gone = last, true
		}
		last = id
		key, err := r.rdb.MemoryUsage(ctx, ixKey(id), 0).Result()
		if err == nil {
			s.gone = false
			s.key = key
			s.doc, err = r.rdb.HStrLen(ctx, ixKey(id), "doc").Result()
		} else if s.gone && errors.Is(err, redis.Nil) {
			err = nil
		}
		if err != nil && hookErr == nil {
			hookErr = fmt.Errorf("%s, %s: MEMORY USAGE %s: %w", current, step, ixKey(id), err)
		}
		sizes = append(sizes, s)
	}

	// A first sign-up and sign-in, not reported, create what every later
	// one shares: the tenant's user list, the audit and webhook streams.
	warm := authenticator.New(authenticator.WithAlgorithms(r.cfg.alg))
	if err := b.SignUp(ctx, name("wu"), password, warm); err != nil {
		return fmt.Errorf("warm-up sign-up: %w", err)
	}
	b.Forget()
	if err := b.PasskeySignIn(ctx, warm); err != nil {
		return fmt.Errorf("warm-up sign-in: %w", err)
	}
	b.AfterStep = record
	before, err := r.keySizes(ctx)
	if err != nil {
		return err
	}
	added := map[string]map[string]int64{} // flow → key class → bytes
	for _, f := range all {
		current, last = f.name, ""
		b.Forget()
		if err := f.run(ctx, b); err != nil {
			return fmt.Errorf("%s: %w", f.name, err)
		}
		if hookErr != nil {
			return hookErr
		}
		after, err := r.keySizes(ctx)
		if err != nil {
			return err
		}
		added[f.name] = byClass(before, after)
		before = after
	}
	r.reportMemory(sizes, all, added)
	return nil
}

// keySizes is MEMORY USAGE (SAMPLES 0: every element counted) of every
// Foyer key.
func (r *runner) keySizes(ctx context.Context) (map[string]int64, error) {
	var keys []string
	iter := r.rdb.Scan(ctx, 0, "foyer:*", 1000).Iterator()
	for iter.Next(ctx) {
		keys = append(keys, iter.Val())
	}
	if err := iter.Err(); err != nil {
		return nil, fmt.Errorf("SCAN: %w", err)
	}
	pipe := r.rdb.Pipeline()
	for _, k := range keys {
		pipe.MemoryUsage(ctx, k, 0)
	}
	cmds, _ := pipe.Exec(ctx) // a key that expired meanwhile answers nil
	sizes := make(map[string]int64, len(keys))
	for i, c := range cmds {
		if n, err := c.(interface{ Result() (int64, error) }).Result(); err == nil {
			sizes[keys[i]] = n
		}
	}
	return sizes, nil
}

// byClass is what changed from before to after, summed by key class.
func byClass(before, after map[string]int64) map[string]int64 {
	out := map[string]int64{}
	for k, n := range after {
		if d := n - before[k]; d != 0 {
			out[keyClass(k)] += d
		}
	}
	for k, n := range before {
		if _, ok := after[k]; !ok {
			out[keyClass(k)] -= n
		}
	}
	return out
}

// keyClass names a key by its shape: "foyer:t:{<tenant>}:idx:username:ann"
// is "idx:username", "foyer:t:{<tenant>}:user:<uid>" is "user",
// "foyer:sess:{<id>}" is "sess", "foyer:rl:{ix-new:<hash>}" is "rl:ix-new".
func keyClass(k string) string {
	rest, ok := strings.CutPrefix(k, "foyer:t:{")
	if ok {
		if _, rest, ok = strings.Cut(rest, "}:"); ok {
			parts := strings.SplitN(rest, ":", 3)
			if parts[0] == "idx" && len(parts) == 3 {
				return "idx:" + parts[1]
			}
			return parts[0]
		}
	}
	rest = strings.TrimPrefix(k, "foyer:")
	kind, inner, _ := strings.Cut(rest, ":{")
	if kind == "rl" {
		scope, _, _ := strings.Cut(inner, ":")
		return "rl:" + scope
	}
	return kind
}

// userClass tells the key classes of a user's account: its document, its
// indexes and its entry in the tenant's user list. Login sessions (sess,
// and usess: a user's set of session ids) and rate limits are not.
func userClass(class string) bool {
	return class == "user" || class == "users" || strings.HasPrefix(class, "idx:")
}

func sortedClasses(m map[string]int64) []string {
	classes := make([]string, 0, len(m))
	for c := range m {
		classes = append(classes, c)
	}
	slices.Sort(classes)
	return classes
}
