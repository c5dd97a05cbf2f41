package verification

import (
	"bytes"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"image/png"
	"strings"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/hotp"
	"github.com/pquerna/otp/totp"
)

// TOTP parameters. SHA-1, 6 digits and 30 s are RFC 6238's defaults and the
// only combination every authenticator app honours (several ignore the
// algorithm, digits and period parameters of the otpauth URI).
const (
	totpPeriod     = 30 // seconds, RFC 6238 §5.2
	totpDigits     = otp.DigitsSix
	totpSecretSize = 20 // bytes: 160 bits, RFC 4226 §4 R6 and the SHA-1 output size
	// totpSkew is how many steps either side of now are accepted, for clock
	// drift and typing time: RFC 6238 §5.2 recommends at most one.
	totpSkew = 1
	// qrSize is the side of the QR code PNG in pixels.
	qrSize = 256
	// qrMargin is the white border kept around the symbol inside the PNG.
	// ISO/IEC 18004 asks for a quiet zone of 4 modules. An otpauth URI with
	// a 160-bit secret is over 100 bytes, a symbol of 41 modules or more, so
	// a module is at most 4 px and 32 px is always enough. The border is in
	// the PNG so the code still scans on a dark-mode page.
	qrMargin = 32
)

var (
	// ErrTOTPInvalid: the code is malformed, wrong, or outside the accepted
	// window of steps.
	ErrTOTPInvalid = errors.New("verification: invalid TOTP code")
	// ErrTOTPReused: the code matches a step at or before the last accepted
	// one. RFC 6238 §5.2: a verifier MUST NOT accept an OTP a second time.
	ErrTOTPReused = errors.New("verification: TOTP code already used")
)

// TOTP enrols and checks time-based one-time passwords (RFC 6238). Box
// seals the shared secrets at rest; Now is the clock (time.Now when nil).
type TOTP struct {
	Box *SecretBox
	Now func() time.Time
}

// TOTPEnrollment is what a user needs to set up an authenticator app.
type TOTPEnrollment struct {
	// Secret is the shared key, base32 without padding, for manual entry.
	Secret string
	// URI is the otpauth://totp/... Key URI that authenticator apps read.
	URI string
	// QRCode is a "data:image/png;base64,..." image of URI, about 256 px.
	QRCode string
}

// NewSecret draws a new 160-bit secret for account at issuer, and renders it
// as an otpauth URI and a QR code. The secret must be sealed (Seal) before
// it is stored, and only kept once the user has proved with a first code
// that the app holds it.
func (t *TOTP) NewSecret(issuer, account string) (TOTPEnrollment, error) {
	// The Key URI format separates issuer and account with a colon in the
	// label, and neither may contain one.
	if strings.Contains(issuer, ":") || strings.Contains(account, ":") {
		return TOTPEnrollment{}, errors.New("verification: TOTP issuer and account must not contain ':'")
	}
	key, err := totp.Generate(totp.GenerateOpts{
		Issuer:      issuer,
		AccountName: account,
		Period:      totpPeriod,
		SecretSize:  totpSecretSize,
		Digits:      totpDigits,
		Algorithm:   otp.AlgorithmSHA1,
		// Rand is left nil: pquerna/otp then reads crypto/rand.
	})
	if err != nil {
		return TOTPEnrollment{}, fmt.Errorf("verification: new TOTP secret: %w", err)
	}
	qr, err := qrDataURL(key)
	if err != nil {
		return TOTPEnrollment{}, err
	}
	return TOTPEnrollment{Secret: key.Secret(), URI: key.URL(), QRCode: qr}, nil
}

