package interaction

import (
	"bytes"
	"errors"

	"github.com/foyer-auth/foyer/account"
	"github.com/foyer-auth/foyer/internal/jsonappend"
	"github.com/foyer-auth/foyer/internal/jsonscan"
	"github.com/foyer-auth/foyer/verification"
)

// The interaction is written on nearly every call of the API, so it is
// encoded by hand rather than by reflection: the keys and omissions are
// those of the json tags in document.go (encoding/json's reading of them,
// omitzero included), and TestEncodeWritesEveryField fails when a field is
// added here without being added below. decode.go reads it back.

// scratchSize holds a typical interaction (under 1 KiB with a ceremony,
// about 2 KiB with pending passkeys): encoding one needs no allocation
// but its result.
const scratchSize = 2 << 10

// errRawSession refuses to store a ceremony whose session is not JSON: it
// would make the whole document unreadable.
var errRawSession = errors.New("interaction: ceremony session is not valid JSON")

// marshal encodes ix into a slice of its own, the one allocation an
// encode costs. It does not check the bounds: encode does.
func marshal(ix *Interaction) ([]byte, error) {
	var scratch [scratchSize]byte // stays on the stack: only its copy escapes
	data, err := appendInteraction(scratch[:0], ix)
	if err != nil {
		return nil, err
	}
	return bytes.Clone(data), nil
}

// member writers: each appends `,"key":value`. An object is written by
// appending its members after its start, then turning the first comma
// into '{' (openObject and closeObject), so that omitted members need no
// bookkeeping.

func openObject(dst []byte) ([]byte, int) { return dst, len(dst) }

func closeObject(dst []byte, start int) []byte {
	if len(dst) == start {
		return append(dst, "{}"...)
	}
	dst[start] = '{'
	return append(dst, '}')
}

func appendInteraction(dst []byte, ix *Interaction) ([]byte, error) {
	var err error
	dst, start := openObject(dst)
	dst = jsonappend.String(append(dst, `,"tenantId":`...), ix.TenantID)
	dst = jsonappend.String(append(dst, `,"event":`...), string(ix.Event))
	if dst, err = jsonappend.Time(append(dst, `,"createdAt":`...), ix.CreatedAt); err != nil {
		return nil, err
	}
	if ix.UserID != "" {
		dst = jsonappend.String(append(dst, `,"userId":`...), ix.UserID)
	}
	if len(ix.UserFactors) > 0 {
		dst = jsonappend.Strings(append(dst, `,"userFactors":`...), ix.UserFactors)
	}
	if len(ix.Verified) > 0 {
		dst = append(dst, `,"verified":[`...)
		for i := range ix.Verified {
			dst = appendVerified(comma(dst, i), &ix.Verified[i])
		}
		dst = append(dst, ']')
	}
	dst = appendProfile(append(dst, `,"profile":`...), &ix.Profile)
	if ix.MFAVerified {
		dst = append(dst, `,"mfaVerified":true`...)
	}
	if ix.Subject != nil {
		dst = appendSubject(append(dst, `,"subject":`...), ix.Subject)
	}
	if ix.Ceremony != nil {
		if dst, err = appendCeremony(append(dst, `,"ceremony":`...), ix.Ceremony); err != nil {
			return nil, err
		}
	}
	if len(ix.PendingCredentials) > 0 {
		dst = append(dst, `,"pendingCredentials":[`...)
		for i := range ix.PendingCredentials {
			if dst, err = appendCredential(comma(dst, i), &ix.PendingCredentials[i]); err != nil {
				return nil, err
			}
		}
		dst = append(dst, ']')
	}
	if ix.Code != nil {
		if dst, err = appendCode(append(dst, `,"code":`...), ix.Code); err != nil {
			return nil, err
		}
	}
	if ix.TOTPSecret != "" {
		dst = jsonappend.String(append(dst, `,"totpSecret":`...), ix.TOTPSecret)
	}
	if ix.PendingTOTP != nil {
		if dst, err = appendTOTP(append(dst, `,"pendingTotp":`...), ix.PendingTOTP); err != nil {
			return nil, err
		}
	}
	if len(ix.BackupHashes) > 0 {
		dst = jsonappend.Strings(append(dst, `,"backupHashes":`...), ix.BackupHashes)
	}
	if len(ix.PendingBackupCodes) > 0 {
		dst = jsonappend.Strings(append(dst, `,"pendingBackupCodes":`...), ix.PendingBackupCodes)
	}
	if ix.MFASkipped {
		dst = append(dst, `,"mfaSkipped":true`...)
	}
	if ix.Submitting {
		dst = append(dst, `,"submitting":true`...)
	}
	if ix.AuthRequestID != "" {
		dst = jsonappend.String(append(dst, `,"authRequest":`...), ix.AuthRequestID)
	}
	return closeObject(dst, start), nil
}

