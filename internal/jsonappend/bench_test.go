package jsonappend_test

import (
	"encoding/json"
	"testing"

	"github.com/foyer-auth/foyer/internal/jsonappend"
)

// A go-webauthn session's longest string, and a typical short one.
const long, short = "bmiWtUg/8mNzmOrogOkbVsGfI4pwRq7454BUIwJ/XcKkSR+RhBa5nobfokF/2szzpwzlk+0qUdmLt+E5fwGIJA==", "perf0000xmx4jyn0z"

func BenchmarkString(b *testing.B) {
	buf := make([]byte, 0, 256)
	for _, s := range []string{short, long} {
		b.Run(strconvLen(s), func(b *testing.B) {
			b.SetBytes(int64(len(s)))
			for b.Loop() {
				buf = jsonappend.String(buf[:0], s)
			}
		})
	}
	b.Run("encoding-json", func(b *testing.B) {
		b.SetBytes(int64(len(long)))
		for b.Loop() {
			_, _ = json.Marshal(long)
		}
	})
}

func strconvLen(s string) string {
	if len(s) > 32 {
		return "long"
	}
	return "short"
}
