package accesslog

import (
	"io"
	"log/slog"
	"strconv"
	"sync"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/foyer-auth/foyer/internal/jsonappend"
)

// lineWriter writes access lines exactly as slog's JSONHandler or
// TextHandler would (TestLinesMatchSlog holds it to that), without
// slog's generic machinery, which cost several per cent of a request's CPU
// on the hot path.
type lineWriter struct {
	out  io.Writer
	json bool
	pool sync.Pool // *[]byte
}

func newLineWriter(out io.Writer, json bool) *lineWriter {
	return &lineWriter{out: out, json: json, pool: sync.Pool{New: func() any { b := make([]byte, 0, 512); return &b }}}
}

// write writes one line for e, logged at level at time now.
func (w *lineWriter) write(now time.Time, level slog.Level, e *Entry) {
	bp := w.pool.Get().(*[]byte)
	b := (*bp)[:0]
	if w.json {
		b = append(b, `{"time":"`...)
		b = now.AppendFormat(b, time.RFC3339Nano)
		b = append(b, `","level":"`...)
		b = append(b, level.String()...)
		b = append(b, `","msg":"request"`...)
	} else {
		b = append(b, "time="...)
		b = appendTime(b, now)
		b = append(b, " level="...)
		b = append(b, level.String()...)
		b = append(b, " msg=request"...)
	}
	b = w.str(b, "request_id", e.RequestID)
	b = w.str(b, "method", e.Method)
	b = w.str(b, "route", e.Route)
	b = w.key(b, "status")
	b = strconv.AppendInt(b, int64(e.Status), 10)
	b = w.key(b, "duration_ms")
	// As slog does: encoding/json's form in JSON ('f' at this size), Go's
	// shortest form in text.
	format := byte('g')
	if w.json {
		format = 'f'
	}
	b = strconv.AppendFloat(b, float64(e.Duration.Microseconds())/1000, format, -1, 64)
	b = w.str(b, "tenant", e.TenantID)
	b = w.str(b, "ip", e.IP)
	b = w.str(b, "code", e.Code)
	if w.json {
		b = append(b, '}')
	}
	b = append(b, '\n')
	_, _ = w.out.Write(b)
	*bp = b
	w.pool.Put(bp)
}

func (w *lineWriter) key(b []byte, k string) []byte {
	if w.json {
		b = append(b, ',', '"')
		b = append(b, k...)
		return append(b, '"', ':')
	}
	b = append(b, ' ')
	b = append(b, k...)
	return append(b, '=')
}

func (w *lineWriter) str(b []byte, k, v string) []byte {
	b = w.key(b, k)
	if w.json {
		return jsonappend.StringNoHTML(b, v)
	}
	if needsQuoting(v) {
		return strconv.AppendQuote(b, v)
	}
	return append(b, v...)
}

// appendTime is slog's text time format: RFC 3339 with milliseconds (its
// JSON has RFC 3339 with nanoseconds).
func appendTime(b []byte, t time.Time) []byte {
	return t.AppendFormat(b, "2006-01-02T15:04:05.000Z07:00")
}

// needsQuoting is slog's TextHandler rule: empty, or holding a space, an
// equals sign, a quote, a control character, or a rune that is not
// printable or is a space.
func needsQuoting(s string) bool {
	if s == "" {
		return true
	}
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c <= ' ' || c == '=' || c == '"' {
				return true
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError || unicode.IsSpace(r) || !unicode.IsPrint(r) {
			return true
		}
		i += size
	}
	return false
}