// comma separates the elements of an array: before each but the first.
func comma(dst []byte, i int) []byte {
	if i > 0 {
		return append(dst, ',')
	}
	return dst
}

func appendVerified(dst []byte, v *Verified) []byte {
	dst = jsonappend.String(append(dst, `{"method":`...), v.Method)
	if v.Kind != "" {
		dst = jsonappend.String(append(dst, `,"kind":`...), v.Kind)
	}
	if v.Value != "" {
		dst = jsonappend.String(append(dst, `,"value":`...), v.Value)
	}
	return append(dst, '}')
}

func appendProfile(dst []byte, p *Profile) []byte {
	dst, start := openObject(dst)
	if p.Username != "" {
		dst = jsonappend.String(append(dst, `,"username":`...), p.Username)
	}
	if p.Email != "" {
		dst = jsonappend.String(append(dst, `,"email":`...), p.Email)
	}
	if p.Phone != "" {
		dst = jsonappend.String(append(dst, `,"phone":`...), p.Phone)
	}
	if p.PasswordHash != "" {
		dst = jsonappend.String(append(dst, `,"passwordHash":`...), p.PasswordHash)
	}
	return closeObject(dst, start)
}

func appendSubject(dst []byte, sub *Subject) []byte {
	dst = jsonappend.Bytes(append(dst, `{"handle":`...), sub.Handle)
	if len(sub.Credentials) > 0 {
		dst = append(dst, `,"credentials":[`...)
		for i := range sub.Credentials {
			c := &sub.Credentials[i]
			dst = jsonappend.Bytes(append(comma(dst, i), `{"id":`...), c.ID)
			if len(c.Transports) > 0 {
				dst = jsonappend.Strings(append(dst, `,"transports":`...), c.Transports)
			}
			dst = append(dst, '}')
		}
		dst = append(dst, ']')
	}
	return append(dst, '}')
}

// appendCeremony copies the session, go-webauthn's own JSON, as it is,
// once it is known to be JSON.
func appendCeremony(dst []byte, c *Ceremony) ([]byte, error) {
	dst = jsonappend.String(append(dst, `{"kind":`...), c.Kind)
	dst = append(dst, `,"session":`...)
	switch {
	case c.Session == nil:
		dst = append(dst, "null"...)
	case jsonscan.Valid(c.Session):
		dst = append(dst, c.Session...)
	default:
		return nil, errRawSession
	}
	if c.Conditional {
		dst = append(dst, `,"conditional":true`...)
	}
	return append(dst, '}'), nil
}

