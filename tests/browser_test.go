package tests

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/page"
	cdpruntime "github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/cdproto/webauthn"
	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/require"
)

// The browser tests drive Debian's Chromium (/usr/bin/chromium) through the
// DevTools protocol: a real browser on the real binary and redis-server.
// One Chromium process serves every test of a run, one at a time; each test
// gets a tab in its own browser context (no cookies or storage shared).
// Without Chromium the tests skip, or fail under CI=true. On failure a
// test saves a screenshot (see failureDir).

// chromiumPath finds Chromium: $FOYER_CHROMIUM, /usr/bin/chromium, or
// chromium on the PATH.
func chromiumPath(t *testing.T) string {
	t.Helper()
	for _, p := range []string{os.Getenv("FOYER_CHROMIUM"), "/usr/bin/chromium"} {
		if p != "" {
			if _, err := os.Stat(p); err == nil {
				return p
			}
		}
	}
	if p, err := exec.LookPath("chromium"); err == nil {
		return p
	}
	if os.Getenv("CI") == "true" {
		t.Fatal("Chromium is missing: scripts/test.sh installs Debian's chromium package")
	}
	t.Skip("Chromium is not installed (apt-get install chromium); the browser tests need it")
	return ""
}

// chromiumFlags are the flags of every Chromium the tests start: headless,
// no sandbox (tests run as root in CI), and nothing that reaches for the
// network or the GPU. Each process gets a fresh temporary profile.
func chromiumFlags(path string, extra ...chromedp.ExecAllocatorOption) []chromedp.ExecAllocatorOption {
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(path),
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-sync", true),
		chromedp.WindowSize(1000, 1100),
	)
	return append(opts, extra...)
}

// shared is the one Chromium process of the run.
var shared struct {
	once    sync.Once
	browser context.Context // its first tab's: new browser contexts are made from it
	cancel  context.CancelFunc
	err     error
}

// stopBrowsers ends the shared Chromium; TestMain calls it.
func stopBrowsers() {
	if shared.cancel != nil {
		shared.cancel()
	}
}

// startChromium starts a Chromium process and answers the context of its
// first tab, from which tabs in new browser contexts are made.
func startChromium(opts ...chromedp.ExecAllocatorOption) (context.Context, context.CancelFunc, error) {
	alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(alloc)
	if err := chromedp.Do(ctx, chromedp.Navigate("about:blank")); err != nil {
		cancel()
		cancelAlloc()
		return nil, nil, err
	}
	return ctx, func() { cancel(); cancelAlloc() }, nil
}

func sharedBrowser(t *testing.T) context.Context {
	t.Helper()
	path := chromiumPath(t)
	shared.once.Do(func() {
		shared.browser, shared.cancel, shared.err = startChromium(chromiumFlags(path)...)
	})
	require.NoError(t, shared.err, "start Chromium")
	return shared.browser
}

// Browser is one tab on one Foyer, at http://localhost:<port> (the demo
// tenant): localhost, not 127.0.0.1, which is no valid WebAuthn RP ID.
type Browser struct {
	t    *testing.T
	ctx  context.Context
	f    *Foyer
	Base string
	// Auth is the virtual authenticator, if the browser has one.
	Auth webauthn.AuthenticatorID

	mu       sync.Mutex
	problems []string
}

// browserOpt configures a Browser before its first page loads.
type browserOpt func(*browserConfig)

type browserConfig struct {
	auth    *webauthn.VirtualAuthenticatorOptions
	scripts []string
	headers map[string]any
	browser context.Context
	base    string
}

// platformAuthenticator is ctap2 over "internal", with resident keys and
// user verification (Touch ID, Windows Hello...).
func platformAuthenticator() *webauthn.VirtualAuthenticatorOptions {
	return &webauthn.VirtualAuthenticatorOptions{
		Protocol: webauthn.AuthenticatorProtocolCtap2, Ctap2version: webauthn.Ctap2versionCtap21,
		Transport: webauthn.AuthenticatorTransportInternal, HasResidentKey: true, HasUserVerification: true,
		IsUserVerified: true, AutomaticPresenceSimulation: true,
	}
}

// passkeyDevice gives the browser a platform authenticator.
func passkeyDevice() browserOpt { return withAuthenticator(platformAuthenticator()) }

