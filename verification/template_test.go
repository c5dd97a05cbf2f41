package verification

import (
	"encoding/base64"
	stdjson "encoding/json"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/go-webauthn/webauthn/protocol"
	"github.com/go-webauthn/webauthn/webauthn"
	json "github.com/goccy/go-json"
	"github.com/stretchr/testify/require"

	"github.com/foyer-auth/foyer/account"
	"github.com/foyer-auth/foyer/tenant"
)

// The reference: a ceremony begun by the library on every call, encoded as
// BeginRegistration and BeginLogin encoded it before templates, with the
// challenge the template drew injected.

func libRegistration(w *WebAuthn, tn *tenant.Tenant, origin string, u *User, reg Registration, challenge []byte) (Ceremony, error) {
	rp, err := w.rp(tn, origin)
	if err != nil {
		return Ceremony{}, err
	}
	mediation, opts := registrationOptions(tn, origin, u, reg)
	opts = append(opts, func(o *protocol.PublicKeyCredentialCreationOptions) error {
		o.Challenge = challenge
		return nil
	})
	creation, sd, err := rp.BeginMediatedRegistration(libUser{u}, mediation, opts...)
	if err != nil {
		return Ceremony{}, err
	}
	return marshalCeremony(creationOptions(&creation.Response, reg.Passkey), sd)
}

func libLogin(w *WebAuthn, tn *tenant.Tenant, origin string, u *User, uv protocol.UserVerificationRequirement, challenge []byte) (Ceremony, error) {
	rp, err := w.rp(tn, origin)
	if err != nil {
		return Ceremony{}, err
	}
	assertion, sd, err := beginLogin(rp, u, append(loginOptions(tn, origin, uv), webauthn.WithChallenge(challenge))...)
	if err != nil {
		return Ceremony{}, err
	}
	return marshalCeremony(requestOptions(&assertion.Response), sd)
}

func marshalCeremony(options any, sd *webauthn.SessionData) (Ceremony, error) {
	o, err := json.Marshal(options)
	if err != nil {
		return Ceremony{}, err
	}
	s, err := json.Marshal(sd)
	if err != nil {
		return Ceremony{}, err
	}
	return Ceremony{Options: o, Session: s}, nil
}

// requireSameCeremony compares a template's ceremony for u with the
// library's: the options and the session data as any JSON decoder sees
// them (every member, present or absent), once the session is opened for
// u, and the session data as FinishRegistration and FinishLogin decode it.
// The stored session names u by a holder, never by the handle, and begins
// with the challenge. The template's expiry must be the tenant's timeout
// from the moment of the call (between before and after).
func requireSameCeremony(t *testing.T, got, want Ceremony, u *User, before, after time.Time, timeout time.Duration) {
	t.Helper()
	require.True(t, stdjson.Valid(got.Options), "%s", got.Options)
	require.True(t, stdjson.Valid(got.Session), "%s", got.Session)
	require.Equal(t, decodeAny(t, want.Options), decodeAny(t, got.Options), "options\n got %s\nwant %s", got.Options, want.Options)
	require.True(t, strings.HasPrefix(string(got.Session), `{"challenge":"`+base64.RawURLEncoding.EncodeToString(challengeOf(t, got))+`"`), "%s", got.Session)

	stored := decodeAny(t, got.Session).(map[string]any)
	require.NotContains(t, stored, "user_id")
	if u != nil && len(u.Handle) > 0 {
		require.Len(t, stored["holder"], holderLen)
	} else {
		require.NotContains(t, stored, "holder")
	}
	sd, err := openSession(got.Session, u)
	require.NoError(t, err)
	opened, err := json.Marshal(sd)
	require.NoError(t, err)

	gs, ws := decodeAny(t, opened).(map[string]any), decodeAny(t, want.Session).(map[string]any)
	exp, err := time.Parse(time.RFC3339Nano, gs["expires"].(string))
	require.NoError(t, err)
	require.False(t, exp.Before(before.Add(timeout)), "expires %s, before+timeout %s", exp, before.Add(timeout))
	require.False(t, exp.After(after.Add(timeout)), "expires %s, after+timeout %s", exp, after.Add(timeout))
	delete(gs, "expires")
	delete(ws, "expires")
	require.Equal(t, ws, gs, "session\n got %s\nwant %s", got.Session, want.Session)

	var wsd webauthn.SessionData
	require.NoError(t, json.Unmarshal(want.Session, &wsd))
	sd.Expires, wsd.Expires = time.Time{}, time.Time{}
	require.Equal(t, wsd, sd)
}

func decodeAny(t *testing.T, b []byte) any {
	t.Helper()
	var v any
	require.NoError(t, stdjson.Unmarshal(b, &v), "%s", b)
	return v
}

