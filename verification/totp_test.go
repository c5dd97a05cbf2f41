package verification

import (
	"bytes"
	"encoding/base32"
	"encoding/base64"
	"fmt"
	"image"
	_ "image/png" // image.Decode of the QR code
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/hotp"
	"github.com/stretchr/testify/require"
)

// testNow sits mid-step, so ±30 s lands in the neighbouring steps.
var testNow = time.Date(2026, 3, 1, 12, 0, 15, 0, time.UTC)

// rfcSecret is the SHA-1 seed of RFC 6238 Appendix B, "12345678901234567890",
// in base32. A fixed secret and clock keep the tests deterministic: with a
// random one, a wrong code would match by chance once in ~300,000 runs.
const rfcSecret = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"

func newTestTOTP(t *testing.T) (*TOTP, string) {
	t.Helper()
	return &TOTP{Box: newTestBox(t), Now: func() time.Time { return testNow }}, rfcSecret
}

// TestTOTPRFC6238Vectors checks Verify against RFC 6238 Appendix B (SHA-1;
// the RFC lists 8 digits, whose last 6 are the 6-digit code).
func TestTOTPRFC6238Vectors(t *testing.T) {
	tests := []struct {
		unix int64
		code string
	}{
		{59, "287082"},
		{1111111109, "081804"},
		{1111111111, "050471"},
		{1234567890, "005924"},
		{2000000000, "279037"},
		{20000000000, "353130"},
	}
	for _, tt := range tests {
		tp := &TOTP{Now: func() time.Time { return time.Unix(tt.unix, 0) }}
		step, err := tp.Verify(rfcSecret, tt.code, 0)
		require.NoError(t, err, "T=%d", tt.unix)
		require.Equal(t, tt.unix/30, step, "T=%d: got step %d, want %d", tt.unix, step, tt.unix/30)
	}
}

// codeAt returns the code of step now+delta, computed independently of
// Verify.
func codeAt(t *testing.T, secret string, delta int64) (code string, step int64) {
	t.Helper()
	step = testNow.Unix()/30 + delta
	code, err := hotp.GenerateCodeCustom(secret, uint64(step), hotp.ValidateOpts{
		Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1,
	})
	require.NoError(t, err)
	return code, step
}

func TestTOTPVerifyWindow(t *testing.T) {
	tp, secret := newTestTOTP(t)
	tests := []struct {
		name  string
		delta int64
		ok    bool
	}{
		{"current step", 0, true},
		{"one step old", -1, true},
		{"one step ahead", +1, true},
		{"two steps old", -2, false},
		{"two steps ahead", +2, false},
		{"an hour old", -120, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, want := codeAt(t, secret, tt.delta)
			got, err := tp.Verify(secret, code, 0)
			if !tt.ok {
				require.ErrorIs(t, err, ErrTOTPInvalid)
				return
			}
			require.NoError(t, err)
			require.Equal(t, want, got, "got step %d, want %d", got, want)
		})
	}
}

func TestTOTPCodeAcceptedOnce(t *testing.T) {
	tp, secret := newTestTOTP(t)
	code, _ := codeAt(t, secret, 0)

	last, err := tp.Verify(secret, code, 0)
	require.NoError(t, err)

	_, err = tp.Verify(secret, code, last)
	require.ErrorIs(t, err, ErrTOTPReused)
}

func TestTOTPRefusesStepNotAfterLast(t *testing.T) {
	tp, secret := newTestTOTP(t)
	tests := []struct {
		name     string
		delta    int64 // the code's step, relative to now
		lastStep int64 // relative to now
	}{
		{"same step", 0, 0},
		{"older than last", 0, +1},
		{"previous step after current used", -1, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, s := codeAt(t, secret, tt.delta)
			_, err := tp.Verify(secret, code, s-tt.delta+tt.lastStep)
			require.ErrorIs(t, err, ErrTOTPReused)
		})
	}

	// The next step after the last used one is still fine.
	code, s := codeAt(t, secret, +1)
	got, err := tp.Verify(secret, code, s-1)
	require.NoError(t, err)
	require.Equal(t, s, got)
}

func TestTOTPRefusesMalformed(t *testing.T) {
	tp, secret := newTestTOTP(t)
	code, _ := codeAt(t, secret, 0)
	for _, c := range []string{"12345", "abcdef", "1234567", "", " " + code[1:], code + " ", "１２３４５６", "-12345"} {
		_, err := tp.Verify(secret, c, 0)
		require.ErrorIs(t, err, ErrTOTPInvalid, "code %q", c)
	}
}