// securityKey is a roaming USB key without resident keys or user
// verification.
func securityKey() browserOpt {
	return withAuthenticator(&webauthn.VirtualAuthenticatorOptions{
		Protocol: webauthn.AuthenticatorProtocolCtap2, Ctap2version: webauthn.Ctap2versionCtap21,
		Transport: webauthn.AuthenticatorTransportUsb, AutomaticPresenceSimulation: true,
	})
}

// withAuthenticator adds a virtual authenticator before the first page
// loads: a page that starts a conditional request before it exists would
// wait on the real (absent) platform, and every later ceremony would fail.
// AutomaticPresenceSimulation must be true, or every ceremony hangs.
func withAuthenticator(o *webauthn.VirtualAuthenticatorOptions) browserOpt {
	return func(c *browserConfig) { c.auth = o }
}

// withScript runs js in every document before the page's own scripts
// (test instrumentation; it is not subject to the page's CSP).
func withScript(js string) browserOpt {
	return func(c *browserConfig) { c.scripts = append(c.scripts, js) }
}

// withAcceptLanguage sends Accept-Language on every request.
func withAcceptLanguage(v string) browserOpt {
	return func(c *browserConfig) { c.headers = map[string]any{"Accept-Language": v} }
}

// withChromium uses another Chromium process (one with other flags, made
// by startChromium).
func withChromium(ctx context.Context) browserOpt {
	return func(c *browserConfig) { c.browser = ctx }
}

// withBase points the browser at another origin than the demo tenant's.
func withBase(base string) browserOpt {
	return func(c *browserConfig) { c.base = base }
}

// reportProblems makes CSP violations visible as console errors.
const reportProblems = `document.addEventListener('securitypolicyviolation', (e) =>
  console.error('CSP violation: ' + e.violatedDirective + ' ' + e.blockedURI))`

func newBrowser(t *testing.T, f *Foyer, opts ...browserOpt) *Browser {
	t.Helper()
	cfg := browserConfig{base: "http://localhost:" + strconv.Itoa(f.Port)}
	for _, o := range opts {
		o(&cfg)
	}
	if cfg.browser == nil {
		cfg.browser = sharedBrowser(t)
	}
	ctx, cancel := chromedp.NewContext(cfg.browser, chromedp.WithNewBrowserContext())
	ctx, cancelTimeout := context.WithTimeout(ctx, 3*time.Minute)
	b := &Browser{t: t, ctx: ctx, f: f, Base: cfg.base}
	t.Cleanup(func() {
		if t.Failed() {
			b.screenshotOnFailure()
		}
		cancelTimeout()
		cancel()
	})
	exceptions := chromedp.Events(ctx, cdpruntime.ExceptionThrown)
	console := chromedp.Events(ctx, cdpruntime.ConsoleAPICalled)
	require.NoError(t, chromedp.Do(ctx, chromedp.Navigate("about:blank")))
	go func() {
		for ev, err := range exceptions {
			if err != nil {
				return
			}
			b.problem("exception: " + ev.ExceptionDetails.Text + " " + describeException(ev.ExceptionDetails))
		}
	}()
	go func() {
		for ev, err := range console {
			if err != nil {
				return
			}
			if ev.Type == cdpruntime.ConsoleAPICalledTypeError {
				var parts []string
				for _, a := range ev.Args {
					parts = append(parts, string(a.Value)+a.Description)
				}
				b.problem("console.error: " + strings.Join(parts, " "))
			}
		}
	}()
	for _, js := range append([]string{reportProblems}, cfg.scripts...) {
		_, err := chromedp.Call(ctx, page.AddScriptToEvaluateOnNewDocument, page.AddScriptToEvaluateOnNewDocumentParams{Source: js})
		require.NoError(t, err)
	}
	if cfg.headers != nil {
		_, err := chromedp.Call(ctx, network.SetExtraHTTPHeaders, network.SetExtraHTTPHeadersParams{Headers: cfg.headers})
		require.NoError(t, err)
	}
	if cfg.auth != nil {
		b.AddAuthenticator(cfg.auth)
	}
	t.Cleanup(func() {
		b.mu.Lock()
		defer b.mu.Unlock()
		if len(b.problems) > 0 && !t.Failed() {
			t.Errorf("the page had problems:\n  %s", strings.Join(b.problems, "\n  "))
		}
	})
	return b
}

func describeException(d *cdpruntime.ExceptionDetails) string {
	if d.Exception != nil {
		return d.Exception.Description
	}
	return d.URL + ":" + strconv.FormatInt(d.LineNumber, 10)
}

