// Package smtptest runs a real SMTP server (github.com/emersion/go-smtp) on
// 127.0.0.1 for tests, and parses what it receives, so a test can read the
// code Foyer mailed exactly as a user's mail server would get it.
//
//	srv := smtptest.Start(t)
//	// configure Foyer with Host srv.Host, Port srv.Port, TLS "none"
//	code := extract(srv.Next(t).TextBody)
package smtptest

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"errors"
	"io"
	"log"
	"math/big"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net"
	"net/mail"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
)

// Message is one mail as received.
type Message struct {
	EnvelopeFrom string   // MAIL FROM
	To           []string // RCPT TO, in order
	From         string   // From header, decoded
	Subject      string   // decoded
	ContentType  string   // media type of the whole mail, e.g. multipart/alternative
	TextBody     string   // the text/plain part, decoded
	HTMLBody     string   // the text/html part, decoded
	Header       mail.Header
	Raw          []byte
}

// Server is a running SMTP server, closed when the test ends.
type Server struct {
	Addr    string         // "127.0.0.1:port"
	Host    string         // "127.0.0.1"
	Port    int            //
	RootCAs *x509.CertPool // trusts the server's certificate; nil without TLS

	opts options

	mu      sync.Mutex
	msgs    []Message
	next    int
	arrived chan struct{}
}

type options struct {
	startTLS, implicitTLS bool
	rejectCode            int
	user, pass            string
}

// Option configures Start.
type Option func(*options)

// StartTLS offers STARTTLS with a self-signed certificate (see RootCAs).
func StartTLS() Option { return func(o *options) { o.startTLS = true } }

// ImplicitTLS speaks TLS from the first byte, as on port 465.
func ImplicitTLS() Option { return func(o *options) { o.implicitTLS = true } }

// RejectRecipients answers every RCPT TO with code (e.g. 550).
func RejectRecipients(code int) Option { return func(o *options) { o.rejectCode = code } }

// RequireAuth demands AUTH PLAIN with these credentials before MAIL FROM.
// go-smtp offers AUTH only over TLS, so combine it with a TLS option.
func RequireAuth(user, pass string) Option {
	return func(o *options) { o.user, o.pass = user, pass }
}

// Start listens on 127.0.0.1:0 and serves until the test ends.
func Start(t testing.TB, opts ...Option) *Server {
	t.Helper()
	s := &Server{arrived: make(chan struct{}, 1)}
	for _, o := range opts {
		o(&s.opts)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("smtptest: listen: %v", err)
	}
	srv := smtp.NewServer(smtp.BackendFunc(func(*smtp.Conn) (smtp.Session, error) {
		return &session{srv: s}, nil
	}))
	srv.Domain = "smtptest.localhost"
	srv.ReadTimeout = 10 * time.Second
	srv.WriteTimeout = 10 * time.Second
	srv.ErrorLog = log.New(io.Discard, "", 0)
	if s.opts.startTLS || s.opts.implicitTLS {
		cfg, pool := selfSigned(t)
		s.RootCAs = pool
		if s.opts.implicitTLS {
			l = tls.NewListener(l, cfg)
		} else {
			srv.TLSConfig = cfg
		}
	}
	addr := l.Addr().(*net.TCPAddr)
	s.Addr, s.Host, s.Port = addr.String(), addr.IP.String(), addr.Port
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = srv.Serve(l)
	}()
	t.Cleanup(func() {
		_ = srv.Close()
		// Close the listener too: if Serve has not started yet, srv.Close
		// does not know it and Serve would block in Accept forever.
		_ = l.Close()
		<-done
	})
	return s
}

// Messages returns every message received so far.
func (s *Server) Messages() []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Message(nil), s.msgs...)
}

// Next returns the first message not yet returned by Next, waiting up to
// 5 seconds for it to arrive; it fails the test otherwise.
func (s *Server) Next(t testing.TB) Message {
	t.Helper()
	deadline := time.After(5 * time.Second)
	for {
		s.mu.Lock()
		if s.next < len(s.msgs) {
			m := s.msgs[s.next]
			s.next++
			s.mu.Unlock()
			return m
		}
		s.mu.Unlock()
		select {
		case <-s.arrived:
		case <-deadline:
			t.Fatalf("smtptest: no message arrived within 5s")
			return Message{}
		}
	}
}

