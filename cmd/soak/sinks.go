package main

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"log"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/emersion/go-smtp"
)

// mailSink is a real SMTP server on 127.0.0.1 that counts what it gets.
type mailSink struct {
	host string
	port int
	srv  *smtp.Server
	got  atomic.Int64
}

func startMailSink() (*mailSink, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	m := &mailSink{}
	m.srv = smtp.NewServer(smtp.BackendFunc(func(*smtp.Conn) (smtp.Session, error) { return &mailSession{m: m}, nil }))
	m.srv.Domain = "soak.localhost"
	m.srv.ReadTimeout, m.srv.WriteTimeout = 10*time.Second, 10*time.Second
	m.srv.ErrorLog = log.New(io.Discard, "", 0)
	a := l.Addr().(*net.TCPAddr)
	m.host, m.port = a.IP.String(), a.Port
	go func() { _ = m.srv.Serve(l) }()
	return m, nil
}

type mailSession struct{ m *mailSink }

func (s *mailSession) Mail(string, *smtp.MailOptions) error { return nil }
func (s *mailSession) Rcpt(string, *smtp.RcptOptions) error { return nil }
func (s *mailSession) Data(r io.Reader) error {
	_, err := io.Copy(io.Discard, r)
	s.m.got.Add(1)
	return err
}
func (s *mailSession) Reset()        {}
func (s *mailSession) Logout() error { return nil }

// hookSink receives webhook deliveries and keeps the users each event
// names, after checking the signature.
type hookSink struct {
	srv    *http.Server
	url    string
	secret []byte

	mu       sync.Mutex
	users    map[string]map[string]bool // event -> user ids
	bad      int                        // deliveries with a wrong signature
	requests int
}

func startHookSink() (*hookSink, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	h := &hookSink{url: "http://" + l.Addr().String() + "/hook", users: map[string]map[string]bool{}}
	h.srv = &http.Server{Handler: h, ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = h.srv.Serve(l) }()
	return h, nil
}

func (h *hookSink) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	h.mu.Lock()
	defer h.mu.Unlock()
	h.requests++
	mac := hmac.New(sha256.New, h.secret)
	mac.Write(body)
	if !hmac.Equal([]byte(r.Header.Get("X-Foyer-Signature")), []byte("sha256="+hex.EncodeToString(mac.Sum(nil)))) {
		h.bad++
		w.WriteHeader(http.StatusUnauthorized)
		return
	}
	var p struct {
		Event  string `json:"event"`
		UserID string `json:"userId"`
	}
	_ = json.Unmarshal(body, &p)
	if h.users[p.Event] == nil {
		h.users[p.Event] = map[string]bool{}
	}
	h.users[p.Event][p.UserID] = true
	w.WriteHeader(http.StatusNoContent)
}

func (h *hookSink) has(event, uid string) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.users[event][uid]
}