func appendCredential(dst []byte, c *account.Credential) ([]byte, error) {
	dst, start := openObject(dst)
	if c.FactorID != "" {
		dst = jsonappend.String(append(dst, `,"factorId":`...), c.FactorID)
	}
	dst = jsonappend.Bytes(append(dst, `,"id":`...), c.ID)
	dst = jsonappend.Bytes(append(dst, `,"publicKey":`...), c.PublicKey)
	dst = jsonappend.Int(append(dst, `,"alg":`...), c.Algorithm)
	dst = jsonappend.Uint(append(dst, `,"signCount":`...), uint64(c.SignCount))
	if len(c.Transports) > 0 {
		dst = jsonappend.Strings(append(dst, `,"transports":`...), c.Transports)
	}
	if len(c.AAGUID) > 0 {
		dst = jsonappend.Bytes(append(dst, `,"aaguid":`...), c.AAGUID)
	}
	if c.Attachment != "" {
		dst = jsonappend.String(append(dst, `,"attachment":`...), c.Attachment)
	}
	if c.AttestationType != "" {
		dst = jsonappend.String(append(dst, `,"attestationType":`...), c.AttestationType)
	}
	dst = jsonappend.Bool(append(dst, `,"backupEligible":`...), c.BackupEligible)
	dst = jsonappend.Bool(append(dst, `,"backupState":`...), c.BackupState)
	dst = jsonappend.Bool(append(dst, `,"userVerified":`...), c.UserVerified)
	dst = jsonappend.Bool(append(dst, `,"discoverable":`...), c.Discoverable)
	dst = jsonappend.String(append(dst, `,"rpId":`...), c.RPID)
	dst = jsonappend.String(append(dst, `,"name":`...), c.Name)
	var err error
	if dst, err = jsonappend.Time(append(dst, `,"createdAt":`...), c.CreatedAt); err != nil {
		return nil, err
	}
	if !c.LastUsedAt.IsZero() {
		if dst, err = jsonappend.Time(append(dst, `,"lastUsedAt":`...), c.LastUsedAt); err != nil {
			return nil, err
		}
	}
	return closeObject(dst, start), nil
}

func appendCode(dst []byte, c *verification.Code) ([]byte, error) {
	dst = jsonappend.String(append(dst, `{"channel":`...), c.Channel)
	dst = jsonappend.String(append(dst, `,"recipient":`...), c.Recipient)
	dst = jsonappend.String(append(dst, `,"purpose":`...), c.Purpose)
	dst = jsonappend.String(append(dst, `,"hash":`...), c.Hash)
	dst, err := jsonappend.Time(append(dst, `,"expiresAt":`...), c.ExpiresAt)
	if err != nil {
		return nil, err
	}
	dst = jsonappend.Int(append(dst, `,"tries":`...), int64(c.Tries))
	return append(dst, '}'), nil
}

func appendTOTP(dst []byte, t *account.TOTP) ([]byte, error) {
	dst = jsonappend.String(append(dst, `{"sealed":`...), t.Sealed)
	dst = jsonappend.Int(append(dst, `,"lastStep":`...), t.LastStep)
	dst, err := jsonappend.Time(append(dst, `,"createdAt":`...), t.CreatedAt)
	if err != nil {
		return nil, err
	}
	return append(dst, '}'), nil
}

// appendState encodes the public state (GET /api/interaction), which is
// read far more often than it changes shape.
func appendState(dst []byte, st *State) []byte {
	dst = jsonappend.String(append(dst, `{"event":`...), string(st.Event))
	dst = jsonappend.Bool(append(dst, `,"identified":`...), st.Identified)
	dst = append(dst, `,"verifiedIdentifiers":`...)
	if st.VerifiedIdentifiers == nil {
		dst = append(dst, "null"...)
	} else {
		dst = append(dst, '[')
		for i, v := range st.VerifiedIdentifiers {
			dst = jsonappend.String(append(comma(dst, i), `{"type":`...), v.Type)
			dst = jsonappend.String(append(dst, `,"value":`...), v.Value)
			dst = append(dst, '}')
		}
		dst = append(dst, ']')
	}
	dst, start := openObject(append(dst, `,"profile":`...))
	if st.Profile.Username != "" {
		dst = jsonappend.String(append(dst, `,"username":`...), st.Profile.Username)
	}
	if st.Profile.Email != "" {
		dst = jsonappend.String(append(dst, `,"email":`...), st.Profile.Email)
	}
	if st.Profile.Phone != "" {
		dst = jsonappend.String(append(dst, `,"phone":`...), st.Profile.Phone)
	}
	dst = jsonappend.Bool(append(dst, `,"passwordSet":`...), st.Profile.PasswordSet)
	dst = closeObject(dst, start)
	dst = jsonappend.Strings(append(dst, `,"missing":`...), st.Missing)
	return append(dst, '}')
}
