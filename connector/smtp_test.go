package connector_test

import (
	"net"
	"strings"
	"testing"
	"time"

	"github.com/go-playground/validator/v10"
	"github.com/stretchr/testify/require"

	"github.com/foyer-auth/foyer/connector"
	"github.com/foyer-auth/foyer/connector/smtptest"
)

const testCode = "042137"

func signIn(to string) connector.Message {
	return connector.Message{To: to, Code: testCode, Locale: "en", TenantName: "Acme", Purpose: connector.PurposeSignIn}
}

func smtpConfig(srv *smtptest.Server, tlsMode string) connector.SMTPConfig {
	return connector.SMTPConfig{
		Host: srv.Host, Port: srv.Port, From: "no-reply@foyer.test", TLS: tlsMode, Timeout: 5 * time.Second,
	}
}

func TestSMTPDeliversMultipartMail(t *testing.T) {
	srv := smtptest.Start(t)
	s := connector.NewSMTP(smtpConfig(srv, connector.SMTPNoTLS))

	require.NoError(t, s.Send(t.Context(), signIn("alice@example.com")))

	got := srv.Next(t)
	require.Equal(t, "no-reply@foyer.test", got.EnvelopeFrom)
	require.Equal(t, []string{"alice@example.com"}, got.To)
	require.Equal(t, `"Acme" <no-reply@foyer.test>`, got.From)
	require.Equal(t, "<alice@example.com>", got.Header.Get("To"))
	require.Equal(t, "Your Acme verification code", got.Subject)
	require.Equal(t, "multipart/alternative", got.ContentType)
	require.Contains(t, got.TextBody, testCode)
	require.Contains(t, got.TextBody, "sign in")
	require.Contains(t, got.HTMLBody, testCode)
	require.Contains(t, got.HTMLBody, `<html lang="en">`)
	require.Equal(t, "en", got.Header.Get("Content-Language"))
	require.NotEmpty(t, got.Header.Get("Message-Id"))
}

func TestSMTPStartTLSWithAuth(t *testing.T) {
	srv := smtptest.Start(t, smtptest.StartTLS(), smtptest.RequireAuth("foyer", "s3cret"))
	cfg := smtpConfig(srv, connector.SMTPStartTLS)
	cfg.Username, cfg.Password = "foyer", "s3cret"
	s := connector.NewSMTP(cfg, connector.WithRootCAs(srv.RootCAs))

	require.NoError(t, s.Send(t.Context(), signIn("alice@example.com")))
	require.Contains(t, srv.Next(t).TextBody, testCode)
}

func TestSMTPWrongPasswordFails(t *testing.T) {
	srv := smtptest.Start(t, smtptest.StartTLS(), smtptest.RequireAuth("foyer", "s3cret"))
	cfg := smtpConfig(srv, connector.SMTPStartTLS)
	cfg.Username, cfg.Password = "foyer", "wrong"
	s := connector.NewSMTP(cfg, connector.WithRootCAs(srv.RootCAs))

	require.ErrorIs(t, s.Send(t.Context(), signIn("alice@example.com")), connector.ErrDelivery)
	require.Empty(t, srv.Messages())
}

func TestSMTPImplicitTLS(t *testing.T) {
	srv := smtptest.Start(t, smtptest.ImplicitTLS())
	s := connector.NewSMTP(smtpConfig(srv, connector.SMTPTLS), connector.WithRootCAs(srv.RootCAs))

	require.NoError(t, s.Send(t.Context(), signIn("alice@example.com")))
	require.Contains(t, srv.Next(t).HTMLBody, testCode)
}

// A server that does not offer STARTTLS (or an attacker who strips it from
// the EHLO answer) must not get the code in cleartext.
func TestSMTPStartTLSIsMandatory(t *testing.T) {
	srv := smtptest.Start(t)
	s := connector.NewSMTP(smtpConfig(srv, connector.SMTPStartTLS))

	err := s.Send(t.Context(), signIn("alice@example.com"))
	require.ErrorIs(t, err, connector.ErrDelivery)
	require.Contains(t, err.Error(), "STARTTLS")
	require.Empty(t, srv.Messages())
}

func TestSMTPUntrustedCertificateFails(t *testing.T) {
	srv := smtptest.Start(t, smtptest.StartTLS())
	s := connector.NewSMTP(smtpConfig(srv, connector.SMTPStartTLS)) // system roots only

	require.ErrorIs(t, s.Send(t.Context(), signIn("alice@example.com")), connector.ErrDelivery)
	require.Empty(t, srv.Messages())
}

func TestSMTPRejectedRecipient(t *testing.T) {
	srv := smtptest.Start(t, smtptest.RejectRecipients(550))
	s := connector.NewSMTP(smtpConfig(srv, connector.SMTPNoTLS))

	err := s.Send(t.Context(), signIn("alice@example.com"))
	require.ErrorIs(t, err, connector.ErrDelivery)
	require.Contains(t, err.Error(), "550")
	require.NotContains(t, err.Error(), testCode)
}

