package main

import (
	"fmt"
	"io"
	"net/http"
	"sort"
	"strings"
	"time"
)

// report prints the figures and says whether every goal was met.
func report(o options, began, loadEnd time.Time, samples []sample, faults []*fault, dropped int,
	acked, missing, hooksMissing []string, mails int64, hooks *hookSink, metricsAddr string) bool {
	sort.Slice(samples, func(i, j int) bool { return samples[i].start.Before(samples[j].start) })
	for _, f := range faults {
		if f.back.IsZero() {
			continue
		}
		for _, s := range samples {
			if !s.start.Before(f.back) && s.status >= 200 && s.status < 300 {
				f.recovered = s.end
				break
			}
		}
		if f.recovered.IsZero() {
			f.recovered = loadEnd
		}
	}
	inWindow := func(s sample) *fault {
		for _, f := range faults {
			if !f.start.IsZero() && !s.start.Before(f.start) && s.start.Before(f.recovered) {
				return f
			}
		}
		return nil
	}

	byStatus := map[int]int{}
	lat := map[string][]time.Duration{}
	var windowErrs, otherErrs []sample
	for _, s := range samples {
		byStatus[s.status]++
		if s.status != 0 {
			lat[s.route] = append(lat[s.route], s.end.Sub(s.start))
		}
		if !s.unexpected {
			continue
		}
		if inWindow(s) != nil {
			windowErrs = append(windowErrs, s)
		} else {
			otherErrs = append(otherErrs, s)
		}
	}

	fmt.Printf("\nrequests: %d in %s (%d flows dropped: every worker busy)\n", len(samples), loadEnd.Sub(began).Round(time.Second), dropped)
	var codes []int
	for c := range byStatus {
		codes = append(codes, c)
	}
	sort.Ints(codes)
	var parts []string
	for _, c := range codes {
		name := fmt.Sprint(c)
		if c == 0 {
			name = "no answer"
		}
		parts = append(parts, fmt.Sprintf("%s: %d", name, byStatus[c]))
	}
	fmt.Println("by status:", strings.Join(parts, ", "))

	fmt.Println("\nroute                                                     count    p50 ms    p99 ms")
	var routes []string
	for r := range lat {
		routes = append(routes, r)
	}
	sort.Strings(routes)
	for _, r := range routes {
		ds := lat[r]
		sort.Slice(ds, func(i, j int) bool { return ds[i] < ds[j] })
		fmt.Printf("%-56s %6d %9.1f %9.1f\n", r, len(ds), ms(pct(ds, 50)), ms(pct(ds, 99)))
	}

	fmt.Println("\nfaults (times from the start of the load):")
	worst := time.Duration(0)
	for _, f := range faults {
		if f.start.IsZero() {
			fmt.Printf("  %-28s not reached\n", f.name)
			continue
		}
		rec := f.recovered.Sub(f.back)
		worst = max(worst, rec)
		// The first answer at all after Redis was back, from a request that
		// may have begun during the outage.
		anyOK := time.Duration(-1)
		for _, s := range samples {
			if s.end.After(f.back) && s.status >= 200 && s.status < 300 && (anyOK < 0 || s.end.Sub(f.back) < anyOK) {
				anyOK = s.end.Sub(f.back)
			}
		}
		n503 := 0
		for _, s := range samples {
			if inWindow(s) == f && s.status == http.StatusServiceUnavailable {
				n503++
			}
		}
		fmt.Printf("  %-28s at %5.1fs, Redis back at %5.1fs; first success %4d ms later (of a request begun after: %4d ms); %d answers 503 meanwhile\n",
			f.name, f.start.Sub(began).Seconds(), f.back.Sub(began).Seconds(), anyOK.Milliseconds(), rec.Milliseconds(), n503)
	}

	hooks.mu.Lock()
	bad, hookRequests := hooks.bad, hooks.requests
	hooks.mu.Unlock()
	fmt.Printf("\nerrors other than 503 during the outage windows: %d (goal 0)\n", len(windowErrs))
	printSome(windowErrs, began)
	fmt.Printf("unexpected answers outside the outage windows: %d\n", len(otherErrs))
	printSome(otherErrs, began)
	fmt.Printf("acknowledged sign-ups: %d, missing afterwards: %d (goal 0)\n", len(acked), len(missing))
	fmt.Printf("webhook PostRegister deliveries missing after recovery: %d of %d (goal 0); %d requests received, %d with a bad signature\n",
		len(hooksMissing), len(acked), hookRequests, bad)
	fmt.Printf("emails received by the SMTP listener: %d\n", mails)
	fmt.Printf("recovery after Redis returned (first success of a request begun after): worst %d ms (goal under 2000 ms)\n", worst.Milliseconds())
	if m := scrapeMetrics(metricsAddr, "foyer_webhook_deliveries_total", "foyer_sign_ups_total"); m != "" {
		fmt.Println("\nfrom /metrics:\n" + m)
	}
	ok := len(windowErrs) == 0 && len(missing) == 0 && len(hooksMissing) == 0 && worst < 2*time.Second && bad == 0
	if ok {
		fmt.Println("\nsoak: every goal met")
	} else {
		fmt.Println("\nsoak: GOAL MISSED")
	}
	return ok
}

func printSome(ss []sample, began time.Time) {
	for i, s := range ss {
		if i == 5 {
			fmt.Printf("    ... and %d more\n", len(ss)-5)
			return
		}
		fmt.Printf("    at %.2fs %s: %s\n", s.start.Sub(began).Seconds(), s.route, s.detail)
	}
}

func pct(ds []time.Duration, p int) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	i := (len(ds)*p + 99) / 100
	return ds[min(max(i-1, 0), len(ds)-1)]
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// scrapeMetrics returns the lines of the named metrics.
func scrapeMetrics(addr string, names ...string) string {
	res, err := http.Get("http://" + addr + "/metrics")
	if err != nil {
		return ""
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	var out []string
	for _, line := range strings.Split(string(b), "\n") {
		for _, n := range names {
			if strings.HasPrefix(line, n+"{") {
				out = append(out, "  "+line)
			}
		}
	}
	return strings.Join(out, "\n")
}
