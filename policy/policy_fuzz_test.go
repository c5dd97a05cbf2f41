package policy

import "testing"

// FuzzParse: whatever an admin saves, parsing answers a policy set or an
// error (with a position), never a panic.
func FuzzParse(f *testing.F) {
	f.Add(`forbid (principal, action == Action::"RemoveFactor", resource) when { resource.factorCount <= 1 };`)
	f.Add(`@notice("x") permit (principal, action, resource);`)
	f.Add(`forbid (`)
	f.Fuzz(func(t *testing.T, text string) {
		ps, err := Parse(text)
		if err == nil && ps == nil {
			t.Fatal("no policy set and no error")
		}
	})
}
