package interaction

import (
	"encoding/json"
	"maps"
	"math"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	goccy "github.com/goccy/go-json"
	"github.com/stretchr/testify/require"

	"github.com/foyer-auth/foyer/account"
	"github.com/foyer-auth/foyer/session"
	"github.com/foyer-auth/foyer/verification"
)

// awkwardStrings are strings that are easy to escape wrongly. (Invalid
// UTF-8 is not among them: it is written as U+FFFD, as encoding/json
// writes it, so it cannot come back unchanged; the jsonappend fuzz tests
// cover it.)
var awkwardStrings = []string{
	`quote " backslash \ slash /`,
	"controls \x00\x01\x1f\x7f \b\f\n\r\t",
	"<script>alert('&amp;')</script>",
	"line\u2028paragraph\u2029",
	"é 中文 😀 \ufffd",
	"plain",
}

// filler sets every field of a value, recursively, to something non-zero
// and awkward, so that a field an encoder or decoder forgets shows.
type filler struct {
	t *testing.T
	n int
}

func (f *filler) fill(v reflect.Value) {
	f.n++
	switch v.Type() {
	case reflect.TypeFor[time.Time]():
		// Nanoseconds, and a second that changes with each field.
		v.Set(reflect.ValueOf(time.Date(2026, 12, 1, 10, 27, f.n, 735408570*(f.n%2), time.UTC)))
		return
	case reflect.TypeFor[json.RawMessage]():
		v.Set(reflect.ValueOf(json.RawMessage(`{"challenge":"x\"y\\u2028","n":[-1.5e3,true,null,{}],"s":"` + strconv.Itoa(f.n) + `"}`)))
		return
	}
	switch v.Kind() {
	case reflect.String:
		v.SetString(awkwardStrings[f.n%len(awkwardStrings)])
	case reflect.Bool:
		v.SetBool(true)
	case reflect.Int, reflect.Int64:
		v.SetInt(math.MinInt64 >> (64 - v.Type().Bits()))
	case reflect.Uint32:
		v.SetUint(math.MaxUint32)
	case reflect.Slice:
		if v.Type().Elem().Kind() == reflect.Uint8 {
			b := make([]byte, 1+f.n%7) // every length of base64 padding
			for i := range b {
				b[i] = byte(0xff - i*37)
			}
			v.SetBytes(b)
			return
		}
		v.Set(reflect.MakeSlice(v.Type(), 2, 2))
		for i := range 2 {
			f.fill(v.Index(i))
		}
	case reflect.Pointer:
		v.Set(reflect.New(v.Type().Elem()))
		f.fill(v.Elem())
	case reflect.Struct:
		for i := range v.NumField() {
			if v.Type().Field(i).IsExported() {
				f.fill(v.Field(i))
			}
		}
	default:
		f.t.Fatalf("filler: no awkward value for %s; teach it one, and the hand-written encoder the type", v.Type())
	}
}

func filledInteraction(t *testing.T) *Interaction {
	t.Helper()
	var ix Interaction
	(&filler{t: t}).fill(reflect.ValueOf(&ix).Elem())
	return &ix
}

func mustMarshal(t *testing.T, ix *Interaction) []byte {
	t.Helper()
	data, err := marshal(ix)
	require.NoError(t, err)
	return data
}

// TestEncodeWritesEveryField holds the hand-written encoder to
// encoding/json's reading of the json tags: with every field set, the
// bytes are the same (the raw session is compact and has no HTML, so
// encoding/json copies it unchanged too). A field added to Interaction or
// to a type it holds, and not to encode.go, fails here.
func TestEncodeWritesEveryField(t *testing.T) {
	ix := filledInteraction(t)
	want, err := json.Marshal(ix)
	require.NoError(t, err)
	got := mustMarshal(t, ix)
	require.Equal(t, keys(t, want), keys(t, got), "member names")
	require.Equal(t, string(want), string(got))
}

// keys lists the member names of a JSON text as paths, for a failure
// message that names the member missing.
func keys(t *testing.T, data []byte) []string {
	t.Helper()
	var v any
	require.NoError(t, json.Unmarshal(data, &v))
	set := map[string]bool{}
	var walk func(prefix string, v any)
	walk = func(prefix string, v any) {
		switch v := v.(type) {
		case map[string]any:
			for k, e := range v {
				set[prefix+k] = true
				if prefix+k != "ceremony.session" {
					walk(prefix+k+".", e)
				}
			}
		case []any:
			for _, e := range v {
				walk(prefix, e)
			}
		}
	}
	walk("", v)
	return slices.Sorted(maps.Keys(set))
}

// TestEncodeOmitsAsEncodingJSON checks the omissions (omitempty,
// omitzero) and the nulls of nil slices against encoding/json.
func TestEncodeOmitsAsEncodingJSON(t *testing.T) {
	tests := []struct {
		name string
		ix   Interaction
	}{
		{"zero", Interaction{}},
		{"empty slices", Interaction{UserFactors: []string{}, Verified: []Verified{}, BackupHashes: []string{}}},
		{"nil handle and session", Interaction{Subject: &Subject{}, Ceremony: &Ceremony{}}},
		{"empty handle", Interaction{Subject: &Subject{Handle: []byte{}, Credentials: []CredentialRef{{}}}}},
		{"zero credential", Interaction{PendingCredentials: make([]account.Credential, 1)}},
		{"zero code and totp", Interaction{Code: &verification.Code{}, PendingTOTP: &account.TOTP{}}},
		{"verified without kind", Interaction{Verified: []Verified{{Method: "totp"}}}},
		{"typical", *typicalInteraction(t)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			want, err := json.Marshal(&tt.ix)
			require.NoError(t, err)
			require.Equal(t, string(want), string(mustMarshal(t, &tt.ix)))
		})
	}
}