func (s *Server) deliver(m Message) {
	s.mu.Lock()
	s.msgs = append(s.msgs, m)
	s.mu.Unlock()
	select {
	case s.arrived <- struct{}{}:
	default:
	}
}

type session struct {
	srv    *Server
	authed bool
	from   string
	to     []string
}

var _ smtp.AuthSession = (*session)(nil)

func (s *session) AuthMechanisms() []string {
	if s.srv.opts.user == "" {
		return nil
	}
	return []string{sasl.Plain}
}

func (s *session) Auth(string) (sasl.Server, error) {
	return sasl.NewPlainServer(func(_, user, pass string) error {
		if user != s.srv.opts.user || pass != s.srv.opts.pass {
			return smtp.ErrAuthFailed
		}
		s.authed = true
		return nil
	}), nil
}

func (s *session) Mail(from string, _ *smtp.MailOptions) error {
	if s.srv.opts.user != "" && !s.authed {
		return smtp.ErrAuthRequired
	}
	s.from = from
	return nil
}

func (s *session) Rcpt(to string, _ *smtp.RcptOptions) error {
	if c := s.srv.opts.rejectCode; c != 0 {
		return &smtp.SMTPError{Code: c, EnhancedCode: smtp.EnhancedCode{5, 1, 1}, Message: "mailbox unavailable"}
	}
	s.to = append(s.to, to)
	return nil
}

func (s *session) Data(r io.Reader) error {
	raw, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	m, err := parse(raw)
	if err != nil {
		return &smtp.SMTPError{Code: 554, EnhancedCode: smtp.EnhancedCode{5, 6, 0}, Message: "smtptest: " + err.Error()}
	}
	m.EnvelopeFrom, m.To = s.from, append([]string(nil), s.to...)
	s.srv.deliver(m)
	return nil
}

func (s *session) Reset()        { s.from, s.to = "", nil }
func (s *session) Logout() error { return nil }

// parse reads a mail and pulls out its text and HTML bodies, whatever the
// nesting of multipart parts and their transfer encodings.
func parse(raw []byte) (Message, error) {
	msg, err := mail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		return Message{}, err
	}
	var dec mime.WordDecoder
	m := Message{Header: msg.Header, Raw: raw}
	m.From, _ = dec.DecodeHeader(msg.Header.Get("From"))
	m.Subject, _ = dec.DecodeHeader(msg.Header.Get("Subject"))
	m.ContentType, _, _ = mime.ParseMediaType(msg.Header.Get("Content-Type"))
	return m, walk(msg.Header.Get("Content-Type"), msg.Header.Get("Content-Transfer-Encoding"), msg.Body, &m)
}

func walk(contentType, encoding string, body io.Reader, m *Message) error {
	if contentType == "" {
		contentType = "text/plain"
	}
	mt, params, err := mime.ParseMediaType(contentType)
	if err != nil {
		return err
	}
	if strings.HasPrefix(mt, "multipart/") {
		// NextPart undoes quoted-printable itself and drops the header.
		mr := multipart.NewReader(body, params["boundary"])
		for {
			p, err := mr.NextPart()
			if errors.Is(err, io.EOF) {
				return nil
			}
			if err != nil {
				return err
			}
			if err := walk(p.Header.Get("Content-Type"), p.Header.Get("Content-Transfer-Encoding"), p, m); err != nil {
				return err
			}
		}
	}
	switch strings.ToLower(encoding) {
	case "quoted-printable":
		body = quotedprintable.NewReader(body)
	case "base64":
		body = base64.NewDecoder(base64.StdEncoding, body)
	}
	b, err := io.ReadAll(body)
	if err != nil {
		return err
	}
	switch mt {
	case "text/plain":
		m.TextBody += string(b)
	case "text/html":
		m.HTMLBody += string(b)
	}
	return nil
}

// selfSigned makes a certificate for 127.0.0.1 and localhost, and a pool
// that trusts it.
func selfSigned(t testing.TB) (*tls.Config, *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatalf("smtptest: key: %v", err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "smtptest"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(time.Hour),
		IPAddresses:           []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback},
		DNSNames:              []string{"localhost"},
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatalf("smtptest: certificate: %v", err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatalf("smtptest: certificate: %v", err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	return &tls.Config{
		Certificates: []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: key, Leaf: cert}},
		MinVersion:   tls.VersionTLS12,
	}, pool
}
