package webhook

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestCheckURL(t *testing.T) {
	tests := []struct {
		url string
		ok  bool
	}{
		{"https://hooks.example.com/foyer", true},
		{"https://hooks.example.com:8443/foyer?token=x", true},
		{"http://localhost:8080/hook", true},
		{"http://127.0.0.1:8080/hook", true},
		{"http://hooks.example.com/foyer", false}, // plain http off loopback
		{"https://user:pw@hooks.example.com/", false},
		{"ftp://hooks.example.com/", false},
		{"/relative", false},
		{"https://hooks.example.com/#frag", false},
	}
	for _, tt := range tests {
		t.Run(tt.url, func(t *testing.T) {
			err := CheckURL(tt.url)
			if tt.ok {
				require.NoError(t, err)
			} else {
				require.ErrorIs(t, err, ErrURL)
			}
		})
	}
}

// TestBackoffDoubles: the wait after the n-th attempt is base·2^(n-1),
// capped.
func TestBackoffDoubles(t *testing.T) {
	d := &Dispatcher{RetryBase: time.Second, RetryMax: 10 * time.Second}
	for n, want := range map[int64]time.Duration{0: time.Second, 1: time.Second, 2: 2 * time.Second, 3: 4 * time.Second,
		4: 8 * time.Second, 5: 10 * time.Second, 40: 10 * time.Second} {
		require.Equal(t, want, d.delay(n), "after attempt %d", n)
	}
}
