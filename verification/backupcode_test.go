package verification

import (
	"context"
	"math"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// cheapParams keep argon2id fast under -race; the PHC string records
// whichever parameters were used, so the code paths are the same.
var cheapParams = Argon2Params{Memory: 64, Time: 3, Threads: 1, KeyLen: 32, SaltLen: 16}

func TestNewBackupCodes(t *testing.T) {
	codes := NewBackupCodes()
	require.Len(t, codes, 10)
	format := regexp.MustCompile(`^[0-9a-hjkmnp-tv-z]{5}-[0-9a-hjkmnp-tv-z]{5}$`)
	seen := map[string]bool{}
	for _, c := range codes {
		require.Regexp(t, format, c)
		require.False(t, seen[c], "duplicate code %q", c)
		seen[c] = true
		require.Equal(t, strings.ReplaceAll(c, "-", ""), NormalizeBackupCode(c), "codes are already canonical")
	}
	require.NotEqual(t, codes, NewBackupCodes())
}

func TestBackupAlphabetEntropy(t *testing.T) {
	require.Len(t, backupAlphabet, 32)
	seen := map[rune]bool{}
	for _, r := range backupAlphabet {
		require.False(t, seen[r], "duplicate symbol %q", r)
		seen[r] = true
		require.NotContains(t, "ilou", string(r), "look-alike %q in the alphabet", r)
	}
	bits := float64(backupCodeLen) * math.Log2(float64(len(backupAlphabet)))
	require.GreaterOrEqual(t, bits, 50.0, "got %v bits per code, want ≥ 50", bits)
}

// TestBackupCodesUseWholeAlphabet: over 1,000 codes (10,000 symbols) each of
// the 32 symbols is expected ~312 times; a missing or starved one would mean
// the entropy is below the claim. The chance of a false failure is nil.
func TestBackupCodesUseWholeAlphabet(t *testing.T) {
	counts := map[rune]int{}
	for range 100 {
		for _, c := range NewBackupCodes() {
			for _, r := range strings.ReplaceAll(c, "-", "") {
				counts[r]++
			}
		}
	}
	require.Len(t, counts, 32)
	for r, n := range counts {
		require.Greater(t, n, 200, "symbol %q: got %d, want about 312", r, n)
	}
}

func TestNormalizeBackupCode(t *testing.T) {
	tests := []struct {
		in, want string
	}{
		{"abcde-fghjk", "abcdefghjk"},
		{"ABCDE-FGHJK", "abcdefghjk"},
		{" abcde fghjk \t", "abcdefghjk"},
		{"ab-cd-ef-gh-jk", "abcdefghjk"},
		{"IiLl1-Oo000", "1111100000"},
		{"", ""},
		{"uuuuu-uuuuu", "uuuuuuuuuu"}, // not mapped: matches nothing
	}
	for _, tt := range tests {
		got := NormalizeBackupCode(tt.in)
		require.Equal(t, tt.want, got, "NormalizeBackupCode(%q)", tt.in)
		require.Equal(t, got, NormalizeBackupCode(got), "idempotent on %q", tt.in)
	}
}

func TestBackupCodeHashAndMatch(t *testing.T) {
	h := NewHasher(cheapParams, 2)
	codes := NewBackupCodes()
	hashes, err := h.HashBackupCodes(t.Context(), codes)
	require.NoError(t, err)
	require.Len(t, hashes, len(codes))

	for i, hash := range hashes {
		require.True(t, strings.HasPrefix(hash, "$argon2id$v=19$m=64,t=1,p=1$"),
			"got %q, want backup-code params with t=1", hash)
		for _, c := range codes {
			require.NotContains(t, hash, c)
			require.NotContains(t, hash, NormalizeBackupCode(c))
		}
		require.NotContains(t, hashes[i+1:], hash, "salts must differ")
	}

	tests := []struct {
		name  string
		typed string
		want  int
	}{
		{"as shown", codes[0], 0},
		{"upper case", strings.ToUpper(codes[3]), 3},
		{"no dash", strings.ReplaceAll(codes[9], "-", ""), 9},
		{"spaces and dashes", " " + strings.Join(strings.Split(codes[5], ""), " ") + " ", 5},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := h.MatchBackupCode(t.Context(), hashes, tt.typed)
			require.NoError(t, err)
			require.Equal(t, tt.want, got, "got index %d, want %d", got, tt.want)
		})
	}
}

