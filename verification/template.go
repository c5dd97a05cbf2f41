package verification

import (
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"strconv"
	"time"

	"github.com/go-webauthn/webauthn/protocol"
	"github.com/go-webauthn/webauthn/webauthn"
	json "github.com/goccy/go-json"

	"github.com/foyer-auth/foyer/account"
	"github.com/foyer-auth/foyer/internal/jsonappend"
	"github.com/foyer-auth/foyer/tenant"
)

// A template is one kind of ceremony of one relying party, begun once by
// the library with placeholder per-request parts and kept as the encoded
// JSON around those parts. Only the challenge, the user (handle, names) and
// the credential list change from one request to the next; everything else
// (RP entity, algorithms, timeout, authenticator selection, hints,
// extensions, the session's RP ID, origin, user verification, mediation)
// is the library's own answer, so its defaults and checks still decide it.
//
// The options are
//
//	optHead [userEntity ","] "challenge":"C" optMid credentialList optTail
//
// and the session data
//
//	{"challenge":"C" sesHead [,"holder":"H"] [,"allowed_credentials":[...]] ,"expires":"T" sesTail
//
// which is the library's SessionData but for the user's handle: the
// session names the user by a digest of the handle (see holder), and the
// finish puts the handle back from the user it verifies for.
type template struct {
	optHead, optMid, optTail []byte
	sesHead, sesTail         []byte
	// registration: the options carry a user entity and the session the
	// user's handle; else request options (the session lists the allowed
	// credential ids, and the handle when the login is user-bound).
	registration bool
	// expiry is the ceremony's timeout; 0 when the library does not
	// enforce one (the session then expires at the zero time, as its own).
	expiry time.Duration
}

// The per-request members as the zero values of the library's options and
// session encode them: a template is cut at these, and the per-request
// encoder writes the same members back.
const (
	zeroUser       = `"user":{"id":"","name":"","displayName":""},`
	zeroChallenge  = `"challenge":""`
	zeroList       = `:null`
	zeroExpires    = `,"expires":"0001-01-01T00:00:00Z"`
	excludeList    = `"excludeCredentials"`
	allowList      = `"allowCredentials"`
	descriptorHead = `{"type":"` + string(protocol.PublicKeyCredentialType) + `","id":"`
)

// maxTemplates bounds the template cache; a tenant has a handful of
// variants per origin, and dev-mode origins are client-chosen.
const maxTemplates = 1024

// templateKey identifies a template: the tenant as of its last update,
// the origin (as the relying party cache keys it: whether a ceremony is
// pinned to it is decided once, when the template is built, sparing the
// URL parsing per request), and the variant. Strings are length-prefixed
// so that no two keys run together.
func templateKey(dst []byte, t *tenant.Tenant, origin string, kind byte) []byte {
	dst = appendKeyString(dst, t.ID)
	dst = strconv.AppendInt(dst, t.UpdatedAt.UnixNano(), 36)
	dst = appendKeyString(dst, origin)
	return append(dst, kind)
}

func appendKeyString(dst []byte, s string) []byte {
	dst = strconv.AppendInt(dst, int64(len(s)), 10)
	dst = append(dst, ':')
	return append(dst, s...)
}

// appendKey appends everything of r that changes the options or the
// session (Passwordless and the preference's own timeout do not: the
// tenant's timeout applies, and it is part of the tenant's key).
func (r Registration) appendKey(dst []byte) []byte {
	p := r.Passkey
	dst = strconv.AppendInt(dst, int64(len(p.PubKeyCredParams)), 10)
	for _, alg := range p.PubKeyCredParams {
		dst = append(dst, ',')
		dst = strconv.AppendInt(dst, alg, 10)
	}
	for _, s := range [...]string{p.ResidentKey, p.UserVerification, p.AuthenticatorAttachment, p.Attestation, r.RPID} {
		dst = appendKeyString(dst, s)
	}
	dst = strconv.AppendInt(dst, int64(len(p.Hints)), 10)
	for _, h := range p.Hints {
		dst = appendKeyString(dst, h)
	}
	return strconv.AppendBool(strconv.AppendBool(strconv.AppendBool(dst, p.Extensions.CredProps), p.Extensions.HMACCreateSecret), r.Conditional)
}

