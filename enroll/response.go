package enroll

// CredentialHeader is what every WebAuthn Level 3 credential JSON (§5.1,
// PublicKeyCredential.toJSON()) starts with; Logto's type "WebAuthn" is
// accepted. Only the shape is checked here; go-webauthn verifies the content.
type CredentialHeader struct {
	Type                    string `json:"type" validate:"required,oneof=WebAuthn public-key"`
	ID                      string `json:"id" validate:"required,max=1366,base64rawurl"`
	RawID                   string `json:"rawId" validate:"required,max=1366,base64rawurl"`
	AuthenticatorAttachment string `json:"authenticatorAttachment" validate:"omitempty,oneof=platform cross-platform"`
}

// RegistrationResponse is a registration response (RegistrationResponseJSON,
// §5.1.8). The members go-webauthn does not need (authenticatorData,
// publicKey, publicKeyAlgorithm: it reads them from the attestation) are
// accepted so that a browser's toJSON() passes the strict decoding as is.
type RegistrationResponse struct {
	CredentialHeader
	Response struct {
		ClientDataJSON     string   `json:"clientDataJSON" validate:"required,max=8192"`
		AttestationObject  string   `json:"attestationObject" validate:"required,max=32768"`
		Transports         []string `json:"transports" validate:"max=8,dive,oneof=usb nfc ble internal cable hybrid smart-card"`
		AuthenticatorData  string   `json:"authenticatorData" validate:"max=32768"`
		PublicKey          string   `json:"publicKey" validate:"max=8192"`
		PublicKeyAlgorithm int64    `json:"publicKeyAlgorithm"`
	} `json:"response"`
	ClientExtensionResults struct {
		CredProps *struct {
			RK bool `json:"rk"`
		} `json:"credProps"`
		HMACCreateSecret bool `json:"hmacCreateSecret"`
	} `json:"clientExtensionResults"`
}
