package jsonscan_test

import (
	"encoding/json"
	"testing"

	"github.com/foyer-auth/foyer/internal/jsonscan"
)

// session is a go-webauthn registration session as the interaction keeps
// it, which every write of the interaction checks.
var session = []byte(`{"challenge":"7fMwXZdvE78O-BjGASRw0dot_bJV5-dmqh-cxoAPspY","rpId":"localhost","origin":"http://localhost:8577","user_id":"bmiWtUg/8mNzmOrogOkbVsGfI4pwRq7454BUIwJ/XcKkSR+RhBa5nobfokF/2szzpwzlk+0qUdmLt+E5fwGIJA==","expires":"2026-12-01T10:32:01.124424319Z","userVerification":"preferred","extensions":{"requested":["credProps"]},"credParams":[{"type":"public-key","alg":-8},{"type":"public-key","alg":-7},{"type":"public-key","alg":-257}]}`)

func BenchmarkValid(b *testing.B) {
	b.Run("jsonscan", func(b *testing.B) {
		b.SetBytes(int64(len(session)))
		for b.Loop() {
			if !jsonscan.Valid(session) {
				b.Fatal("invalid")
			}
		}
	})
	b.Run("encoding-json", func(b *testing.B) {
		b.SetBytes(int64(len(session)))
		for b.Loop() {
			if !json.Valid(session) {
				b.Fatal("invalid")
			}
		}
	})
}