// TestDocumentRoundTrips: what marshal writes, unmarshal reads back
// unchanged; and documents written by goccy/go-json and encoding/json
// (those already in Redis) read as those decoders read them.
func TestDocumentRoundTrips(t *testing.T) {
	ix := filledInteraction(t)
	data := mustMarshal(t, ix)
	got, err := unmarshal(data)
	require.NoError(t, err)
	require.Equal(t, ix, got)

	for name, enc := range map[string]func(any) ([]byte, error){"goccy": goccy.Marshal, "encoding/json": json.Marshal} {
		t.Run(name, func(t *testing.T) {
			old, err := enc(ix)
			require.NoError(t, err)
			got, err := unmarshal(old)
			require.NoError(t, err)
			require.Equal(t, ix, got)
		})
	}
}

// TestTypicalDocumentUnchanged: an interaction goccy/go-json wrote is
// written again byte for byte, so Redis holds what it held before.
func TestTypicalDocumentUnchanged(t *testing.T) {
	require.Equal(t, typicalDoc, string(mustMarshal(t, typicalInteraction(t))))
}

// TestLegacyCeremonyReads: a ceremony written before sessions named their
// user by a holder reads, its session as it was (the library's own, with
// the handle, which the finish still accepts), and is written again
// without the challenge it repeated.
func TestLegacyCeremonyReads(t *testing.T) {
	ix, err := decode(typicalTenant, session.Doc{Data: []byte(legacyDoc)})
	require.NoError(t, err)
	require.Contains(t, string(ix.Ceremony.Session), `"user_id":"`)
	require.Equal(t, strings.Replace(legacyDoc, `"challenge":"7fMwXZdvE78O-BjGASRw0dot_bJV5-dmqh-cxoAPspY","session"`, `"session"`, 1),
		string(mustMarshal(t, ix)))
}

func TestRawSessionCopiedVerbatim(t *testing.T) {
	raw := json.RawMessage("{\"a\" : [1, 2],\n \"b\": \"<&>\"}")
	ix := &Interaction{Ceremony: &Ceremony{Kind: "registration", Session: raw}}
	data := mustMarshal(t, ix)
	require.Contains(t, string(data), `"session":`+string(raw)+`}`)
	got, err := unmarshal(data)
	require.NoError(t, err)
	require.Equal(t, raw, got.Ceremony.Session)

	ix.Ceremony.Session = json.RawMessage(`{"a":`)
	_, err = marshal(ix)
	require.ErrorIs(t, err, errRawSession)
}

func TestEncodeRefusesTimesJSONCannotHold(t *testing.T) {
	_, err := marshal(&Interaction{CreatedAt: time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC)})
	require.Error(t, err)
}

func TestDecodeRefusesCorruptDocuments(t *testing.T) {
	for _, doc := range []string{``, `null`, `[]`, `{"tenantId":1}`, `{"createdAt":"yesterday"}`,
		`{"subject":{"handle":"not base64!"}}`, `{"code":{"tries":1.5}}`, `{"ceremony":{"session":{]}}`, `{"event":"x"} {}`} {
		_, err := unmarshal([]byte(doc))
		require.Error(t, err, doc)
	}
}

func TestEncodeAllocatesOnlyTheResult(t *testing.T) {
	ix := typicalInteraction(t)
	allocs := testing.AllocsPerRun(100, func() {
		if _, err := encode(ix); err != nil {
			t.Fatal(err)
		}
	})
	require.Equal(t, 1.0, allocs)
}

func TestStateEncodesAsEncodingJSON(t *testing.T) {
	var filled State
	(&filler{t: t}).fill(reflect.ValueOf(&filled).Elem())
	var s Service
	for name, st := range map[string]State{
		"zero": {}, "filled": filled, "typical": s.state(typicalTenant, typicalInteraction(t)),
		"empty": {VerifiedIdentifiers: []StateIdentifier{}, Missing: []string{}},
	} {
		t.Run(name, func(t *testing.T) {
			want, err := json.Marshal(st)
			require.NoError(t, err)
			require.Equal(t, string(want), string(appendState(nil, &st)))
		})
	}
}

// FuzzDocument feeds the decoder what Redis might hold: whatever it
// accepts encodes to JSON that reads back to the same document, and that
// encoding/json reads the same way.
func FuzzDocument(f *testing.F) {
	f.Add([]byte(typicalDoc))
	f.Add([]byte(`{"tenantId":"t","event":"SignIn","createdAt":"2026-01-02T03:04:05+05:30","verified":[null,{"method":"x"}],"profile":null}`))
	f.Add([]byte(`{"pendingCredentials":[{"id":"","alg":-7,"signCount":4294967295,"lastUsedAt":"0001-01-01T00:00:00Z"}],"code":{"tries":-1}}`))
	f.Add([]byte(`{"subject":{"handle":"AA==","credentials":[{"id":null}]},"x":[{"y":"\ud800"}],"tenantId":"a\u00e9\ud83d\ude00"}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		ix, err := unmarshal(data)
		if err != nil {
			return
		}
		once, err := marshal(ix)
		require.NoError(t, err)
		require.True(t, json.Valid(once), "%s", once)
		again, err := unmarshal(once)
		require.NoError(t, err)
		require.Equal(t, string(once), string(mustMarshal(t, again)))

		var std Interaction
		require.NoError(t, json.Unmarshal(once, &std))
		require.Equal(t, string(once), string(mustMarshal(t, &std)), "as encoding/json reads it")
	})
}
