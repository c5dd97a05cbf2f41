package verification

import (
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func newTestBox(t *testing.T) *SecretBox {
	t.Helper()
	key := make([]byte, SecretKeySize)
	_, _ = rand.Read(key)
	b, err := NewSecretBox(key)
	require.NoError(t, err)
	return b
}

func TestParseSecretKey(t *testing.T) {
	key := bytes.Repeat([]byte{0xfb, 0xff, 0x01, 0x3e}, 8) // has + / - _ in base64
	tests := []struct {
		name string
		in   string
		ok   bool
	}{
		{"hex", hex.EncodeToString(key), true},
		{"hex upper case", strings.ToUpper(hex.EncodeToString(key)), true},
		{"base64 std padded", base64.StdEncoding.EncodeToString(key), true},
		{"base64 std raw", base64.RawStdEncoding.EncodeToString(key), true},
		{"base64 url padded", base64.URLEncoding.EncodeToString(key), true},
		{"base64 url raw", base64.RawURLEncoding.EncodeToString(key), true},
		{"trailing newline", base64.StdEncoding.EncodeToString(key) + "\n", true},
		{"empty", "", false},
		{"short hex", hex.EncodeToString(key[:31]), false},
		{"long base64", base64.StdEncoding.EncodeToString(append(key, 0)), false},
		{"short base64", base64.StdEncoding.EncodeToString(key[:16]), false},
		{"not an encoding", strings.Repeat("!", 44), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseSecretKey(tt.in)
			if !tt.ok {
				require.ErrorIs(t, err, ErrSecretKey)
				return
			}
			require.NoError(t, err)
			require.Equal(t, key, got)
		})
	}
}

func TestNewSecretBoxKeyLength(t *testing.T) {
	for _, n := range []int{0, 16, 24, 31, 33} {
		_, err := NewSecretBox(make([]byte, n))
		require.ErrorIs(t, err, ErrSecretKey, "key of %d bytes", n)
	}
}

func TestSecretBoxRoundTrip(t *testing.T) {
	b := newTestBox(t)
	sealed := b.Seal([]byte("JBSWY3DPEHPK3PXP"), []byte("t1/u1"))
	require.True(t, strings.HasPrefix(sealed, "v1."), "got %q, want prefix v1.", sealed)
	raw, err := base64.RawURLEncoding.DecodeString(strings.TrimPrefix(sealed, "v1."))
	require.NoError(t, err)
	require.Len(t, raw, 12+16+16, "nonce, ciphertext, tag")

	got, err := b.Open(sealed, []byte("t1/u1"))
	require.NoError(t, err)
	require.Equal(t, []byte("JBSWY3DPEHPK3PXP"), got)
}

func TestSecretBoxFreshNonce(t *testing.T) {
	b := newTestBox(t)
	s1 := b.Seal([]byte("same"), []byte("t1/u1"))
	s2 := b.Seal([]byte("same"), []byte("t1/u1"))
	require.NotEqual(t, s1, s2)
	require.NotEqual(t, s1[3:3+16], s2[3:3+16], "nonces must differ")
}

func TestSecretBoxRefuses(t *testing.T) {
	b := newTestBox(t)
	sealed := b.Seal([]byte("secret"), []byte("t1/u1"))
	raw, _ := base64.RawURLEncoding.DecodeString(sealed[3:])
	flip := func(i int) string {
		c := bytes.Clone(raw)
		c[i] ^= 1
		return "v1." + base64.RawURLEncoding.EncodeToString(c)
	}
	tests := []struct {
		name   string
		sealed string
		ad     string
	}{
		{"other owner", sealed, "t1/u2"},
		{"other tenant", sealed, "t2/u1"},
		{"no owner", sealed, ""},
		{"tampered nonce", flip(0), "t1/u1"},
		{"tampered ciphertext", flip(12), "t1/u1"},
		{"tampered tag", flip(len(raw) - 1), "t1/u1"},
		{"other key", newTestBox(t).Seal([]byte("secret"), []byte("t1/u1")), "t1/u1"},
		{"no prefix", sealed[3:], "t1/u1"},
		{"unknown version", "v2." + sealed[3:], "t1/u1"},
		{"bad base64", "v1.!!!", "t1/u1"},
		{"too short", "v1." + base64.RawURLEncoding.EncodeToString(raw[:27]), "t1/u1"},
		{"empty", "", "t1/u1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := b.Open(tt.sealed, []byte(tt.ad))
			require.ErrorIs(t, err, ErrSealed)
			require.Nil(t, got)
		})
	}
}

// FuzzSecretBoxOpen: Open reads stored strings; whatever they hold, it must
// fail cleanly rather than panic, and never open without the right owner.
func FuzzSecretBoxOpen(f *testing.F) {
	key := bytes.Repeat([]byte{7}, SecretKeySize)
	b, err := NewSecretBox(key)
	require.NoError(f, err)
	f.Add(b.Seal([]byte("x"), []byte("t/u")))
	f.Add("v1.")
	f.Add("v1.AAAA")
	f.Fuzz(func(t *testing.T, sealed string) {
		if _, err := b.Open(sealed, []byte("t/other")); err == nil {
			t.Fatalf("Open(%q) with a wrong owner: got nil error, want ErrSealed", sealed)
		}
	})
}