func (b *Browser) problem(s string) {
	b.mu.Lock()
	b.problems = append(b.problems, s)
	b.mu.Unlock()
}

// failureDir is where failing tests leave their last screenshot.
func failureDir() string {
	if d := os.Getenv("FOYER_FAILURE_DIR"); d != "" {
		return d
	}
	return filepath.Join(os.TempDir(), "foyer-browser-failures")
}

var unsafeName = regexp.MustCompile(`[^A-Za-z0-9_-]+`)

func (b *Browser) screenshotOnFailure() {
	ctx, cancel := context.WithTimeout(b.ctx, 10*time.Second)
	defer cancel()
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		b.t.Logf("no screenshot: %v", err)
		return
	}
	_ = os.MkdirAll(failureDir(), 0o755)
	path := filepath.Join(failureDir(), unsafeName.ReplaceAllString(b.t.Name(), "_")+".png")
	if err := os.WriteFile(path, png, 0o644); err == nil {
		b.t.Logf("screenshot of the failure: %s", path)
	}
	if url, err := chromedp.Run(ctx, chromedp.Evaluate[string](`location.href`)); err == nil {
		b.t.Logf("the page was at %s", url)
	}
}

// Do runs actions, failing the test on error.
func (b *Browser) Do(actions ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	require.NoError(b.t, chromedp.Do(b.ctx, actions...))
}

// Eval evaluates js (awaiting a promise) and decodes its value into T.
func Eval[T any](b *Browser, js string) T {
	b.t.Helper()
	v, err := chromedp.Run(b.ctx, chromedp.Evaluate[T](js, chromedp.EvalAwaitPromise))
	require.NoError(b.t, err, "evaluate %s", js)
	return v
}

// Open loads path and waits until its scripts are ready.
func (b *Browser) Open(path string) {
	b.t.Helper()
	b.Do(chromedp.Navigate(b.Base + path))
	b.WaitFor(`document.documentElement.dataset.ready === 'true'`, "the page to be ready")
}

// WaitFor polls js until it is truthy. It survives navigations (a poll in
// the page would not).
func (b *Browser) WaitFor(js, what string) {
	b.t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		ctx, cancel := context.WithTimeout(b.ctx, 2*time.Second)
		ok, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`!!(`+js+`)`))
		cancel()
		if err == nil && ok {
			return
		}
		if time.Now().After(deadline) {
			b.t.Fatalf("waited 20s for %s (%s); last error %v; the page said: %s", what, js, err, b.pageText())
		}
		time.Sleep(40 * time.Millisecond)
	}
}

// pageText is what the page shows in its error summary and heading, for
// failure messages.
func (b *Browser) pageText() string {
	ctx, cancel := context.WithTimeout(b.ctx, 2*time.Second)
	defer cancel()
	s, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`location.pathname + ' | ' +
	  (document.querySelector('h1')?.textContent ?? '') + ' | ' +
	  [...document.querySelectorAll('.error-summary:not([hidden]) li')].map((li) => li.textContent).join('; ')`))
	return s
}

// WaitStep waits until the page shows step.
func (b *Browser) WaitStep(step string) {
	b.t.Helper()
	b.WaitFor(fmt.Sprintf(`document.querySelector('#main > [data-step]')?.dataset.step === %q && document.documentElement.dataset.ready === 'true'`, step), "step "+step)
}

// Type focuses the input and types text into it, key by key.
func (b *Browser) Type(sel, text string) {
	b.t.Helper()
	b.Do(chromedp.WaitVisible(chromedp.CSS(sel)))
	Eval[bool](b, fmt.Sprintf(`(document.querySelector(%q).value = '') === ''`, sel))
	b.Do(chromedp.SendKeys(chromedp.CSS(sel), text))
}

// Click clicks the first visible element matching sel.
func (b *Browser) Click(sel string) {
	b.t.Helper()
	b.Do(chromedp.WaitVisible(chromedp.CSS(sel)), chromedp.Click(chromedp.CSS(sel)))
}

// Text returns the text of the first element matching sel.
func (b *Browser) Text(sel string) string {
	b.t.Helper()
	return Eval[string](b, fmt.Sprintf(`document.querySelector(%q)?.textContent.trim() ?? ''`, sel))
}

// Errors lists the error summary's entries as shown.
func (b *Browser) Errors() []string {
	b.t.Helper()
	return Eval[[]string](b, `[...document.querySelectorAll('.error-summary:not([hidden]) li')].map((li) => li.textContent)`)
}

