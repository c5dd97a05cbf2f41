package verification

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

var (
	testCodeKey = []byte("0123456789abcdef0123456789abcdef")
	codeT0      = time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)
)

// testTarget is the target most tests send a code to.
var testTarget = Target{Channel: "email", Recipient: "a@example.com", Purpose: "SignIn"}

func TestCodeCheck(t *testing.T) {
	alice := Target{Channel: "email", Recipient: "alice@example.com", Purpose: "SignIn"}
	with := func(f func(*Target)) Target { to := alice; f(&to); return to }
	tests := []struct {
		name      string
		tries     int // wrong tries already made
		to        Target
		code      string // "" means the right code
		at        time.Duration
		want      error
		wantTries int
	}{
		{name: "right code", to: alice},
		{name: "right code on the last allowed try", tries: 4, to: alice, wantTries: 4},
		{name: "right code just before expiry", to: alice, at: DefaultCodeTTL - time.Second},
		{name: "wrong code", to: alice, code: "wrong!", want: ErrCodeMismatch, wantTries: 1},
		{name: "other recipient", to: with(func(to *Target) { to.Recipient = "bob@example.com" }), want: ErrCodeNotFound},
		{name: "other channel", to: with(func(to *Target) { to.Channel = "phone" }), want: ErrCodeNotFound},
		{name: "sent to sign up, used to sign in", to: with(func(to *Target) { to.Purpose = "Register" }), want: ErrCodeNotFound},
		{name: "sent to sign in, used to reset", to: with(func(to *Target) { to.Purpose = "ForgotPassword" }), want: ErrCodeNotFound},
		{name: "expired at exactly the TTL", to: alice, at: DefaultCodeTTL, want: ErrCodeExpired},
		{name: "too many tries", tries: 5, to: alice, want: ErrCodeTooManyTries, wantTries: 5},
		{name: "five digits", to: alice, code: "12345", want: ErrCodeMismatch, wantTries: 1},
		{name: "seven digits", to: alice, code: "1234567", want: ErrCodeMismatch, wantTries: 1},
		{name: "letters", to: alice, code: "12a456", want: ErrCodeMismatch, wantTries: 1},
		{name: "padded", to: alice, code: " 12345", want: ErrCodeMismatch, wantTries: 1},
		{name: "non-ASCII digits", to: alice, code: "١٢٣٤٥٦", want: ErrCodeMismatch, wantTries: 1},
		{name: "empty", to: alice, code: "-", want: ErrCodeMismatch, wantTries: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, plain := NewCode(alice, codeT0, DefaultCodeTTL, testCodeKey)
			c.Tries = tt.tries
			code := plain
			switch tt.code {
			case "":
			case "wrong!":
				code = wrongCode(plain)
			case "-":
				code = ""
			default:
				code = tt.code
			}
			err := c.Check(tt.to, code, codeT0.Add(tt.at), DefaultCodeMaxTries, testCodeKey)
			if tt.want == nil {
				require.NoError(t, err)
			} else {
				require.ErrorIs(t, err, tt.want)
			}
			require.Equal(t, tt.wantTries, c.Tries, "tries")
		})
	}
}

func TestCodeTriesLimitRefusesTheRightCode(t *testing.T) {
	to := Target{Channel: "phone", Recipient: "+41790000000", Purpose: "SignIn"}
	c, plain := NewCode(to, codeT0, DefaultCodeTTL, testCodeKey)
	for i := range DefaultCodeMaxTries {
		err := c.Check(to, wrongCode(plain), codeT0, DefaultCodeMaxTries, testCodeKey)
		require.ErrorIs(t, err, ErrCodeMismatch, "attempt %d", i+1)
	}
	require.Equal(t, DefaultCodeMaxTries, c.Tries)

	// The 6th attempt is refused even though it is right: otherwise an
	// attacker could keep guessing past the limit and only stop on success.
	err := c.Check(to, plain, codeT0, DefaultCodeMaxTries, testCodeKey)
	require.ErrorIs(t, err, ErrCodeTooManyTries)
	require.Equal(t, DefaultCodeMaxTries, c.Tries, "a refused attempt is not counted again")
}