func TestTOTPWrongCode(t *testing.T) {
	tp, secret := newTestTOTP(t)
	valid := map[string]bool{}
	for d := int64(-1); d <= 1; d++ {
		c, _ := codeAt(t, secret, d)
		valid[c] = true
	}
	code, _ := codeAt(t, secret, 0)
	for valid[code] { // the next code that no step in the window accepts
		code = fmt.Sprintf("%06d", (atoi(t, code)+1)%1000000)
	}
	_, err := tp.Verify(secret, code, 0)
	require.ErrorIs(t, err, ErrTOTPInvalid)
}

func atoi(t *testing.T, s string) int {
	t.Helper()
	n, err := strconv.Atoi(s)
	require.NoError(t, err)
	return n
}

func TestTOTPCorruptSecret(t *testing.T) {
	tp, _ := newTestTOTP(t)
	_, err := tp.Verify("not base32!", "123456", 0)
	require.Error(t, err)
	require.NotErrorIs(t, err, ErrTOTPInvalid)
}

func TestTOTPNewSecret(t *testing.T) {
	tp := &TOTP{Box: newTestBox(t)}
	enr, err := tp.NewSecret("Foyer", "alice@example.com")
	require.NoError(t, err)

	require.NotContains(t, enr.Secret, "=")
	raw, err := base32.StdEncoding.WithPadding(base32.NoPadding).DecodeString(enr.Secret)
	require.NoError(t, err)
	require.Len(t, raw, 20, "got %d bytes, want 160 bits", len(raw))

	u, err := url.Parse(enr.URI)
	require.NoError(t, err)
	require.Equal(t, "otpauth", u.Scheme)
	require.Equal(t, "totp", u.Host)
	require.Equal(t, "/Foyer:alice@example.com", u.Path)
	q := u.Query()
	require.Equal(t, enr.Secret, q.Get("secret"))
	require.Equal(t, "Foyer", q.Get("issuer"))
	require.Equal(t, "SHA1", q.Get("algorithm"))
	require.Equal(t, "6", q.Get("digits"))
	require.Equal(t, "30", q.Get("period"))

	other, err := tp.NewSecret("Foyer", "alice@example.com")
	require.NoError(t, err)
	require.NotEqual(t, enr.Secret, other.Secret)
}

func TestTOTPNewSecretRefusesColon(t *testing.T) {
	tp := &TOTP{Box: newTestBox(t)}
	_, err := tp.NewSecret("Foyer:Evil", "alice")
	require.Error(t, err)
	_, err = tp.NewSecret("Foyer", "a:lice")
	require.Error(t, err)
}

func TestTOTPQRCodeIsPNG(t *testing.T) {
	tp := &TOTP{Box: newTestBox(t)}
	enr, err := tp.NewSecret("Foyer", "alice@example.com")
	require.NoError(t, err)

	b64, ok := strings.CutPrefix(enr.QRCode, "data:image/png;base64,")
	require.True(t, ok, "got %.40q, want a PNG data URL", enr.QRCode)
	raw, err := base64.StdEncoding.DecodeString(b64)
	require.NoError(t, err)
	img, format, err := image.Decode(bytes.NewReader(raw))
	require.NoError(t, err)
	require.Equal(t, "png", format)
	require.Equal(t, image.Rect(0, 0, 256, 256), img.Bounds())

	// The quiet zone: the border is white all round.
	for i := range 256 {
		for _, p := range []image.Point{{i, 0}, {0, i}, {i, 255}, {255, i}, {i, 31}, {31, i}} {
			r, g, b, _ := img.At(p.X, p.Y).RGBA()
			require.Equal(t, [3]uint32{0xffff, 0xffff, 0xffff}, [3]uint32{r, g, b}, "pixel %v", p)
		}
	}
}

func TestTOTPSealOpen(t *testing.T) {
	tp, secret := newTestTOTP(t)
	sealed := tp.Seal(secret, "t1/u1")
	require.NotContains(t, sealed, secret)

	got, err := tp.Open(sealed, "t1/u1")
	require.NoError(t, err)
	require.Equal(t, secret, got)

	_, err = tp.Open(sealed, "t1/u2")
	require.ErrorIs(t, err, ErrSealed, "wrong owner")

	// Sealed by the same box for the same owner but not as a TOTP secret.
	_, err = tp.Open(tp.Box.Seal([]byte(secret), []byte("t1/u1")), "t1/u1")
	require.ErrorIs(t, err, ErrSealed, "other purpose")

	raw, err := base64.RawURLEncoding.DecodeString(strings.TrimPrefix(sealed, "v1."))
	require.NoError(t, err)
	raw[20] ^= 0x80
	_, err = tp.Open("v1."+base64.RawURLEncoding.EncodeToString(raw), "t1/u1")
	require.ErrorIs(t, err, ErrSealed, "tampered")

	require.NotEqual(t, sealed, tp.Seal(secret, "t1/u1"), "each seal draws a fresh nonce")
}
