package verification

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestPasswordHashAndVerify(t *testing.T) {
	h := NewHasher(OWASPParams, 2)
	hash, err := h.Hash(t.Context(), "correct horse battery staple")
	require.NoError(t, err)
	require.True(t, strings.HasPrefix(hash, "$argon2id$v=19$m=19456,t=2,p=1$"), hash)
	require.NotContains(t, hash, "correct horse")
	require.NoError(t, h.Verify(t.Context(), hash, "correct horse battery staple"))
	require.ErrorIs(t, h.Verify(t.Context(), hash, "correct horse battery stapler"), ErrPasswordMismatch)
	// No hash (unknown user): the dummy hash is checked, and it never matches.
	require.ErrorIs(t, h.Verify(t.Context(), "", "foyer-dummy-password-for-timing"), ErrPasswordMismatch)
	// Hashes made with other parameters still verify: they are in the PHC string.
	cheap := NewHasher(Argon2Params{Memory: 8 * 1024, Time: 1, Threads: 1, KeyLen: 32, SaltLen: 16}, 1)
	old, err := cheap.Hash(t.Context(), "an older passphrase")
	require.NoError(t, err)
	require.NoError(t, h.Verify(t.Context(), old, "an older passphrase"))
	_, err = verifyPHC("$argon2i$v=19$m=1,t=1,p=1$AAAA$AAAA", nil)
	require.Error(t, err)
}

// A password is hashed and checked in NFC: "é" as one code point (NFC) and
// as "e" + U+0301 (NFD) is one password; other look-alikes are not.
func TestPasswordNFC(t *testing.T) {
	h := NewHasher(Argon2Params{Memory: 1024, Time: 1, Threads: 1, KeyLen: 32, SaltLen: 16}, 2)
	const nfc, nfd = "caf\u00e9 au lait, s'il vous pla\u00eet", "cafe\u0301 au lait, s'il vous plai\u0302t"
	require.NotEqual(t, nfc, nfd)
	for _, stored := range []string{nfc, nfd} {
		hash, err := h.Hash(t.Context(), stored)
		require.NoError(t, err)
		require.NoError(t, h.Verify(t.Context(), hash, nfc), "NFC against a hash of %q", stored)
		require.NoError(t, h.Verify(t.Context(), hash, nfd), "NFD against a hash of %q", stored)
		require.ErrorIs(t, h.Verify(t.Context(), hash, "cafe au lait, s'il vous plait"), ErrPasswordMismatch)
	}
	// The length rule counts characters in NFC: 8 accented letters typed
	// decomposed are 8 characters, not 16.
	require.Empty(t, CheckPassword(strings.Repeat("e\u0301", 8), 0))
	require.Equal(t, "password_rejected.too_short", CheckPassword(strings.Repeat("e\u0301", 7), 0)[0].Code)
}

func TestHasherConcurrencyLimit(t *testing.T) {
	h := NewHasher(OWASPParams, 1)
	h.slots <- struct{}{} // the only slot is taken
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Millisecond)
	defer cancel()
	_, err := h.Hash(ctx, "whatever it is")
	require.ErrorIs(t, err, ErrBusy)
}

func TestCheckPassword(t *testing.T) {
	tests := []struct {
		password string
		inputs   []string
		want     string
	}{
		{"Xq7!zp", nil, "password_rejected.too_short"},
		{strings.Repeat("a", 257), nil, "password_rejected.too_long"},
		{"password1", nil, "password_rejected.too_guessable"},
		{"alice-2024", []string{"alice"}, "password_rejected.too_guessable"},
		{"correct horse battery staple", nil, ""},
		{"\xff\xfe invalid utf-8", nil, "password_rejected.invalid_encoding"},
	}
	for _, tt := range tests {
		issues := CheckPassword(tt.password, 2, tt.inputs...)
		if tt.want == "" {
			require.Empty(t, issues, "password %q", tt.password)
			continue
		}
		require.Len(t, issues, 1)
		require.Equal(t, tt.want, issues[0].Code, "password %q", tt.password)
	}
}

// BenchmarkPasswordVerify is the cost of one sign-in's password check with
// the chosen argon2id parameters (OWASP: m=19 MiB, t=2, p=1), per core.
func BenchmarkPasswordVerify(b *testing.B) {
	h := NewHasher(OWASPParams, 1)
	hash, err := h.Hash(b.Context(), "correct horse battery staple")
	require.NoError(b, err)
	b.ReportAllocs()
	for b.Loop() {
		if err := h.Verify(b.Context(), hash, "correct horse battery staple"); err != nil {
			b.Fatal(err)
		}
	}
}