func TestCodeWrongKeyFails(t *testing.T) {
	c, plain := NewCode(testTarget, codeT0, DefaultCodeTTL, testCodeKey)
	err := c.Check(testTarget, plain, codeT0, DefaultCodeMaxTries, []byte("another key"))
	require.ErrorIs(t, err, ErrCodeMismatch)
}

func TestCodeHashHidesTheCode(t *testing.T) {
	a, plain := NewCode(testTarget, codeT0, DefaultCodeTTL, testCodeKey)
	require.Len(t, plain, 6)
	require.NotContains(t, a.Hash, plain)
	require.Len(t, a.Hash, 64, "hex SHA-256")

	// The same code for another recipient, channel or purpose hashes
	// differently.
	for _, to := range []Target{
		{Channel: "email", Recipient: "b@example.com", Purpose: "SignIn"},
		{Channel: "phone", Recipient: "a@example.com", Purpose: "SignIn"},
		{Channel: "email", Recipient: "a@example.com", Purpose: "ForgotPassword"},
	} {
		require.NotEqual(t, a.Hash, codeHash(testCodeKey, to, plain), "%+v", to)
	}
	require.Equal(t, a.Hash, codeHash(testCodeKey, testTarget, plain))

	// The stored JSON holds no plaintext either.
	doc, err := json.Marshal(a)
	require.NoError(t, err)
	require.NotContains(t, string(doc), `"`+plain+`"`)
	for _, field := range []string{`"channel"`, `"recipient"`, `"purpose"`, `"hash"`, `"expiresAt"`, `"tries"`} {
		require.Contains(t, string(doc), field)
	}
}

func TestCodeEmptyKeyPanics(t *testing.T) {
	require.Panics(t, func() { NewCode(testTarget, codeT0, DefaultCodeTTL, nil) })
}

// TestCodeDigitsUniform is a loose chi-square check over 10,000 codes, per
// position and overall. With 9 degrees of freedom a statistic above 50 has a
// probability near 1e-7 for a fair source, so this does not flake, yet a
// modulo bias or a lost leading zero shows up far above it.
func TestCodeDigitsUniform(t *testing.T) {
	const n = 10_000
	var perPos [6][10]int
	var all [10]int
	for range n {
		_, code := NewCode(testTarget, codeT0, DefaultCodeTTL, testCodeKey)
		require.True(t, validCode(code), "got %q", code)
		for i := range len(code) {
			d := code[i] - '0'
			perPos[i][d]++
			all[d]++
		}
	}
	chi2 := func(counts [10]int, total int) float64 {
		exp := float64(total) / 10
		var s float64
		for _, c := range counts {
			s += (float64(c) - exp) * (float64(c) - exp) / exp
		}
		return s
	}
	for i, counts := range perPos {
		require.Less(t, chi2(counts, n), 50.0, "position %d counts %v", i, counts)
	}
	require.Less(t, chi2(all, 6*n), 50.0, "all counts %v", all)
}

// wrongCode returns a valid code other than plain.
func wrongCode(plain string) string {
	b := []byte(plain)
	b[0] = '0' + (b[0]-'0'+1)%10
	return string(b)
}

func FuzzCodeCheck(f *testing.F) {
	f.Add("123456")
	f.Add("")
	f.Add("١٢٣٤٥٦")
	f.Fuzz(func(t *testing.T, guess string) {
		c, plain := NewCode(testTarget, codeT0, DefaultCodeTTL, testCodeKey)
		err := c.Check(testTarget, guess, codeT0, DefaultCodeMaxTries, testCodeKey)
		if (err == nil) != (guess == plain) {
			t.Fatalf("guess %q, code %q: got %v", guess, plain, err)
		}
		if err != nil && c.Tries != 1 {
			t.Fatalf("got tries %d, want 1", c.Tries)
		}
	})
}
