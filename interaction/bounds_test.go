package interaction

import (
	"bytes"
	"strconv"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/foyer-auth/foyer/account"
)

func TestEncodeKeepsInteractionsBounded(t *testing.T) {
	proofs := func(n int) []Verified {
		vs := make([]Verified, n)
		for i := range vs {
			vs[i] = Verified{Method: "emailCode", Kind: "email", Value: "u" + strconv.Itoa(i) + "@example.com"}
		}
		return vs
	}
	pw := Verified{Method: "password", Kind: "username", Value: "ann"}
	tests := []struct {
		name     string
		ix       Interaction
		tooLarge bool
		verified []Verified // what is stored, when not too large
	}{
		{name: "empty", ix: Interaction{}},
		{name: "a proof repeated is kept once, in order",
			ix:       Interaction{Verified: []Verified{pw, {Method: "totp"}, pw, pw, {Method: "totp"}}},
			verified: []Verified{pw, {Method: "totp"}}},
		{name: "16 proofs", ix: Interaction{Verified: proofs(16)}, verified: proofs(16)},
		{name: "17 proofs", ix: Interaction{Verified: proofs(17)}, tooLarge: true},
		{name: "5 pending passkeys", ix: Interaction{PendingCredentials: make([]account.Credential, 5)}},
		{name: "6 pending passkeys", ix: Interaction{PendingCredentials: make([]account.Credential, 6)}, tooLarge: true},
		{name: "17 backup hashes", ix: Interaction{BackupHashes: make([]string, 17)}, tooLarge: true},
		{name: "17 pending backup codes", ix: Interaction{PendingBackupCodes: make([]string, 17)}, tooLarge: true},
		{name: "over 32 KiB", ix: Interaction{Subject: &Subject{Credentials: []CredentialRef{{ID: bytes.Repeat([]byte{7}, 32<<10)}}}}, tooLarge: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			data, err := encode(&tt.ix)
			if tt.tooLarge {
				require.ErrorIs(t, err, ErrTooLarge)
				return
			}
			require.NoError(t, err)
			require.LessOrEqual(t, len(data), maxDocument)
			require.Equal(t, tt.verified, tt.ix.Verified)
		})
	}
}
