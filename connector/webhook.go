package connector

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Headers of a webhook request. The signature is "sha256=" and the hex
// HMAC-SHA256 of the exact request body under the shared secret, the scheme
// GitHub uses for its webhooks, so receivers can reuse their verifiers.
const (
	HeaderSignature = "X-Foyer-Signature"
	HeaderTimestamp = "X-Foyer-Timestamp"
)

// MinWebhookSecretLen is the shortest accepted secret: 32 characters is at
// least 128 bits even when they are hex digits.
const MinWebhookSecretLen = 32

// WebhookConfig says where to POST codes for SMS delivery.
type WebhookConfig struct {
	// URL must be https, except http://localhost and http://127.0.0.1 for
	// development, because the body carries the code.
	URL     string        `json:"url" validate:"required,url"`
	Secret  string        `json:"secret,omitempty" validate:"required,min=32"` // write-only in the admin API
	Timeout time.Duration `json:"timeout,omitempty"`                           // 0: DefaultTimeout
}

// ErrWebhookConfig matches every rejected WebhookConfig.
var ErrWebhookConfig = errors.New("connector: invalid webhook config")

// Validate checks what validate tags cannot say: the https rule.
func (c WebhookConfig) Validate() error {
	if len(c.Secret) < MinWebhookSecretLen {
		return fmt.Errorf("%w: secret shorter than %d characters", ErrWebhookConfig, MinWebhookSecretLen)
	}
	u, err := url.Parse(c.URL)
	if err != nil || u.Host == "" || u.User != nil {
		return fmt.Errorf("%w: url must be absolute, without credentials", ErrWebhookConfig)
	}
	switch {
	case u.Scheme == "https":
	case u.Scheme == "http" && (u.Hostname() == "localhost" || u.Hostname() == "127.0.0.1" || u.Hostname() == "::1"):
	default:
		return fmt.Errorf("%w: url must use https (http only for localhost)", ErrWebhookConfig)
	}
	if c.Timeout < 0 {
		return fmt.Errorf("%w: negative timeout", ErrWebhookConfig)
	}
	return nil
}

// webhookBody is the JSON posted. "timestamp" repeats X-Foyer-Timestamp
// inside the signed bytes: a header alone is not covered by the signature,
// so only the body copy lets a receiver reject replays.
type webhookBody struct {
	To        string `json:"to"`
	Code      string `json:"code"`
	Purpose   string `json:"purpose"`
	Tenant    string `json:"tenant"`
	Message   string `json:"message"` // ready-to-send SMS text
	Locale    string `json:"locale,omitempty"`
	Timestamp int64  `json:"timestamp"` // Unix seconds
}

// Webhook sends codes for SMS delivery to an HTTP endpoint of the operator,
// which forwards them to an SMS provider.
type Webhook struct {
	url     string
	host    string
	secret  []byte
	timeout time.Duration
	client  *http.Client
	now     func() time.Time
}

// WebhookOption changes a Webhook connector.
type WebhookOption func(*Webhook)

// WithClock sets the clock for X-Foyer-Timestamp (default time.Now).
func WithClock(now func() time.Time) WebhookOption {
	return func(w *Webhook) { w.now = now }
}

// WithTransport sends through rt (the egress policy's transport) instead
// of a default one.
func WithTransport(rt http.RoundTripper) WebhookOption {
	return func(w *Webhook) { w.client.Transport = rt }
}

// NewWebhook returns a Webhook connector, or an error wrapping
// ErrWebhookConfig.
func NewWebhook(cfg WebhookConfig, opts ...WebhookOption) (*Webhook, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	u, _ := url.Parse(cfg.URL)
	w := &Webhook{
		url:     cfg.URL,
		host:    u.Host,
		secret:  []byte(cfg.Secret),
		timeout: cfg.Timeout,
		now:     time.Now,
		client: &http.Client{
			Transport: http.DefaultTransport.(*http.Transport).Clone(),
			// A redirect would resend the code to wherever the endpoint
			// points, possibly over http or to another host; the operator
			// configures the final URL instead.
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		},
	}
	if w.timeout <= 0 {
		w.timeout = DefaultTimeout
	}
	for _, o := range opts {
		o(w)
	}
	return w, nil
}

// Send POSTs m and succeeds only on a 2xx answer.
func (w *Webhook) Send(ctx context.Context, m Message) error {
	text, err := renderText("sms.txt.tmpl", newView(m))
	if err != nil {
		return fmt.Errorf("%w: webhook: %w", ErrDelivery, err)
	}
	ts := w.now().Unix()
	body, err := json.Marshal(webhookBody{
		To: m.To, Code: m.Code, Purpose: m.Purpose, Tenant: oneLine(m.TenantName),
		Message: strings.TrimSpace(text), Locale: m.Locale, Timestamp: ts,
	})
	if err != nil {
		return fmt.Errorf("%w: webhook: encode: %w", ErrDelivery, err)
	}
	ctx, cancel := context.WithTimeout(ctx, w.timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, w.url, bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("%w: webhook %s: %w", ErrDelivery, w.host, err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "Foyer")
	req.Header.Set(HeaderTimestamp, strconv.FormatInt(ts, 10))
	req.Header.Set(HeaderSignature, Sign(w.secret, body))

	resp, err := w.client.Do(req)
	if err != nil {
		// Unwrap *url.Error: its message repeats the full URL, whose query
		// may hold the operator's token. The host is enough to debug.
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return fmt.Errorf("%w: webhook %s: %w", ErrDelivery, w.host, err)
	}
	// Read a little of the body so the connection can be reused, but never
	// quote it: a receiver may echo the request, code included.
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 4<<10))
	_ = resp.Body.Close()
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return fmt.Errorf("%w: webhook %s answered %s", ErrDelivery, w.host, resp.Status)
	}
	return nil
}

// Sign returns the X-Foyer-Signature value of body: "sha256=" and the hex
// HMAC-SHA256 under secret. Receivers compare it with hmac.Equal.
func Sign(secret, body []byte) string {
	m := hmac.New(sha256.New, secret)
	m.Write(body)
	return "sha256=" + hex.EncodeToString(m.Sum(nil))
}