// WaitSignedIn waits for the browser to leave the hosted pages for where
// submit sent it, and returns the user the login session belongs to.
func (b *Browser) WaitSignedIn() string {
	b.t.Helper()
	b.WaitFor(`!location.pathname.startsWith('/sign-in') && !location.pathname.startsWith('/register') && !location.pathname.startsWith('/forgot-password') && document.readyState === 'complete'`, "the redirect after sign-in")
	var s struct {
		User struct {
			Username     string `json:"username"`
			PrimaryEmail string `json:"primaryEmail"`
		} `json:"user"`
		Methods []string `json:"methods"`
	}
	raw := Eval[string](b, `fetch('/api/session').then((r) => r.text())`)
	require.NoError(b.t, json.Unmarshal([]byte(raw), &s), "GET /api/session: %s", raw)
	if s.User.Username != "" {
		return s.User.Username
	}
	return s.User.PrimaryEmail
}

// AddAuthenticator adds a virtual authenticator to the tab. Added after a
// page has started a conditional request, it only works if the page aborts
// that request before its next ceremony.
func (b *Browser) AddAuthenticator(o *webauthn.VirtualAuthenticatorOptions) {
	b.t.Helper()
	_, err := chromedp.Call(b.ctx, webauthn.Enable, webauthn.EnableParams{})
	require.NoError(b.t, err)
	res, err := chromedp.Call(b.ctx, webauthn.AddVirtualAuthenticator, webauthn.AddVirtualAuthenticatorParams{Options: o})
	require.NoError(b.t, err)
	b.Auth = res.AuthenticatorID
}

// plantedCredential is WebAuthn.addCredential's credential without the
// CMTG members: cdproto always sends generateCmtgKeyOnNextOperation, which
// Chromium refuses for an authenticator without the cmtgKey extension.
type plantedCredential struct {
	CredentialID         []byte  `json:"credentialId"`
	IsResidentCredential bool    `json:"isResidentCredential"`
	RpID                 string  `json:"rpId"`
	PrivateKey           []byte  `json:"privateKey"`
	UserHandle           []byte  `json:"userHandle"`
	SignCount            float64 `json:"signCount"`
	UserName             string  `json:"userName,omitempty"`
	UserDisplayName      string  `json:"userDisplayName,omitempty"`
}

var addCredential = cdp.Command[struct {
	AuthenticatorID webauthn.AuthenticatorID `json:"authenticatorId"`
	Credential      plantedCredential        `json:"credential"`
}, cdp.Empty]{Method: webauthn.CommandAddCredential}

// AddCredential puts a credential in the virtual authenticator, as if it
// had been created before.
func (b *Browser) AddCredential(c plantedCredential) {
	b.t.Helper()
	_, err := chromedp.Call(b.ctx, addCredential, struct {
		AuthenticatorID webauthn.AuthenticatorID `json:"authenticatorId"`
		Credential      plantedCredential        `json:"credential"`
	}{b.Auth, c})
	require.NoError(b.t, err)
}

// Credentials lists what the virtual authenticator holds.
func (b *Browser) Credentials() []*webauthn.Credential {
	b.t.Helper()
	res, err := chromedp.Call(b.ctx, webauthn.GetCredentials, webauthn.GetCredentialsParams{AuthenticatorID: b.Auth})
	require.NoError(b.t, err)
	return res.Credentials
}

// DarkMode makes the page prefer a dark (or light) colour scheme.
func (b *Browser) DarkMode(dark bool) {
	b.t.Helper()
	v := "light"
	if dark {
		v = "dark"
	}
	_, err := chromedp.Call(b.ctx, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{
		Features: []*emulation.MediaFeature{{Name: "prefers-color-scheme", Value: v}},
	})
	require.NoError(b.t, err)
}

// Screenshot saves a screenshot of the page as docs/screenshots/<name>.png,
// when FOYER_SCREENSHOTS=1 (so that CI does not rewrite them).
func (b *Browser) Screenshot(name string) {
	b.t.Helper()
	if os.Getenv("FOYER_SCREENSHOTS") != "1" {
		return
	}
	png, err := chromedp.Run(b.ctx, chromedp.FullScreenshot(100))
	require.NoError(b.t, err)
	dir := filepath.Join("..", "docs", "screenshots")
	require.NoError(b.t, os.MkdirAll(dir, 0o755))
	require.NoError(b.t, os.WriteFile(filepath.Join(dir, name+".png"), png, 0o644))
}
