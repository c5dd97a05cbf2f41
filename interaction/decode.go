package interaction

import (
	"errors"
	"strconv"

	"github.com/foyer-auth/foyer/account"
	"github.com/foyer-auth/foyer/internal/jsonscan"
	"github.com/foyer-auth/foyer/verification"
)

// unmarshal reads a document written by marshal (or by encoding/json, as
// documents were before): every call of the API reads one. Unknown
// members are skipped, a null reads as the zero value, and member names
// match exactly, as every encoder of the document writes them.
//
// Strings and the ceremony's session share data's memory, which must not
// change: session.Doc.Data is a Redis reply no one writes.
func unmarshal(data []byte) (*Interaction, error) {
	var s jsonscan.Scanner
	s.Reset(data)
	ix := new(Interaction)
	if !s.Object() && s.Err() == nil {
		return nil, errors.New("null document")
	}
	for k, ok := s.Key(); ok; k, ok = s.Key() {
		switch k {
		case "tenantId":
			ix.TenantID = s.String()
		case "event":
			ix.Event = Event(s.String())
		case "createdAt":
			ix.CreatedAt = s.Time()
		case "userId":
			ix.UserID = s.String()
		case "userFactors":
			ix.UserFactors = s.Strings()
		case "verified":
			ix.Verified = readVerified(&s)
		case "profile":
			readProfile(&s, &ix.Profile)
		case "mfaVerified":
			ix.MFAVerified = s.Bool()
		case "subject":
			ix.Subject = readSubject(&s)
		case "ceremony":
			ix.Ceremony = readCeremony(&s)
		case "pendingCredentials":
			ix.PendingCredentials = readCredentials(&s)
		case "code":
			ix.Code = readCode(&s)
		case "totpSecret":
			ix.TOTPSecret = s.String()
		case "pendingTotp":
			ix.PendingTOTP = readTOTP(&s)
		case "backupHashes":
			ix.BackupHashes = s.Strings()
		case "pendingBackupCodes":
			ix.PendingBackupCodes = s.Strings()
		case "mfaSkipped":
			ix.MFASkipped = s.Bool()
		case "submitting":
			ix.Submitting = s.Bool()
		case "authRequest":
			ix.AuthRequestID = s.String()
		default:
			s.Skip()
		}
	}
	if err := s.Finish(); err != nil {
		return nil, err
	}
	return ix, nil
}

func readVerified(s *jsonscan.Scanner) []Verified {
	if !s.Array() {
		return nil
	}
	out := []Verified{}
	for s.More() {
		var v Verified
		if s.Object() {
			for k, ok := s.Key(); ok; k, ok = s.Key() {
				switch k {
				case "method":
					v.Method = s.String()
				case "kind":
					v.Kind = s.String()
				case "value":
					v.Value = s.String()
				default:
					s.Skip()
				}
			}
		}
		out = append(out, v)
	}
	return out
}

func readProfile(s *jsonscan.Scanner, p *Profile) {
	*p = Profile{}
	if !s.Object() {
		return
	}
	for k, ok := s.Key(); ok; k, ok = s.Key() {
		switch k {
		case "username":
			p.Username = s.String()
		case "email":
			p.Email = s.String()
		case "phone":
			p.Phone = s.String()
		case "passwordHash":
			p.PasswordHash = s.String()
		default:
			s.Skip()
		}
	}
}

func readSubject(s *jsonscan.Scanner) *Subject {
	if !s.Object() {
		return nil
	}
	sub := new(Subject)
	for k, ok := s.Key(); ok; k, ok = s.Key() {
		switch k {
		case "handle":
			sub.Handle = s.Bytes()
		case "credentials":
			sub.Credentials = readCredentialRefs(s)
		default:
			s.Skip()
		}
	}
	return sub
}

func readCredentialRefs(s *jsonscan.Scanner) []CredentialRef {
	if !s.Array() {
		return nil
	}
	out := []CredentialRef{}
	for s.More() {
		var c CredentialRef
		if s.Object() {
			for k, ok := s.Key(); ok; k, ok = s.Key() {
				switch k {
				case "id":
					c.ID = s.Bytes()
				case "transports":
					c.Transports = s.Strings()
				default:
					s.Skip()
				}
			}
		}
		out = append(out, c)
	}
	return out
}

func readCeremony(s *jsonscan.Scanner) *Ceremony {
	if !s.Object() {
		return nil
	}
	c := new(Ceremony)
	for k, ok := s.Key(); ok; k, ok = s.Key() {
		switch k {
		case "kind":
			c.Kind = s.String()
		case "session":
			c.Session = s.Raw()
		case "conditional":
			c.Conditional = s.Bool()
		default:
			s.Skip()
		}
	}
	return c
}

func readCredentials(s *jsonscan.Scanner) []account.Credential {
	if !s.Array() {
		return nil
	}
	out := []account.Credential{}
	for s.More() {
		out = append(out, account.Credential{})
		c := &out[len(out)-1]
		if !s.Object() {
			continue
		}
		for k, ok := s.Key(); ok; k, ok = s.Key() {
			switch k {
			case "factorId":
				c.FactorID = s.String()
			case "id":
				c.ID = s.Bytes()
			case "publicKey":
				c.PublicKey = s.Bytes()
			case "alg":
				c.Algorithm = s.Int(64)
			case "signCount":
				c.SignCount = uint32(s.Uint(32))
			case "transports":
				c.Transports = s.Strings()
			case "aaguid":
				c.AAGUID = s.Bytes()
			case "attachment":
				c.Attachment = s.String()
			case "attestationType":
				c.AttestationType = s.String()
			case "backupEligible":
				c.BackupEligible = s.Bool()
			case "backupState":
				c.BackupState = s.Bool()
			case "userVerified":
				c.UserVerified = s.Bool()
			case "discoverable":
				c.Discoverable = s.Bool()
			case "rpId":
				c.RPID = s.String()
			case "name":
				c.Name = s.String()
			case "createdAt":
				c.CreatedAt = s.Time()
			case "lastUsedAt":
				c.LastUsedAt = s.Time()
			default:
				s.Skip()
			}
		}
	}
	return out
}

func readCode(s *jsonscan.Scanner) *verification.Code {
	if !s.Object() {
		return nil
	}
	c := new(verification.Code)
	for k, ok := s.Key(); ok; k, ok = s.Key() {
		switch k {
		case "channel":
			c.Channel = s.String()
		case "recipient":
			c.Recipient = s.String()
		case "purpose":
			c.Purpose = s.String()
		case "hash":
			c.Hash = s.String()
		case "expiresAt":
			c.ExpiresAt = s.Time()
		case "tries":
			c.Tries = int(s.Int(strconv.IntSize))
		default:
			s.Skip()
		}
	}
	return c
}

func readTOTP(s *jsonscan.Scanner) *account.TOTP {
	if !s.Object() {
		return nil
	}
	t := new(account.TOTP)
	for k, ok := s.Key(); ok; k, ok = s.Key() {
		switch k {
		case "sealed":
			t.Sealed = s.String()
		case "lastStep":
			t.LastStep = s.Int(64)
		case "createdAt":
			t.CreatedAt = s.Time()
		default:
			s.Skip()
		}
	}
	return t
}
