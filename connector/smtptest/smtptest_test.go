package smtptest_test

import (
	"net/smtp"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/foyer-auth/foyer/connector/smtptest"
)

// The parser copes with what other mailers send too: encoded-word subjects,
// nested multiparts and base64 parts.
func TestServerParsesNestedBase64Mail(t *testing.T) {
	srv := smtptest.Start(t)
	raw := "From: =?utf-8?q?J=C3=BCrg?= <j@example.com>\r\n" +
		"To: a@example.com\r\n" +
		"Subject: =?utf-8?q?Gr=C3=BCezi?=\r\n" +
		"MIME-Version: 1.0\r\n" +
		"Content-Type: multipart/mixed; boundary=outer\r\n\r\n" +
		"--outer\r\n" +
		"Content-Type: multipart/alternative; boundary=inner\r\n\r\n" +
		"--inner\r\n" +
		"Content-Type: text/plain; charset=utf-8\r\n" +
		"Content-Transfer-Encoding: base64\r\n\r\n" +
		"Y29kZSAxMjM0NTY=\r\n" +
		"--inner\r\n" +
		"Content-Type: text/html; charset=utf-8\r\n" +
		"Content-Transfer-Encoding: quoted-printable\r\n\r\n" +
		"<p style=3D\"x\">123456</p>\r\n" +
		"--inner--\r\n" +
		"--outer--\r\n"

	require.NoError(t, smtp.SendMail(srv.Addr, nil, "j@example.com", []string{"a@example.com"}, []byte(raw)))

	got := srv.Next(t)
	require.Equal(t, "j@example.com", got.EnvelopeFrom)
	require.Equal(t, []string{"a@example.com"}, got.To)
	require.Equal(t, "Jürg <j@example.com>", got.From)
	require.Equal(t, "Grüezi", got.Subject)
	require.Equal(t, "multipart/mixed", got.ContentType)
	require.Equal(t, "code 123456", got.TextBody)
	require.Contains(t, got.HTMLBody, `<p style="x">123456</p>`)
	require.Len(t, srv.Messages(), 1)
}
