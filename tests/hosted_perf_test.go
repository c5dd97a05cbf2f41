package tests

import (
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/require"
)

// TestHostedFirstVisit measures a first visit to /sign-in in Chromium, with
// an empty cache: the bytes it transfers (every request, headers included,
// until the page has its passkey options) and the time from navigation to
// an interactive form (the page's "foyer:interactive" mark). The goal is
// under 50 KB, with no request to another origin. Then it takes the
// screenshots of the sign-in page.
func TestHostedFirstVisit(t *testing.T) {
	f := startFoyer(t, nil)
	const runs = 5
	var total, interactive []float64
	var last *Browser
	for range runs {
		b := newBrowser(t, f)
		var mu sync.Mutex
		urls := map[network.RequestID]string{}
		bytes := map[network.RequestID]float64{}
		sent := chromedp.Events(b.ctx, network.RequestWillBeSent)
		finished := chromedp.Events(b.ctx, network.LoadingFinished)
		go func() {
			for ev, err := range sent {
				if err != nil {
					return
				}
				mu.Lock()
				urls[ev.RequestID] = ev.Request.URL
				mu.Unlock()
			}
		}()
		go func() {
			for ev, err := range finished {
				if err != nil {
					return
				}
				mu.Lock()
				bytes[ev.RequestID] = ev.EncodedDataLength
				mu.Unlock()
			}
		}()
		b.Open("/sign-in")
		b.WaitFor(`performance.getEntriesByType('resource').some((e) => e.name.endsWith('/webauthn-authentication'))`, "the passkey options")
		time.Sleep(300 * time.Millisecond) // the last events
		mu.Lock()
		sum, byKind := 0.0, map[string]float64{}
		for id, u := range urls {
			require.True(t, strings.HasPrefix(u, b.Base+"/"), "a request to another origin: %s", u)
			sum += bytes[id]
			kind := "api"
			switch {
			case strings.HasSuffix(u, ".js"):
				kind = "js"
			case strings.HasSuffix(u, ".css"):
				kind = "css"
			case strings.HasSuffix(u, ".svg"):
				kind = "img"
			case strings.Contains(u, "/sign-in"):
				kind = "html"
			}
			byKind[kind] += bytes[id]
		}
		t.Logf("first visit: %d requests, %.0f bytes (html %.0f, css %.0f, js %.0f, img %.0f, api %.0f)",
			len(urls), sum, byKind["html"], byKind["css"], byKind["js"], byKind["img"], byKind["api"])
		mu.Unlock()
		total = append(total, sum)
		interactive = append(interactive, Eval[float64](b, `performance.getEntriesByName('foyer:interactive')[0].startTime`))
		last = b
	}
	slices.Sort(total)
	slices.Sort(interactive)
	t.Logf("first visit to /sign-in, median of %d: %.1f KB transferred, interactive %.0f ms after navigation (runs: %v ms)",
		runs, total[runs/2]/1024, interactive[runs/2], interactive)
	require.Less(t, total[runs/2], 50.0*1024, "a first visit transfers under 50 KB")

	last.Screenshot("sign-in-light")
	last.DarkMode(true)
	last.Screenshot("sign-in-dark")
}
