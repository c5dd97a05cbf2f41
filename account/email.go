package account

import (
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/net/idna"
	"golang.org/x/text/unicode/norm"
)

// Reasons an email address is refused, as EmailError.Reason.
const (
	EmailHiddenCharacter = "hidden_character"  // a control, format (bidi, zero-width), private-use or space character
	EmailAtSign          = "at_sign"           // not exactly one "@"
	EmailQuotedLocal     = "quoted_local_part" // "john doe"@example.com
	EmailLocalNotASCII   = "local_part_ascii"  // a local part with letters outside ASCII
	EmailLocalPart       = "local_part"        // not a dot-atom of at most 64 characters
	EmailDomain          = "domain"            // not a valid (internationalised) domain name with two labels or more
	EmailMixedScript     = "mixed_script"      // a domain label mixing scripts (Latin with Cyrillic, ...)
	EmailLength          = "length"            // over 254 characters
)

// EmailError says why NormalizeEmail refused an address.
type EmailError struct{ Reason string }

func (e *EmailError) Error() string { return "account: invalid email address: " + e.Reason }

// emailDomains maps and checks the domain of an address by UTS #46 for
// lookup (case and width folded, NFC, the Bidi and ContextJ rules of RFC
// 5893 and RFC 5892, STD3 characters, DNS lengths), without the
// transitional mappings (ß stays ß). A Profile is immutable and safe for
// concurrent use.
var emailDomains = idna.New(idna.MapForLookup(), idna.BidiRule(), idna.VerifyDNSLength(true), idna.Transitional(false))

// NormalizeEmail is the one canonical form of an email address, under which
// it is indexed, looked up and sent to, or an *EmailError saying why it is
// refused. Two addresses that people cannot tell apart must either have the
// same form or not both be accepted. The rule:
//
//  1. Spaces and tabs around the address are dropped. Anywhere else, a
//     control, format (U+202E and the other bidi controls, zero-width
//     characters, soft hyphen), private-use or space character is refused:
//     they are invisible or reorder what people see.
//  2. The address is folded to NFKC, so that fullwidth or other compatibility
//     forms (ａｌｉｃｅ＠ｅｘａｍｐｌｅ．ｃｏｍ) become the plain ones.
//  3. The local part must then be an ASCII dot-atom (RFC 5322 §3.4.1) of at
//     most 64 characters, lower-cased. Quoted local parts and non-ASCII
//     local parts are refused: mailboxes that need them are rare, and they
//     are where look-alikes hide (a Cyrillic "а" in "alice") with no
//     standard way to fold them away. Many providers treat local parts
//     case-insensitively, so two addresses differing only in case are one.
//  4. The domain is mapped by UTS #46 (see emailDomains) and kept as its
//     ASCII (A-label, "xn--") form, so "Bücher.example" and
//     "xn--bcher-kva.example" are one address. It needs two labels or more
//     and a top-level label that is not all digits.
//  5. No label of the domain may mix scripts, except Latin with the scripts
//     of Chinese, Japanese and Korean (UTS #39, "highly restrictive").
//  6. The whole address is at most 254 characters.
func NormalizeEmail(s string) (string, error) {
	s = strings.Trim(s, " \t")
	for _, r := range s {
		if hiddenRune(r) {
			return "", &EmailError{Reason: EmailHiddenCharacter}
		}
	}
	s = norm.NFKC.String(s)
	local, domain, ok := strings.Cut(s, "@")
	if strings.HasPrefix(local, `"`) {
		return "", &EmailError{Reason: EmailQuotedLocal}
	}
	if !ok || strings.Contains(domain, "@") {
		return "", &EmailError{Reason: EmailAtSign}
	}
	for i := 0; i < len(local); i++ {
		if local[i] >= utf8.RuneSelf {
			return "", &EmailError{Reason: EmailLocalNotASCII}
		}
	}
	if !dotAtom(local) || len(local) > 64 {
		return "", &EmailError{Reason: EmailLocalPart}
	}
	ascii, err := emailDomains.ToASCII(domain)
	if err != nil || !strings.Contains(ascii, ".") || allDigits(ascii[strings.LastIndexByte(ascii, '.')+1:]) {
		return "", &EmailError{Reason: EmailDomain}
	}
	if strings.Contains(ascii, "xn--") {
		uni, err := emailDomains.ToUnicode(ascii)
		if err != nil {
			return "", &EmailError{Reason: EmailDomain}
		}
		for _, label := range strings.Split(uni, ".") {
			if mixedScripts(label) {
				return "", &EmailError{Reason: EmailMixedScript}
			}
		}
	}
	out := strings.ToLower(local) + "@" + ascii
	if len(out) > 254 {
		return "", &EmailError{Reason: EmailLength}
	}
	return out, nil
}

// hiddenRune reports whether r is invisible or changes how the text around
// it is shown: controls (Cc), format characters (Cf: bidi controls, zero
// width joiners, soft hyphen, BOM), private use (Co), surrogates (Cs),
// separators (Z*) and invalid UTF-8.
func hiddenRune(r rune) bool {
	return r == utf8.RuneError || unicode.In(r, unicode.Cc, unicode.Cf, unicode.Co, unicode.Cs, unicode.Z)
}

// dotAtom reports whether s is an RFC 5322 dot-atom: atext characters in
// runs joined by single dots.
func dotAtom(s string) bool {
	if s == "" || s[0] == '.' || s[len(s)-1] == '.' || strings.Contains(s, "..") {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9', c == '.':
		case strings.IndexByte("!#$%&'*+-/=?^_`{|}~", c) >= 0:
		default:
			return false
		}
	}
	return true
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

// mixedScripts reports whether the letters of label come from more than one
// script, Common and Inherited aside, other than the combinations UTS #39
// allows at its "highly restrictive" level: Latin + Han + Hiragana +
// Katakana, Latin + Han + Bopomofo, Latin + Han + Hangul.
func mixedScripts(label string) bool {
	seen := map[string]bool{}
	for _, r := range label {
		if r < utf8.RuneSelf {
			if 'a' <= r && r <= 'z' {
				seen["Latin"] = true
			}
			continue
		}
		if s := script(r); s != "" && s != "Common" && s != "Inherited" {
			seen[s] = true
		}
	}
	if len(seen) <= 1 {
		return false
	}
	for _, allowed := range [][]string{
		{"Latin", "Han", "Hiragana", "Katakana"},
		{"Latin", "Han", "Bopomofo"},
		{"Latin", "Han", "Hangul"},
	} {
		within := true
		for s := range seen {
			if !slices.Contains(allowed, s) {
				within = false
				break
			}
		}
		if within {
			return false
		}
	}
	return true
}

func script(r rune) string {
	for name, table := range unicode.Scripts {
		if unicode.Is(table, r) {
			return name
		}
	}
	return ""
}