// challengeOf reads the challenge a ceremony's options carry.
func challengeOf(t *testing.T, c Ceremony) []byte {
	t.Helper()
	var o struct {
		Challenge string `json:"challenge"`
	}
	require.NoError(t, stdjson.Unmarshal(c.Options, &o))
	b, err := base64.RawURLEncoding.DecodeString(o.Challenge)
	require.NoError(t, err)
	require.Len(t, b, protocol.ChallengeLength)
	return b
}

// The random inputs.

var (
	nameParts = []string{"ada", "Ada Lovelace", `"`, `\`, "</script>", "<", ">", "&", "'", "\u2028", "\u2029",
		"\x00", "\x1f", "\t", "\n", "\x7f", "Zoë", "日本", "😀", "\xff", "\xc3", "\xed\xa0\x80", " ", "@example.com"}
	algorithms = []int64{-7, -8, -36, -37, -38, -39, -257, -258, -259}
	transports = []string{"usb", "nfc", "ble", "smart-card", "hybrid", "internal"}
)

func pick[T any](rng *rand.Rand, xs []T) T { return xs[rng.IntN(len(xs))] }

// some returns a random subset of xs in random order, of at least min.
func some[T any](rng *rand.Rand, xs []T, minimum int) []T {
	out := slices.Clone(xs)
	rng.Shuffle(len(out), func(i, j int) { out[i], out[j] = out[j], out[i] })
	return out[:minimum+rng.IntN(len(out)-minimum+1)]
}

func randomBytes(rng *rand.Rand, n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(rng.UintN(256))
	}
	return b
}

func randomName(rng *rand.Rand) string {
	var sb strings.Builder
	for range rng.IntN(6) {
		sb.WriteString(pick(rng, nameParts))
	}
	return sb.String()
}

func randomUser(rng *rand.Rand) *User {
	u := &User{Handle: randomBytes(rng, 1+rng.IntN(64)), Name: randomName(rng), DisplayName: randomName(rng)}
	for range rng.IntN(5) {
		u.Credentials = append(u.Credentials, account.Credential{ID: randomBytes(rng, 1+rng.IntN(64)), Transports: some(rng, transports, 0)})
	}
	return u
}

func randomPasskey(rng *rand.Rand) tenant.Passkey {
	return tenant.Passkey{
		PubKeyCredParams:        some(rng, algorithms, 1),
		ResidentKey:             pick(rng, []string{"discouraged", "preferred", "required"}),
		UserVerification:        pick(rng, []string{"required", "preferred", "discouraged"}),
		AuthenticatorAttachment: pick(rng, []string{"", "platform", "cross-platform"}),
		Attestation:             pick(rng, []string{"none", "indirect", "direct", "enterprise"}),
		Timeout:                 pick(rng, []int{10000, 60000, 300000, 600000}),
		Hints:                   some(rng, []string{"security-key", "client-device", "hybrid"}, 0),
		Extensions:              tenant.PasskeyExtension{CredProps: rng.IntN(2) == 0, HMACCreateSecret: rng.IntN(2) == 0},
	}
}

// versions returns tenants with random passkey settings: a dev tenant on
// localhost and a tenant with RP ID rp.test, a related origin and a host
// outside its RP ID, each in a few versions (UpdatedAt tells them apart, as
// for a tenant whose settings change).
func versions(rng *rand.Rand) []*tenant.Tenant {
	var out []*tenant.Tenant
	for v := range 6 {
		tn := fuzzTenant()
		if v%2 == 1 {
			tn = &tenant.Tenant{ID: "00000000-0000-4000-8000-000000000001", Slug: "ror",
				Hosts: []string{"rp.test", "login.rp.test", "far.test"}, Settings: tenant.DefaultSettings()}
			tn.Settings.RPID = "rp.test"
			tn.Settings.DisplayName = `Ror "&" <Co> ` + "\u2028"
			tn.Settings.RelatedOrigins = []string{"https://app.test"}
		}
		tn.UpdatedAt = time.Unix(int64(v), 0)
		tn.Settings.Passkey = randomPasskey(rng)
		out = append(out, tn)
	}
	return out
}

func origins(tn *tenant.Tenant) []string {
	if tn.Dev {
		return []string{"http://localhost:3001", "https://localhost", "https://evil.example", ""}
	}
	return []string{"https://rp.test", "https://login.rp.test", "https://app.test", "https://far.test", "https://evil.example", ""}
}

// TestTemplateMatchesLibrary: for random users (names with quotes,
// escapes, markup, control characters, invalid UTF-8; zero to four
// credentials) and every variant (tenant settings, narrowed preferences,
// hints, conditional, RP ID override, pinned and unpinned origins, user
// verification required, discoverable), the options and session data of a
// template are those the library builds for the same challenge.
func TestTemplateMatchesLibrary(t *testing.T) {
	rng := rand.New(rand.NewPCG(13, 2))
	tenants := versions(rng)
	w := NewWebAuthn()
	for i := range 600 {
		tn := pick(rng, tenants)
		origin := pick(rng, origins(tn))
		u := randomUser(rng)
		timeout := time.Duration(tn.Settings.Passkey.Timeout) * time.Millisecond
		switch i % 3 {
		case 0:
			reg := TenantRegistration(tn)
			if rng.IntN(2) == 0 {
				reg.Passkey = randomPasskey(rng)
			}
			reg.RPID = pick(rng, append([]string{"", tn.RPID()}, tn.Hosts...))
			reg.Conditional = rng.IntN(3) == 0
			name := "registration " + strconv.Itoa(i)
			before := time.Now()
			c, err := w.BeginRegistration(tn, origin, u, reg)
			after := time.Now()
			require.NoError(t, err, name)
			want, err := libRegistration(w, tn, origin, u, reg, challengeOf(t, c))
			require.NoError(t, err, name)
			requireSameCeremony(t, c, want, u, before, after, timeout)
		default:
			var opts []LoginOption
			uv := protocol.UserVerificationRequirement(tn.Settings.Passkey.UserVerification)
			if rng.IntN(2) == 0 {
				opts, uv = append(opts, WithUserVerificationRequired()), protocol.VerificationRequired
			}
			if i%3 == 2 {
				u = nil
			}
			before := time.Now()
			c, err := w.BeginLogin(tn, origin, u, opts...)
			after := time.Now()
			if u != nil && len(u.Credentials) == 0 {
				require.ErrorIs(t, err, ErrNoPasskey)
				_, err = libLogin(w, tn, origin, u, uv, make([]byte, protocol.ChallengeLength))
				require.Error(t, err, "the library refuses a login without credentials too")
				continue
			}
			require.NoError(t, err)
			want, err := libLogin(w, tn, origin, u, uv, challengeOf(t, c))
			require.NoError(t, err)
			requireSameCeremony(t, c, want, u, before, after, timeout)
		}
	}
}

// TestTemplateRefusesWhatTheLibraryRefuses: a user handle outside 1..64
// bytes, and a tenant no origin may use.
func TestTemplateRefusesWhatTheLibraryRefuses(t *testing.T) {
	w := NewWebAuthn()
	tn := fuzzTenant()
	for _, n := range []int{0, 65} {
		u := &User{Handle: make([]byte, n), Name: "ada"}
		_, err := w.BeginRegistration(tn, origin, u, TenantRegistration(tn))
		require.Error(t, err, "handle of %d bytes", n)
		_, err = libRegistration(w, tn, origin, u, TenantRegistration(tn), make([]byte, protocol.ChallengeLength))
		require.Error(t, err, "the library: handle of %d bytes", n)
	}
	far := &tenant.Tenant{ID: "00000000-0000-4000-8000-000000000002", Slug: "far", Hosts: []string{"far.test"}, Settings: tenant.DefaultSettings()}
	far.Settings.RPID = "rp.test"
	_, err := w.BeginRegistration(far, "https://far.test", benchUser(), TenantRegistration(far))
	require.ErrorIs(t, err, ErrNoOrigin)
	_, err = w.BeginLogin(far, "https://far.test", nil)
	require.ErrorIs(t, err, ErrNoOrigin)
}

// TestTemplateFollowsTenantUpdates: a tenant saved with new settings (a new
// UpdatedAt) gets new templates.
func TestTemplateFollowsTenantUpdates(t *testing.T) {
	w := NewWebAuthn()
	tn := fuzzTenant()
	timeout := func() int {
		c, err := w.BeginLogin(tn, origin, nil)
		require.NoError(t, err)
		var o RequestOptions
		require.NoError(t, stdjson.Unmarshal(c.Options, &o))
		return o.Timeout
	}
	require.Equal(t, tn.Settings.Passkey.Timeout, timeout())
	tn = fuzzTenant()
	tn.Settings.Passkey.Timeout = 60000
	tn.UpdatedAt = time.Unix(1, 0)
	require.Equal(t, 60000, timeout())
}

// TestTemplateCacheIsBounded: client-chosen origins cannot grow the cache
// without bound.
func TestTemplateCacheIsBounded(t *testing.T) {
	w := NewWebAuthn()
	tn := fuzzTenant()
	for i := range maxTemplates + 10 {
		_, err := w.BeginLogin(tn, "https://evil"+strconv.Itoa(i)+".example", nil)
		require.NoError(t, err)
	}
	require.LessOrEqual(t, len(w.templates), maxTemplates)
}
