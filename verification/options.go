package verification

import (
	"github.com/go-webauthn/webauthn/protocol"

	"github.com/foyer-auth/foyer/tenant"
)

// CreationOptions is the flat PublicKeyCredentialCreationOptionsJSON
// (W3C WebAuthn L3 §5.4) Foyer answers, with every member present even
// where the library would omit a default, so that clients and openapi.yaml
// can rely on them.
type CreationOptions struct {
	RP                     RPEntity               `json:"rp"`
	User                   UserEntity             `json:"user"`
	Challenge              string                 `json:"challenge"`
	PubKeyCredParams       []CredParam            `json:"pubKeyCredParams"`
	Timeout                int                    `json:"timeout"`
	ExcludeCredentials     []Descriptor           `json:"excludeCredentials"`
	AuthenticatorSelection AuthenticatorSelection `json:"authenticatorSelection"`
	Attestation            string                 `json:"attestation"`
	Hints                  []string               `json:"hints,omitempty"`
	Extensions             CreationExtensions     `json:"extensions"`
}

// RPEntity is the relying party (§5.4.2).
type RPEntity struct {
	Name string `json:"name"`
	ID   string `json:"id"`
}

// UserEntity is the user account (§5.4.3); id is the random user handle.
type UserEntity struct {
	ID          string `json:"id"`
	Name        string `json:"name"`
	DisplayName string `json:"displayName"`
}

// CredParam is one acceptable algorithm (§5.3).
type CredParam struct {
	Type string `json:"type"`
	Alg  int64  `json:"alg"`
}

// Descriptor names a credential (§5.8.3).
type Descriptor struct {
	Type       string   `json:"type"`
	ID         string   `json:"id"`
	Transports []string `json:"transports"`
}

// AuthenticatorSelection are the authenticator criteria (§5.4.4).
type AuthenticatorSelection struct {
	AuthenticatorAttachment string `json:"authenticatorAttachment,omitempty"`
	RequireResidentKey      bool   `json:"requireResidentKey"`
	ResidentKey             string `json:"residentKey"`
	UserVerification        string `json:"userVerification"`
}

// CreationExtensions are the registration extension inputs. appid is an
// assertion-only extension and is never sent here.
type CreationExtensions struct {
	CredProps        bool `json:"credProps"`
	HMACCreateSecret bool `json:"hmacCreateSecret,omitempty"`
}

// RequestOptions is PublicKeyCredentialRequestOptionsJSON (§5.5).
type RequestOptions struct {
	Challenge        string       `json:"challenge"`
	Timeout          int          `json:"timeout"`
	RPID             string       `json:"rpId"`
	AllowCredentials []Descriptor `json:"allowCredentials"`
	UserVerification string       `json:"userVerification"`
}

func creationOptions(r *protocol.PublicKeyCredentialCreationOptions, p tenant.Passkey) CreationOptions {
	o := CreationOptions{
		RP:                 RPEntity{Name: r.RelyingParty.Name, ID: r.RelyingParty.ID},
		User:               UserEntity{Name: r.User.Name, DisplayName: r.User.DisplayName},
		Challenge:          r.Challenge.String(),
		PubKeyCredParams:   make([]CredParam, len(r.Parameters)),
		Timeout:            r.Timeout,
		ExcludeCredentials: descriptorsJSON(r.CredentialExcludeList),
		AuthenticatorSelection: AuthenticatorSelection{
			AuthenticatorAttachment: string(r.AuthenticatorSelection.AuthenticatorAttachment),
			ResidentKey:             string(r.AuthenticatorSelection.ResidentKey),
			UserVerification:        string(r.AuthenticatorSelection.UserVerification),
		},
		Attestation: string(r.Attestation),
		Extensions:  CreationExtensions{CredProps: p.Extensions.CredProps, HMACCreateSecret: p.Extensions.HMACCreateSecret},
	}
	if id, ok := r.User.ID.(protocol.URLEncodedBase64); ok {
		o.User.ID = id.String()
	}
	if rk := r.AuthenticatorSelection.RequireResidentKey; rk != nil {
		o.AuthenticatorSelection.RequireResidentKey = *rk
	}
	if o.Attestation == "" {
		o.Attestation = string(protocol.PreferNoAttestation)
	}
	for i, prm := range r.Parameters {
		o.PubKeyCredParams[i] = CredParam{Type: string(prm.Type), Alg: int64(prm.Algorithm)}
	}
	for _, h := range r.Hints {
		o.Hints = append(o.Hints, string(h))
	}
	return o
}

func requestOptions(r *protocol.PublicKeyCredentialRequestOptions) RequestOptions {
	return RequestOptions{
		Challenge: r.Challenge.String(), Timeout: r.Timeout, RPID: r.RelyingPartyID,
		AllowCredentials: descriptorsJSON(r.AllowedCredentials),
		UserVerification: string(r.UserVerification),
	}
}

func descriptorsJSON(ds []protocol.CredentialDescriptor) []Descriptor {
	out := make([]Descriptor, len(ds))
	for i, d := range ds {
		tr := make([]string, len(d.Transport))
		for j, t := range d.Transport {
			tr[j] = string(t)
		}
		out[i] = Descriptor{Type: string(d.Type), ID: d.CredentialID.String(), Transports: tr}
	}
	return out
}