// template returns the template under key, building and keeping it on
// the first request. Two first requests may both build it: the library
// answers the same, and either copy serves.
func (w *WebAuthn) template(key []byte, build func() (*template, error)) (*template, error) {
	w.tmu.RLock()
	tp := w.templates[string(key)]
	w.tmu.RUnlock()
	if tp != nil {
		return tp, nil
	}
	tp, err := build()
	if err != nil {
		return nil, err
	}
	w.tmu.Lock()
	defer w.tmu.Unlock()
	if len(w.templates) >= maxTemplates {
		clear(w.templates)
	}
	w.templates[string(key)] = tp
	return tp, nil
}

// placeholder is the user a template is begun for: a valid handle, no
// names, and one credential (the library refuses a login without any; a
// registration excludes it, which changes nothing but the list).
func placeholder() *User {
	return &User{Handle: []byte{0}, Credentials: []account.Credential{{ID: []byte{0}}}}
}

// registrationTemplate begins a registration with the library and cuts
// it into a template.
func (w *WebAuthn) registrationTemplate(t *tenant.Tenant, origin string, reg Registration) (*template, error) {
	rp, err := w.rp(t, origin)
	if err != nil {
		return nil, err
	}
	u := placeholder()
	mediation, opts := registrationOptions(t, origin, u, reg)
	creation, sd, err := rp.BeginMediatedRegistration(libUser{u}, mediation, opts...)
	if err != nil {
		return nil, fmt.Errorf("begin registration: %w", err)
	}
	o := creationOptions(&creation.Response, reg.Passkey)
	o.User, o.Challenge, o.ExcludeCredentials = UserEntity{}, "", nil
	tp := &template{registration: true}
	if err := tp.cut(o, zeroUser+zeroChallenge, excludeList, sd, creation.Response.Timeout); err != nil {
		return nil, fmt.Errorf("registration template: %w", err)
	}
	return tp, nil
}

// loginTemplate begins a login with the library, user-bound or
// discoverable, and cuts it into a template.
func (w *WebAuthn) loginTemplate(t *tenant.Tenant, origin string, userBound bool, uv protocol.UserVerificationRequirement) (*template, error) {
	rp, err := w.rp(t, origin)
	if err != nil {
		return nil, err
	}
	var u *User
	if userBound {
		u = placeholder()
	}
	assertion, sd, err := beginLogin(rp, u, loginOptions(t, origin, uv)...)
	if err != nil {
		return nil, fmt.Errorf("begin login: %w", err)
	}
	o := requestOptions(&assertion.Response)
	o.Challenge, o.AllowCredentials = "", nil
	tp := &template{}
	if err := tp.cut(o, zeroChallenge, allowList, sd, assertion.Response.Timeout); err != nil {
		return nil, fmt.Errorf("login template: %w", err)
	}
	return tp, nil
}

// cut encodes the library's options and session data, with their
// per-request members zeroed, and keeps the bytes around those members.
// It fails if the encoding does not have them where the per-request
// encoder writes them, which a test notices at once.
func (tp *template) cut(options any, head, list string, sd *webauthn.SessionData, timeout int) error {
	o, err := json.Marshal(options)
	if err != nil {
		return err
	}
	var ok bool
	if tp.optHead, o, ok = bytes.Cut(o, []byte(head)); !ok {
		return fmt.Errorf("options lack %s", head)
	}
	if tp.optMid, tp.optTail, ok = bytes.Cut(o, []byte(list+zeroList)); !ok {
		return fmt.Errorf("options lack %s", list)
	}
	tp.optMid = append(tp.optMid, list+":"...)

	s := *sd
	s.Challenge, s.UserID, s.AllowedCredentialIDs, s.Expires = "", nil, nil, time.Time{}
	b, err := json.Marshal(s)
	if err != nil {
		return err
	}
	if b, ok = bytes.CutPrefix(b, []byte("{"+zeroChallenge)); !ok {
		return fmt.Errorf("session data does not begin with the challenge")
	}
	if tp.sesHead, tp.sesTail, ok = bytes.Cut(b, []byte(zeroExpires)); !ok {
		return fmt.Errorf("session data lack the expiry")
	}
	if !sd.Expires.IsZero() {
		tp.expiry = time.Millisecond * time.Duration(timeout) // as the library computes it
	}
	return nil
}