func TestBackupCodeLookAlikes(t *testing.T) {
	h := NewHasher(cheapParams, 1)
	hashes, err := h.HashBackupCodes(t.Context(), []string{"01abc-d1e0f"})
	require.NoError(t, err)
	got, err := h.MatchBackupCode(t.Context(), hashes, "OIABC-DLEOF")
	require.NoError(t, err)
	require.Equal(t, 0, got)
}

func TestBackupCodeWrong(t *testing.T) {
	h := NewHasher(cheapParams, 1)
	codes := NewBackupCodes()
	hashes, err := h.HashBackupCodes(t.Context(), codes[:5])
	require.NoError(t, err)

	for _, typed := range []string{codes[5], "", "12345", codes[0] + "x", "uuuuu-uuuuu", codes[0][:10]} {
		i, err := h.MatchBackupCode(t.Context(), hashes, typed)
		require.ErrorIs(t, err, ErrBackupCodeInvalid, "code %q", typed)
		require.Equal(t, -1, i)
	}
	_, err = h.MatchBackupCode(t.Context(), nil, codes[0])
	require.ErrorIs(t, err, ErrBackupCodeInvalid, "no codes left")
}

func TestBackupCodeCorruptHashDoesNotLockOut(t *testing.T) {
	h := NewHasher(cheapParams, 1)
	codes := NewBackupCodes()
	hashes, err := h.HashBackupCodes(t.Context(), codes[:2])
	require.NoError(t, err)
	hashes = append([]string{"garbage"}, hashes...)

	got, err := h.MatchBackupCode(t.Context(), hashes, codes[1])
	require.NoError(t, err)
	require.Equal(t, 2, got)

	_, err = h.MatchBackupCode(t.Context(), hashes, codes[5])
	require.Error(t, err)
	require.NotErrorIs(t, err, ErrBackupCodeInvalid, "a corrupt hash is reported")
}

func TestHashBackupCodesRefusesForeignCode(t *testing.T) {
	h := NewHasher(cheapParams, 1)
	_, err := h.HashBackupCodes(t.Context(), []string{"hunter2"})
	require.Error(t, err)
}

func TestBackupCodesRespectConcurrencyLimit(t *testing.T) {
	h := NewHasher(cheapParams, 1)
	hashes, err := h.HashBackupCodes(t.Context(), NewBackupCodes())
	require.NoError(t, err)

	require.NoError(t, h.acquire(t.Context())) // every slot taken
	defer h.release()
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Millisecond)
	defer cancel()

	_, err = h.HashBackupCodes(ctx, NewBackupCodes())
	require.ErrorIs(t, err, ErrBusy)
	_, err = h.MatchBackupCode(ctx, hashes, "00000-00000")
	require.ErrorIs(t, err, ErrBusy)
}

// TestBackupCodeParams: a single pass at the Hasher's memory, whatever its
// time cost.
func TestBackupCodeParams(t *testing.T) {
	h := &Hasher{params: OWASPParams} // NewHasher would spend a hash on its dummy
	got := h.backupCodeParams()
	want := OWASPParams
	want.Time = 1
	require.Equal(t, want, got)
}

// FuzzNormalizeBackupCode: it reads user input, so it must not panic, must
// be idempotent and must leave no separator or upper-case letter.
func FuzzNormalizeBackupCode(f *testing.F) {
	for _, s := range []string{"abcde-fghjk", "ABCDE FGHJK", "İıLlOo", "\u00a0-\u2028"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n := NormalizeBackupCode(s)
		if NormalizeBackupCode(n) != n {
			t.Fatalf("NormalizeBackupCode(%q) = %q, not idempotent", s, n)
		}
		if strings.ContainsAny(n, "- \tILOilo") {
			t.Fatalf("NormalizeBackupCode(%q) = %q, has separators or look-alikes", s, n)
		}
	})
}
