package account_test

import (
	"errors"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/foyer-auth/foyer/account"
	"github.com/stretchr/testify/require"
)

func TestNormalizeEmail(t *testing.T) {
	tests := []struct {
		in, want string // want "" with reason set: refused
		reason   string
	}{
		{"alice@example.com", "alice@example.com", ""},
		{"  Alice@Example.COM\t", "alice@example.com", ""},
		{"a.b+tag@sub.example.co.uk", "a.b+tag@sub.example.co.uk", ""},
		{"o'hara!#$%&*/=?^_`{|}~-@example.com", "o'hara!#$%&*/=?^_`{|}~-@example.com", ""},
		// Fullwidth forms fold (NFKC) to the address they look like.
		{"ａｌｉｃｅ＠ｅｘａｍｐｌｅ．ｃｏｍ", "alice@example.com", ""},
		// UTS #46: one canonical (A-label) form for a domain however written.
		{"anna@Bücher.example", "anna@xn--bcher-kva.example", ""},
		{"anna@xn--bcher-kva.example", "anna@xn--bcher-kva.example", ""},
		{"anna@bu\u0308cher.example", "anna@xn--bcher-kva.example", ""}, // NFD
		{"anna@straße.example", "anna@xn--strae-oqa.example", ""},       // not transitional: ß is not ss
		{"ken@例え.テスト", "ken@xn--r8jz45g.xn--zckzah", ""},
		{"ken@mail.例え.jp", "ken@mail.xn--r8jz45g.jp", ""},
		{"ken@東京tokyo.example", "ken@xn--tokyo-w91hq39l.example", ""}, // Latin with Han is allowed

		{"alice@example.com\u202e", "", account.EmailHiddenCharacter},
		{"ali\u202ece@example.com", "", account.EmailHiddenCharacter},
		{"alice@exam\u200bple.com", "", account.EmailHiddenCharacter},
		{"alice@exam\u00adple.com", "", account.EmailHiddenCharacter}, // soft hyphen: UTS #46 would drop it silently
		{"al\u200dice@example.com", "", account.EmailHiddenCharacter},
		{"alice@example.com\x00", "", account.EmailHiddenCharacter},
		{"alice @example.com", "", account.EmailHiddenCharacter},
		{"alice@example.com\u00a0", "", account.EmailHiddenCharacter},
		{"alice\ue000@example.com", "", account.EmailHiddenCharacter},
		{"alice\xff@example.com", "", account.EmailHiddenCharacter},
		{"\ufeffalice@example.com", "", account.EmailHiddenCharacter},
		{`"alice"@example.com`, "", account.EmailQuotedLocal},
		{`"a@b"@example.com`, "", account.EmailQuotedLocal},
		{"аlice@example.com", "", account.EmailLocalNotASCII}, // Cyrillic а
		{"αlice@example.com", "", account.EmailLocalNotASCII}, // Greek α
		{"jürgen@example.com", "", account.EmailLocalNotASCII},
		{"alice", "", account.EmailAtSign},
		{"a@b@example.com", "", account.EmailAtSign},
		{"@example.com", "", account.EmailLocalPart},
		{".alice@example.com", "", account.EmailLocalPart},
		{"al..ice@example.com", "", account.EmailLocalPart},
		{"alice.@example.com", "", account.EmailLocalPart},
		{"al(ice)@example.com", "", account.EmailLocalPart},
		{strings.Repeat("a", 65) + "@example.com", "", account.EmailLocalPart},
		{"alice@", "", account.EmailDomain},
		{"alice@localhost", "", account.EmailDomain},
		{"alice@1.2.3.4", "", account.EmailDomain},
		{"alice@[1.2.3.4]", "", account.EmailDomain},
		{"alice@exa_mple.com", "", account.EmailDomain},
		{"alice@-example.com", "", account.EmailDomain},
		{"alice@example..com", "", account.EmailDomain},
		{"alice@" + strings.Repeat("a", 64) + ".com", "", account.EmailDomain},
		{"alice@xn--zz.example", "", account.EmailDomain},
		{"alice@exаmple.com", "", account.EmailMixedScript},    // Cyrillic а in a Latin label
		{"alice@pаypal.example", "", account.EmailMixedScript}, // the same, by another name
		{"alice@xn--pypal-4ve.example", "", account.EmailMixedScript},
		{"alice@ρaypal.example", "", account.EmailMixedScript}, // Greek ρ
		{strings.Repeat("a", 64) + "@" + strings.Repeat(strings.Repeat("b", 60)+".", 4) + "com", "", account.EmailLength},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := account.NormalizeEmail(tt.in)
			if tt.reason == "" {
				require.NoError(t, err)
				require.Equal(t, tt.want, got)
				again, err := account.NormalizeEmail(got)
				require.NoError(t, err)
				require.Equal(t, got, again, "idempotent")
				return
			}
			var ee *account.EmailError
			require.ErrorAs(t, err, &ee)
			require.Equal(t, tt.reason, ee.Reason)
			require.Empty(t, got)
		})
	}
}

// FuzzNormalizeEmail: for any input NormalizeEmail either refuses with an
// *EmailError or returns a lower-case ASCII address with one "@", at most
// 254 bytes, that it maps to itself.
func FuzzNormalizeEmail(f *testing.F) {
	for _, s := range []string{"alice@example.com", "Ａlice@Ｅxample.com", "a@Bücher.example", "a@xn--bcher-kva.example",
		"alice@example.com\u202e", `"q"@x.example`, "аlice@example.com", "a@exаmple.com", "a@例え.テスト", "a@\u0660.example",
		"a@b.c\u0301", "a@xn--.example", "a@\u3002example.com", "a@ex\u2024ample.com"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, err := account.NormalizeEmail(s)
		if err != nil {
			var ee *account.EmailError
			if !errors.As(err, &ee) {
				t.Fatalf("NormalizeEmail(%q): got %T %v, want *EmailError", s, err, err)
			}
			return
		}
		if len(got) > 254 || strings.Count(got, "@") != 1 || strings.ToLower(got) != got {
			t.Fatalf("NormalizeEmail(%q) = %q: not a canonical address", s, got)
		}
		for i := 0; i < len(got); i++ {
			if got[i] >= utf8.RuneSelf || got[i] <= ' ' {
				t.Fatalf("NormalizeEmail(%q) = %q: byte %#x", s, got, got[i])
			}
		}
		again, err := account.NormalizeEmail(got)
		if err != nil || again != got {
			t.Fatalf("NormalizeEmail(%q) = %q, but NormalizeEmail(%q) = %q, %v", s, got, got, again, err)
		}
	})
}