func TestSMTPClosedPortFailsFast(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	port := l.Addr().(*net.TCPAddr).Port
	require.NoError(t, l.Close())
	s := connector.NewSMTP(connector.SMTPConfig{
		Host: "127.0.0.1", Port: port, From: "no-reply@foyer.test", TLS: connector.SMTPNoTLS, Timeout: time.Second,
	})

	start := time.Now()
	err = s.Send(t.Context(), signIn("alice@example.com"))
	require.ErrorIs(t, err, connector.ErrDelivery)
	require.Less(t, time.Since(start), 2*time.Second)
}

// A server that accepts the connection and never greets: the timeout, not
// the kernel's TCP timeout, ends the wait.
func TestSMTPTimeoutHonoured(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	t.Cleanup(func() { _ = l.Close() })
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			t.Cleanup(func() { _ = c.Close() })
		}
	}()
	s := connector.NewSMTP(connector.SMTPConfig{
		Host: "127.0.0.1", Port: l.Addr().(*net.TCPAddr).Port, From: "no-reply@foyer.test",
		TLS: connector.SMTPNoTLS, Timeout: 300 * time.Millisecond,
	})

	start := time.Now()
	err = s.Send(t.Context(), signIn("alice@example.com"))
	require.ErrorIs(t, err, connector.ErrDelivery)
	require.Less(t, time.Since(start), 2*time.Second)
}

// Tenant names are written by tenant administrators: they must not add
// headers or recipients, nor inject HTML.
func TestSMTPTenantNameCannotInject(t *testing.T) {
	srv := smtptest.Start(t)
	s := connector.NewSMTP(smtpConfig(srv, connector.SMTPNoTLS))
	m := signIn("alice@example.com")
	m.TenantName = "Acme <b>\r\nBcc: eve@example.com"

	require.NoError(t, s.Send(t.Context(), m))

	got := srv.Next(t)
	require.Equal(t, []string{"alice@example.com"}, got.To)
	require.Empty(t, got.Header.Get("Bcc"))
	require.NotContains(t, got.Subject, "\n")
	require.NotContains(t, got.HTMLBody, "<b>")
	require.Contains(t, got.HTMLBody, "Acme &lt;b&gt;")
}

func TestSMTPPurposes(t *testing.T) {
	tests := []struct {
		purpose, want string
	}{
		{connector.PurposeSignIn, "sign in"},
		{connector.PurposeRegister, "create your account"},
		{connector.PurposeForgotPassword, "reset your password"},
		{"", "continue"},
	}
	srv := smtptest.Start(t)
	s := connector.NewSMTP(smtpConfig(srv, connector.SMTPNoTLS))
	for _, tt := range tests {
		t.Run(tt.purpose, func(t *testing.T) {
			m := signIn("alice@example.com")
			m.Purpose = tt.purpose
			require.NoError(t, s.Send(t.Context(), m))
			got := srv.Next(t)
			require.Contains(t, got.TextBody, "Enter it to "+tt.want+".")
			require.Contains(t, got.HTMLBody, "Enter it to "+tt.want+".")
		})
	}
}

func TestSMTPConfigValidateTags(t *testing.T) {
	v := validator.New(validator.WithRequiredStructEnabled())
	good := connector.SMTPConfig{Host: "smtp.example.com", Port: 587, From: "no-reply@example.com", TLS: "starttls"}
	tests := []struct {
		name   string
		change func(*connector.SMTPConfig)
		ok     bool
	}{
		{"good", func(*connector.SMTPConfig) {}, true},
		{"ip host", func(c *connector.SMTPConfig) { c.Host = "127.0.0.1" }, true},
		{"no host", func(c *connector.SMTPConfig) { c.Host = "" }, false},
		{"bad host", func(c *connector.SMTPConfig) { c.Host = "smtp example" }, false},
		{"port 0", func(c *connector.SMTPConfig) { c.Port = 0 }, false},
		{"port too big", func(c *connector.SMTPConfig) { c.Port = 65536 }, false},
		{"bad from", func(c *connector.SMTPConfig) { c.From = "nobody" }, false},
		{"bad tls", func(c *connector.SMTPConfig) { c.TLS = "ssl" }, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := good
			tt.change(&c)
			err := v.Struct(c)
			require.Equal(t, tt.ok, err == nil, "got %v", err)
		})
	}
}

func TestSMTPBadRecipientIsDeliveryError(t *testing.T) {
	srv := smtptest.Start(t)
	s := connector.NewSMTP(smtpConfig(srv, connector.SMTPNoTLS))
	err := s.Send(t.Context(), signIn("not an address"))
	require.ErrorIs(t, err, connector.ErrDelivery)
	require.False(t, strings.Contains(err.Error(), testCode))
}