// ceremony encodes the options and session data of one ceremony for u
// (nil for a discoverable login), whose credentials are excluded or
// allowed: both in one allocation, the options first.
func (tp *template) ceremony(u *User, challenge *[protocol.ChallengeLength]byte, now time.Time) Ceremony {
	var creds []account.Credential
	if u != nil {
		creds = u.Credentials
	}
	var c [challengeLen]byte
	base64.RawURLEncoding.Encode(c[:], challenge[:])
	// Room for all but names full of escapes: the one allocation.
	n := len(tp.optHead) + len(tp.optMid) + len(tp.optTail) + len(tp.sesHead) + len(tp.sesTail) + 2*len(c) + 128
	if u != nil {
		n += 2*len(u.Handle) + holderLen + 2*(len(u.Name)+len(u.DisplayName))
	}
	for _, cr := range creds {
		n += len(descriptorHead) + 32 + 3*len(cr.ID)
		for _, tr := range cr.Transports {
			n += len(tr) + 3
		}
	}
	b := make([]byte, 0, n)

	b = append(b, tp.optHead...)
	if tp.registration {
		b = append(b, `"user":{"id":"`...)
		b = base64.RawURLEncoding.AppendEncode(b, u.Handle)
		b = append(b, `","name":`...)
		b = jsonappend.String(b, u.Name)
		b = append(b, `,"displayName":`...)
		b = jsonappend.String(b, u.DisplayName)
		b = append(b, "},"...)
	}
	b = append(b, `"challenge":"`...)
	b = append(b, c[:]...)
	b = append(b, '"')
	b = append(b, tp.optMid...)
	b = appendDescriptors(b, creds)
	b = append(b, tp.optTail...)
	options := len(b)

	// The session as the library encodes SessionData: []byte members in
	// standard base64, the expiry as time.Time's JSON.
	b = append(b, `{"challenge":"`...)
	b = append(b, c[:]...)
	b = append(b, '"')
	b = append(b, tp.sesHead...)
	if u != nil && len(u.Handle) > 0 {
		b = append(b, `,"holder":"`...)
		b = appendHolder(b, u.Handle)
		b = append(b, '"')
	}
	if !tp.registration && len(creds) > 0 {
		b = append(b, `,"allowed_credentials":[`...)
		for i, cr := range creds {
			if i > 0 {
				b = append(b, ',')
			}
			b = append(b, '"')
			b = base64.StdEncoding.AppendEncode(b, cr.ID)
			b = append(b, '"')
		}
		b = append(b, ']')
	}
	var expires time.Time
	if tp.expiry != 0 {
		expires = now.Add(tp.expiry)
	}
	b = append(b, `,"expires":"`...)
	b = expires.AppendFormat(b, time.RFC3339Nano)
	b = append(b, '"')
	b = append(b, tp.sesTail...)
	return Ceremony{Options: b[:options:options], Session: b[options:]}
}

// appendDescriptors appends creds as PublicKeyCredentialDescriptorJSON
// (W3C WebAuthn L3 §5.8.3), transports always present.
func appendDescriptors(b []byte, creds []account.Credential) []byte {
	b = append(b, '[')
	for i, cr := range creds {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, descriptorHead...)
		b = base64.RawURLEncoding.AppendEncode(b, cr.ID)
		b = append(b, `","transports":[`...)
		for j, tr := range cr.Transports {
			if j > 0 {
				b = append(b, ',')
			}
			b = jsonappend.String(b, tr)
		}
		b = append(b, "]}"...)
	}
	return append(b, ']')
}

// challengeLen is the length of a challenge in unpadded base64url.
const challengeLen = (4*protocol.ChallengeLength + 2) / 3

// begin draws a challenge as the library does (protocol.CreateChallenge:
// ChallengeLength random bytes) and encodes the ceremony. The expiry
// counts from the wall clock, as the library's own check at the finish
// reads it.
func (tp *template) begin(u *User) (Ceremony, error) {
	var challenge [protocol.ChallengeLength]byte
	if _, err := rand.Read(challenge[:]); err != nil {
		return Ceremony{}, err
	}
	return tp.ceremony(u, &challenge, time.Now()), nil
}
