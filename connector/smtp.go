package connector

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"strings"
	"time"

	"github.com/wneessen/go-mail"

	"github.com/foyer-auth/foyer/egress"
)

// TLS modes of SMTPConfig.
const (
	SMTPStartTLS = "starttls" // plain connection upgraded with STARTTLS, which must succeed (port 587)
	SMTPTLS      = "tls"      // implicit TLS from the first byte (port 465)
	SMTPNoTLS    = "none"     // cleartext, for a local development or test server only
)

// DefaultTimeout bounds one delivery when a config sets none. A user waits
// for the answer, so a stuck mail server or gateway must not hold the request
// for the length of a TCP timeout.
const DefaultTimeout = 10 * time.Second

// SMTPConfig says how to reach a mail server.
type SMTPConfig struct {
	Host     string        `json:"host" validate:"required,hostname|ip"`
	Port     int           `json:"port" validate:"required,min=1,max=65535"` // 587 for starttls, 465 for tls
	Username string        `json:"username,omitempty"`                       // empty: no SMTP AUTH
	Password string        `json:"password,omitempty"`                       // write-only in the admin API
	From     string        `json:"from" validate:"required,email"`
	TLS      string        `json:"tls" validate:"required,oneof=starttls tls none"`
	Timeout  time.Duration `json:"timeout,omitempty"` // 0: DefaultTimeout
}

// SMTP sends codes by email.
type SMTP struct {
	cfg     SMTPConfig
	rootCAs *x509.CertPool
	egress  *egress.Policy
}

// SMTPOption changes an SMTP connector.
type SMTPOption func(*SMTP)

// WithRootCAs makes the connector trust the certificates of pool instead of
// the system's, for a mail server with a private CA (and for tests).
func WithRootCAs(pool *x509.CertPool) SMTPOption {
	return func(s *SMTP) { s.rootCAs = pool }
}

// WithEgress dials the mail server through p, which checks the address
// actually connected to (FOYER_EGRESS_ALLOW).
func WithEgress(p *egress.Policy) SMTPOption {
	return func(s *SMTP) { s.egress = p }
}

// NewSMTP returns an SMTP connector. cfg is assumed validated (its validate
// tags); Send reports anything left wrong as ErrDelivery.
func NewSMTP(cfg SMTPConfig, opts ...SMTPOption) *SMTP {
	s := &SMTP{cfg: cfg}
	for _, o := range opts {
		o(s)
	}
	return s
}

// Send mails m as multipart/alternative, plain text and HTML, and returns
// once the server has accepted it or the timeout has passed. One connection
// per message: codes are rare and a pooled connection would go stale between
// them.
func (s *SMTP) Send(ctx context.Context, m Message) error {
	msg, err := s.message(m)
	if err != nil {
		return fmt.Errorf("%w: smtp: %w", ErrDelivery, err)
	}
	client, err := s.client()
	if err != nil {
		return fmt.Errorf("%w: smtp: %w", ErrDelivery, err)
	}
	ctx, cancel := context.WithTimeout(ctx, s.timeout())
	defer cancel()
	if err := client.DialAndSendWithContext(ctx, msg); err != nil {
		return fmt.Errorf("%w: smtp %s: %w", ErrDelivery, s.cfg.Host, err)
	}
	return nil
}

func (s *SMTP) timeout() time.Duration {
	if s.cfg.Timeout > 0 {
		return s.cfg.Timeout
	}
	return DefaultTimeout
}

func (s *SMTP) message(m Message) (*mail.Msg, error) {
	v := newView(m)
	text, err := renderText("email.txt.tmpl", v)
	if err != nil {
		return nil, err
	}
	html, err := renderHTML("email.html.tmpl", v)
	if err != nil {
		return nil, err
	}
	msg := mail.NewMsg()
	// The tenant's name as display name, so the inbox shows who the code is
	// for; the address stays the operator's, which SPF and DKIM cover.
	if v.TenantName != "" {
		err = msg.FromFormat(v.TenantName, s.cfg.From)
	} else {
		err = msg.From(s.cfg.From)
	}
	if err != nil {
		return nil, fmt.Errorf("from address: %w", err)
	}
	if err := msg.To(m.To); err != nil {
		return nil, fmt.Errorf("recipient address: %w", err)
	}
	msg.Subject(subject(m.TenantName, m.Purpose, m.Link != ""))
	if m.Locale != "" && !strings.ContainsAny(m.Locale, "\r\n") {
		msg.SetGenHeader(mail.HeaderContentLang, m.Locale)
	}
	msg.SetMessageID()
	msg.SetDate()
	msg.SetBodyString(mail.TypeTextPlain, text)
	msg.AddAlternativeString(mail.TypeTextHTML, html)
	return msg, nil
}

func (s *SMTP) client() (*mail.Client, error) {
	c := s.cfg
	tlsConfig := &tls.Config{ServerName: c.Host, RootCAs: s.rootCAs, MinVersion: tls.VersionTLS12}
	opts := []mail.Option{
		mail.WithTimeout(s.timeout()),
		mail.WithTLSConfig(tlsConfig),
	}
	if s.egress != nil {
		d := s.egress.Dialer(s.timeout())
		dial := d.DialContext
		if c.TLS == SMTPTLS {
			// go-mail wraps TLS itself only around its own dialer.
			dial = (&tls.Dialer{NetDialer: d, Config: tlsConfig}).DialContext
		}
		opts = append(opts, mail.WithDialContextFunc(dial))
	}
	switch c.TLS {
	case SMTPStartTLS:
		// TLSMandatory: a server (or a man in the middle stripping the
		// STARTTLS capability) that does not offer STARTTLS gets no mail,
		// rather than a code in cleartext.
		opts = append(opts, mail.WithTLSPolicy(mail.TLSMandatory))
	case SMTPTLS:
		opts = append(opts, mail.WithSSL())
	case SMTPNoTLS:
		opts = append(opts, mail.WithTLSPolicy(mail.NoTLS))
	default:
		return nil, fmt.Errorf("unknown TLS mode %q", c.TLS)
	}
	opts = append(opts, mail.WithPort(c.Port))
	if c.Username != "" {
		// Auto-discovery picks the strongest mechanism the server offers;
		// go-mail refuses PLAIN and LOGIN on a connection without TLS.
		opts = append(opts, mail.WithSMTPAuth(mail.SMTPAuthAutoDiscover),
			mail.WithUsername(c.Username), mail.WithPassword(c.Password))
	}
	return mail.NewClient(c.Host, opts...)
}