// qrDataURL renders the key's URI as a PNG data URL.
//
// It uses pquerna/otp's own key.Image rather than skip2/go-qrcode: key.Image
// encodes exactly the URI the key holds, and its QR encoder
// (boombuler/barcode) already comes with pquerna/otp, so this adds no
// module; skip2/go-qrcode would be a second QR encoder, with no commit since
// 2020. key.Image leaves only the rounding slack as a border, so the symbol
// is drawn on a white canvas with a proper quiet zone.
func qrDataURL(key *otp.Key) (string, error) {
	sym, err := key.Image(qrSize-2*qrMargin, qrSize-2*qrMargin)
	if err != nil {
		return "", fmt.Errorf("verification: TOTP QR code: %w", err)
	}
	canvas := image.NewGray(image.Rect(0, 0, qrSize, qrSize))
	draw.Draw(canvas, canvas.Bounds(), image.NewUniform(color.White), image.Point{}, draw.Src)
	at := image.Rect(qrMargin, qrMargin, qrSize-qrMargin, qrSize-qrMargin)
	draw.Draw(canvas, at, sym, sym.Bounds().Min, draw.Src)
	var buf bytes.Buffer
	if err := png.Encode(&buf, canvas); err != nil {
		return "", fmt.Errorf("verification: TOTP QR code: %w", err)
	}
	return "data:image/png;base64," + base64.StdEncoding.EncodeToString(buf.Bytes()), nil
}

// totpAD binds a sealed secret to its owner and to its purpose, so that a
// TOTP secret cannot be swapped for another secret sealed for the same owner.
func totpAD(owner string) []byte { return []byte("foyer/totp-secret\x00" + owner) }

// Seal encrypts a TOTP secret for storage, bound to owner (tenantID+"/"+userID).
func (t *TOTP) Seal(secret, owner string) string {
	return t.Box.Seal([]byte(secret), totpAD(owner))
}

// Open decrypts a secret sealed by Seal for the same owner; ErrSealed
// otherwise.
func (t *TOTP) Open(sealed, owner string) (string, error) {
	plain, err := t.Box.Open(sealed, totpAD(owner))
	if err != nil {
		return "", err
	}
	return string(plain), nil
}

// Verify checks code against secret at the current time. It accepts the
// code of the current 30-second step or of one step either side (RFC 6238
// §5.2), but never of a step at or before lastStep: callers store the
// returned step and pass it back as lastStep next time, so each code is
// accepted once (RFC 6238 §5.2), and an older code observed by an attacker
// cannot be replayed after a newer one was used. Pass 0 before the first
// use.
//
// It returns the matched step, unix time / 30; ErrTOTPInvalid for a
// malformed, wrong or too old code; ErrTOTPReused for a code whose step is
// not after lastStep. Both are failed attempts for rate limiting.
func (t *TOTP) Verify(secret, code string, lastStep int64) (step int64, err error) {
	if !isDigits(code, totpDigits.Length()) {
		return 0, ErrTOTPInvalid
	}
	now := t.now().Unix() / totpPeriod
	var matched int64
	found, reused := false, false
	// Every candidate is computed and compared in constant time, whatever
	// matches, so the timing says nothing about which step (if any) the code
	// belongs to. Candidates run oldest first, so if a code matches two
	// steps (a 1e-6 chance), the oldest unused one is taken and the newer
	// step stays available.
	for s := now - totpSkew; s <= now+totpSkew; s++ {
		want, err := hotp.GenerateCodeCustom(secret, uint64(s), hotp.ValidateOpts{
			Digits:    totpDigits,
			Algorithm: otp.AlgorithmSHA1,
		})
		if err != nil {
			// A stored secret that is not base32: corrupt data, not a
			// wrong code.
			return 0, fmt.Errorf("verification: TOTP secret: %w", err)
		}
		if subtle.ConstantTimeCompare([]byte(want), []byte(code)) != 1 {
			continue
		}
		switch {
		case s <= lastStep:
			reused = true
		case !found:
			matched, found = s, true
		}
	}
	switch {
	case found:
		return matched, nil
	case reused:
		return 0, ErrTOTPReused
	default:
		return 0, ErrTOTPInvalid
	}
}

func (t *TOTP) now() time.Time {
	if t.Now == nil {
		return time.Now()
	}
	return t.Now()
}

// isDigits reports whether s is exactly n ASCII digits.
func isDigits(s string, n int) bool {
	if len(s) != n {
		return false
	}
	for i := range len(s) {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}
