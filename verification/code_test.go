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

func TestCodeCheck(t *testing.T) {
	const email, alice = "email", "alice@example.com"
	tests := []struct {
		name      string
		tries     int // wrong tries already made
		channel   string
		recipient string
		code      string // "" means the right code
		at        time.Duration
		want      error
		wantTries int
	}{
		{name: "right code", channel: email, recipient: alice},
		{name: "right code on the last allowed try", tries: 4, channel: email, recipient: alice, wantTries: 4},
		{name: "right code just before expiry", channel: email, recipient: alice, at: DefaultCodeTTL - time.Second},
		{name: "wrong code", channel: email, recipient: alice, code: "wrong!", want: ErrCodeMismatch, wantTries: 1},
		{name: "other recipient", channel: email, recipient: "bob@example.com", want: ErrCodeNotFound},
		{name: "other channel", channel: "sms", recipient: alice, want: ErrCodeNotFound},
		{name: "expired at exactly the TTL", channel: email, recipient: alice, at: DefaultCodeTTL, want: ErrCodeExpired},
		{name: "too many tries", tries: 5, channel: email, recipient: alice, want: ErrCodeTooManyTries, wantTries: 5},
		{name: "five digits", channel: email, recipient: alice, code: "12345", want: ErrCodeMismatch, wantTries: 1},
		{name: "seven digits", channel: email, recipient: alice, code: "1234567", want: ErrCodeMismatch, wantTries: 1},
		{name: "letters", channel: email, recipient: alice, code: "12a456", want: ErrCodeMismatch, wantTries: 1},
		{name: "padded", channel: email, recipient: alice, code: " 12345", want: ErrCodeMismatch, wantTries: 1},
		{name: "non-ASCII digits", channel: email, recipient: alice, code: "١٢٣٤٥٦", want: ErrCodeMismatch, wantTries: 1},
		{name: "empty", channel: email, recipient: alice, code: "-", want: ErrCodeMismatch, wantTries: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, plain := NewCode(email, alice, codeT0, DefaultCodeTTL, testCodeKey)
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
			err := c.Check(tt.channel, tt.recipient, code, codeT0.Add(tt.at), DefaultCodeMaxTries, testCodeKey)
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
	c, plain := NewCode("sms", "+41790000000", codeT0, DefaultCodeTTL, testCodeKey)
	for i := range DefaultCodeMaxTries {
		err := c.Check("sms", "+41790000000", wrongCode(plain), codeT0, DefaultCodeMaxTries, testCodeKey)
		require.ErrorIs(t, err, ErrCodeMismatch, "attempt %d", i+1)
	}
	require.Equal(t, DefaultCodeMaxTries, c.Tries)

	// The 6th attempt is refused even though it is right: otherwise an
	// attacker could keep guessing past the limit and only stop on success.
	err := c.Check("sms", "+41790000000", plain, codeT0, DefaultCodeMaxTries, testCodeKey)
	require.ErrorIs(t, err, ErrCodeTooManyTries)
	require.Equal(t, DefaultCodeMaxTries, c.Tries, "a refused attempt is not counted again")
}

func TestCodeWrongKeyFails(t *testing.T) {
	c, plain := NewCode("email", "a@example.com", codeT0, DefaultCodeTTL, testCodeKey)
	err := c.Check("email", "a@example.com", plain, codeT0, DefaultCodeMaxTries, []byte("another key"))
	require.ErrorIs(t, err, ErrCodeMismatch)
}

func TestCodeHashHidesTheCode(t *testing.T) {
	a, plain := NewCode("email", "a@example.com", codeT0, DefaultCodeTTL, testCodeKey)
	require.Len(t, plain, 6)
	require.NotContains(t, a.Hash, plain)
	require.Len(t, a.Hash, 64, "hex SHA-256")

	// The same code for another recipient or channel hashes differently.
	require.NotEqual(t, a.Hash, codeHash(testCodeKey, "email", "b@example.com", plain))
	require.NotEqual(t, a.Hash, codeHash(testCodeKey, "sms", "a@example.com", plain))

	// The stored JSON holds no plaintext either.
	doc, err := json.Marshal(a)
	require.NoError(t, err)
	require.NotContains(t, string(doc), `"`+plain+`"`)
	for _, field := range []string{`"channel"`, `"recipient"`, `"hash"`, `"expiresAt"`, `"tries"`} {
		require.Contains(t, string(doc), field)
	}
}

func TestCodeEmptyKeyPanics(t *testing.T) {
	require.Panics(t, func() { NewCode("email", "a@example.com", codeT0, DefaultCodeTTL, nil) })
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
		_, code := NewCode("email", "a@example.com", codeT0, DefaultCodeTTL, testCodeKey)
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
		c, plain := NewCode("email", "a@example.com", codeT0, DefaultCodeTTL, testCodeKey)
		err := c.Check("email", "a@example.com", guess, codeT0, DefaultCodeMaxTries, testCodeKey)
		if (err == nil) != (guess == plain) {
			t.Fatalf("guess %q, code %q: got %v", guess, plain, err)
		}
		if err != nil && c.Tries != 1 {
			t.Fatalf("got tries %d, want 1", c.Tries)
		}
	})
}
