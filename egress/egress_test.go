package egress

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestCheck(t *testing.T) {
	allow, err := ParseAllow("10.1.0.0/16, 192.168.7.7")
	require.NoError(t, err)
	p := New(allow)
	tests := []struct {
		ip   string
		want bool // allowed
	}{
		{"93.184.216.34", true},
		{"2606:4700::1111", true},
		{"127.0.0.1", false},
		{"127.9.9.9", false},
		{"::1", false},
		{"::ffff:127.0.0.1", false},
		{"10.0.0.1", false},
		{"10.1.2.3", true}, // allowed range
		{"172.16.0.1", false},
		{"192.168.7.7", true}, // allowed address
		{"192.168.7.8", false},
		{"169.254.169.254", false}, // cloud metadata
		{"fe80::1", false},
		{"fd00::1", false},
		{"0.0.0.0", false},
		{"::", false},
		{"100.64.0.1", false},
		{"224.0.0.1", false},
		{"255.255.255.255", false},
		{"64:ff9b::7f00:1", false}, // NAT64 of 127.0.0.1
		{"64:ff9b::5db8:d822", true},
	}
	for _, tt := range tests {
		t.Run(tt.ip, func(t *testing.T) {
			err := p.Check(netip.MustParseAddr(tt.ip))
			if tt.want {
				require.NoError(t, err)
				return
			}
			require.ErrorIs(t, err, ErrRefused)
			require.Contains(t, err.Error(), "FOYER_EGRESS_ALLOW")
		})
	}
}

func TestParseAllowRejectsGarbage(t *testing.T) {
	for _, s := range []string{"nope", "10.0.0.0/33", "10.0.0.0/8,,x"} {
		_, err := ParseAllow(s)
		require.Error(t, err, s)
	}
	got, err := ParseAllow("")
	require.NoError(t, err)
	require.Empty(t, got)
}

// TestDialTimeRefusesLoopback: the rule holds on the dialled address, so a
// URL naming 127.0.0.1, and a name that resolves to it (localhost), are
// both refused before any byte is sent; allowing 127.0.0.0/8 lets them
// through.
func TestDialTimeRefusesLoopback(t *testing.T) {
	hits := 0
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { hits++ }))
	t.Cleanup(srv.Close)
	_, port, err := net.SplitHostPort(srv.Listener.Addr().String())
	require.NoError(t, err)

	refused := &http.Client{Transport: New(nil).Transport()}
	for _, host := range []string{"127.0.0.1", "localhost"} {
		req, err := http.NewRequestWithContext(context.Background(), http.MethodPost, "http://"+net.JoinHostPort(host, port)+"/hook", nil)
		require.NoError(t, err)
		_, err = refused.Do(req)
		require.Error(t, err, host)
		var re *RefusedError
		require.True(t, errors.As(err, &re), "%s: got %v, want a RefusedError", host, err)
		require.True(t, re.Addr.IsLoopback())
	}
	require.Zero(t, hits, "a refused dial must not reach the server")

	allow, err := ParseAllow("127.0.0.0/8,::1/128")
	require.NoError(t, err)
	allowed := &http.Client{Transport: New(allow).Transport()}
	res, err := allowed.Get("http://" + net.JoinHostPort("localhost", port) + "/hook")
	require.NoError(t, err)
	_ = res.Body.Close()
	require.Equal(t, 1, hits)
}
