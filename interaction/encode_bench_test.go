package interaction

import (
	stdjson "encoding/json"
	"testing"

	goccy "github.com/goccy/go-json"

	"github.com/foyer-auth/foyer/session"
	"github.com/foyer-auth/foyer/tenant"
)

// typicalDoc is an interaction as the perf harness leaves it: Register,
// a username in the profile, and the ceremony of registration options
// (685 bytes, of which the session is 370).
const typicalDoc = `{"tenantId":"c8869d23-cc92-4196-878c-47965f1aee7a","event":"Register","createdAt":"2026-12-01T10:27:00.73540857Z","profile":{"username":"perf0000xmx4jyn0z"},"subject":{"handle":"bmiWtUg/8mNzmOrogOkbVsGfI4pwRq7454BUIwJ/XcKkSR+RhBa5nobfokF/2szzpwzlk+0qUdmLt+E5fwGIJA=="},"ceremony":{"kind":"registration","session":{"challenge":"7fMwXZdvE78O-BjGASRw0dot_bJV5-dmqh-cxoAPspY","rpId":"localhost","origin":"http://localhost:8577","holder":"OolkW7fylqNpkwEs_thRAw","expires":"2026-12-01T10:32:01.124424319Z","userVerification":"preferred","extensions":{"requested":["credProps"]},"credParams":[{"type":"public-key","alg":-8},{"type":"public-key","alg":-7},{"type":"public-key","alg":-257}]}}}`

// legacyDoc is typicalDoc as Foyer wrote it before sessions named their
// user by a holder: the ceremony repeats the challenge outside the session,
// and the session holds the user's handle.
const legacyDoc = `{"tenantId":"c8869d23-cc92-4196-878c-47965f1aee7a","event":"Register","createdAt":"2026-12-01T10:27:00.73540857Z","profile":{"username":"perf0000xmx4jyn0z"},"subject":{"handle":"bmiWtUg/8mNzmOrogOkbVsGfI4pwRq7454BUIwJ/XcKkSR+RhBa5nobfokF/2szzpwzlk+0qUdmLt+E5fwGIJA=="},"ceremony":{"kind":"registration","challenge":"7fMwXZdvE78O-BjGASRw0dot_bJV5-dmqh-cxoAPspY","session":{"challenge":"7fMwXZdvE78O-BjGASRw0dot_bJV5-dmqh-cxoAPspY","rpId":"localhost","origin":"http://localhost:8577","user_id":"bmiWtUg/8mNzmOrogOkbVsGfI4pwRq7454BUIwJ/XcKkSR+RhBa5nobfokF/2szzpwzlk+0qUdmLt+E5fwGIJA==","expires":"2026-12-01T10:32:01.124424319Z","userVerification":"preferred","extensions":{"requested":["credProps"]},"credParams":[{"type":"public-key","alg":-8},{"type":"public-key","alg":-7},{"type":"public-key","alg":-257}]}}}`

var typicalTenant = &tenant.Tenant{ID: "c8869d23-cc92-4196-878c-47965f1aee7a"}

func typicalInteraction(tb testing.TB) *Interaction {
	tb.Helper()
	ix, err := decode(typicalTenant, session.Doc{Data: []byte(typicalDoc)})
	if err != nil {
		tb.Fatal(err)
	}
	return ix
}

// The goccy and encoding/json variants are what the hand-written code
// replaced, kept to show what it saves.

func BenchmarkInteractionEncode(b *testing.B) {
	ix := typicalInteraction(b)
	b.Run("hand", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := encode(ix); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("goccy", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := goccy.Marshal(ix); err != nil {
				b.Fatal(err)
			}
		}
	})
}

func BenchmarkInteractionDecode(b *testing.B) {
	doc := session.Doc{Data: []byte(typicalDoc)}
	b.Run("hand", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := decode(typicalTenant, doc); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("goccy", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			var ix Interaction
			if err := goccy.Unmarshal(doc.Data, &ix); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkStateView is the work of GET /api/interaction between the
// Redis read and the socket: decode, the state, its JSON.
func BenchmarkStateView(b *testing.B) {
	doc := session.Doc{Data: []byte(typicalDoc)}
	var s Service
	b.Run("hand", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			ix, err := decode(typicalTenant, doc)
			if err != nil {
				b.Fatal(err)
			}
			st := s.state(typicalTenant, ix)
			var scratch [512]byte
			_ = appendState(scratch[:0], &st)
		}
	})
	b.Run("goccy+encoding-json", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			var ix Interaction
			if err := goccy.Unmarshal(doc.Data, &ix); err != nil {
				b.Fatal(err)
			}
			if _, err := stdjson.Marshal(s.state(typicalTenant, &ix)); err != nil {
				b.Fatal(err)
			}
		}
	})
}
