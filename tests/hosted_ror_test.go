package tests

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"fmt"
	"math/big"
	mrand "math/rand/v2"
	"net"
	"net/http"
	"net/http/httputil"
	"os"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/require"
)

// tlsFront serves Foyer over https on port 443 of a loopback address of its
// own (Chromium fetches /.well-known/webauthn from https://<RP ID>, port
// 443 only), with a certificate for hosts, forwarding to the plain-http
// binary with X-Forwarded-Proto: https. It records the paths it forwards.
type tlsFront struct {
	IP   string
	mu   sync.Mutex
	seen []string
}

func startTLSFront(t *testing.T, f *Foyer, hosts ...string) *tlsFront {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: hosts[0]}, DNSNames: hosts,
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	require.NoError(t, err)

	front := &tlsFront{}
	var ln net.Listener
	for range 20 {
		front.IP = fmt.Sprintf("127.%d.%d.%d", mrand.IntN(200)+20, mrand.IntN(250)+1, mrand.IntN(250)+2)
		if ln, err = net.Listen("tcp", front.IP+":443"); err == nil {
			break
		}
	}
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("listen on port 443 (run as root): %v", err)
		}
		t.Skipf("related origins need https on port 443, which this user cannot listen on: %v", err)
	}
	proxy := &httputil.ReverseProxy{Rewrite: func(r *httputil.ProxyRequest) {
		r.Out.URL.Scheme, r.Out.URL.Host = "http", "127.0.0.1:"+strconv.Itoa(f.Port)
		r.Out.Host = r.In.Host
		r.Out.Header.Set("X-Forwarded-Proto", "https")
		front.mu.Lock()
		front.seen = append(front.seen, r.In.Host+" "+r.In.URL.Path)
		front.mu.Unlock()
	}}
	srv := &http.Server{Handler: proxy, TLSConfig: &tls.Config{Certificates: []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: key}}},
		ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = srv.ServeTLS(ln, "", "") }()
	t.Cleanup(func() { _ = srv.Close() })
	return front
}

func (f *tlsFront) requested(hostPath string) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, s := range f.seen {
		if s == hostPath {
			return true
		}
	}
	return false
}

// TestHostedRelatedOrigins: a tenant on three domains with RP ID rp.test
// lists https://app.test as related. In Chromium a page on app.test creates
// a passkey for rp.test (Chromium fetched https://rp.test/.well-known/webauthn
// to allow it); a page on far.test, not listed, is refused by the browser.
func TestHostedRelatedOrigins(t *testing.T) {
	path := chromiumPath(t)
	f := startFoyer(t, nil)
	createTenant(t, f, map[string]any{"slug": "ror", "hosts": []string{"rp.test", "app.test", "far.test"},
		"settings": map[string]any{"rpId": "rp.test", "relatedOrigins": []string{"https://app.test"}, "mfa": map[string]any{"policy": "prompt"}}})
	front := startTLSFront(t, f, "rp.test", "app.test", "far.test")
	chromium, stop, err := startChromium(chromiumFlags(path,
		chromedp.Flag("host-resolver-rules", "MAP *.test "+front.IP),
		chromedp.Flag("ignore-certificate-errors", true))...)
	require.NoError(t, err)
	t.Cleanup(stop)

	app := newBrowser(t, f, withChromium(chromium), withBase("https://app.test"), passkeyDevice())
	registerInBrowser(t, app, "uma")
	app.WaitStep("bind")
	app.Click("#bind-webauthn")
	app.Click("[data-step=bind] button[type=submit]")
	app.WaitStep("bind-passkey")
	app.Click("[data-step=bind-passkey] button[type=submit]")
	require.Equal(t, "uma", app.WaitSignedIn())
	creds := app.Credentials()
	require.Len(t, creds, 1)
	require.Equal(t, "rp.test", creds[0].RpID)
	require.True(t, front.requested("rp.test /.well-known/webauthn"), "Chromium asked rp.test which origins it allows")

	far := newBrowser(t, f, withChromium(chromium), withBase("https://far.test"), passkeyDevice())
	registerInBrowser(t, far, "vic")
	far.WaitStep("bind")
	far.Click("#bind-webauthn")
	far.Click("[data-step=bind] button[type=submit]")
	far.WaitStep("bind-passkey")
	far.Click("[data-step=bind-passkey] button[type=submit]")
	far.WaitFor(`document.querySelector('.error-summary:not([hidden])')`, "the refusal")
	require.Equal(t, []string{"Your browser could not use a passkey here."}, far.Errors())
	require.Empty(t, far.Credentials())
}
