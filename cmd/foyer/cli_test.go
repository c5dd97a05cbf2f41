package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// runAdmin runs one admin command against srv and returns its output.
func runAdmin(t *testing.T, srv *server, key, stdin string, args ...string) (string, error) {
	t.Helper()
	var out, errOut bytes.Buffer
	getenv := func(k string) string {
		return map[string]string{"FOYER_URL": "http://127.0.0.1:" + srv.port, "FOYER_ADMIN_KEY": key}[k]
	}
	err := runCLI(t.Context(), args, getenv, strings.NewReader(stdin), &out, &errOut)
	return out.String(), err
}

// TestCLIAgainstARealServer drives a running server with the admin
// commands: tenants (create, list, update with If-Match), users (create
// with a password from standard input or an invitation, list, delete),
// tables and --json; and the application commands when the server has the
// applications API.
func TestCLIAgainstARealServer(t *testing.T) {
	key := strings.Repeat("k", 40)
	srv := startFoyer(t, map[string]string{"FOYER_ADMIN_KEY": key})

	out, err := runAdmin(t, srv, key, "", "tenant", "create", "--slug", "cli", "--host", "cli.example", "--display-name", "CLI Corp")
	require.NoError(t, err)
	require.Regexp(t, `(?m)^ID\s+SLUG\s+NAME\s+HOSTS$`, out)
	require.Contains(t, out, "cli.example")
	require.Contains(t, out, "CLI Corp")

	out, err = runAdmin(t, srv, key, "", "tenant", "list", "--json")
	require.NoError(t, err)
	var list struct {
		Tenants []struct{ ID, Slug string } `json:"tenants"`
	}
	require.NoError(t, json.Unmarshal([]byte(out), &list), out)
	require.NotEmpty(t, list.Tenants)

	out, err = runAdmin(t, srv, key, "", "tenant", "update", "cli", "--display-name", "CLI Renamed")
	require.NoError(t, err)
	require.Contains(t, out, "CLI Renamed")

	out, err = runAdmin(t, srv, key, "correct horse battery staple\n", "user", "create", "--tenant", "cli", "--username", "uma", "--password-stdin", "--json")
	require.NoError(t, err)
	var u struct {
		ID          string `json:"id"`
		HasPassword bool   `json:"hasPassword"`
	}
	require.NoError(t, json.Unmarshal([]byte(out), &u), out)
	require.True(t, u.HasPassword)
	require.NotContains(t, out, "correct horse")

	// Dev mode delivers the invitation through the log connector.
	out, err = runAdmin(t, srv, key, "", "user", "create", "--tenant", "cli", "--email", "vic@cli.example", "--invite")
	require.NoError(t, err)
	require.Regexp(t, `vic@cli\.example\s+invited`, out)

	out, err = runAdmin(t, srv, key, "", "user", "list", "--tenant", "cli", "--limit", "1", "--all")
	require.NoError(t, err)
	require.Contains(t, out, "uma")
	require.Contains(t, out, "vic@cli.example")
	out, err = runAdmin(t, srv, key, "", "user", "list", "--tenant", "cli", "--search", "VIC")
	require.NoError(t, err)
	require.NotContains(t, out, "uma")

	out, err = runAdmin(t, srv, key, "", "user", "delete", "--tenant", "cli", u.ID)
	require.NoError(t, err)
	require.Contains(t, out, "deleted "+u.ID)
	out, err = runAdmin(t, srv, key, "", "user", "list", "--tenant", "cli", "--json")
	require.NoError(t, err)
	require.NotContains(t, out, u.ID)

	// Errors name the API's code; a wrong key is refused.
	_, err = runAdmin(t, srv, key, "", "user", "delete", "--tenant", "cli", u.ID)
	require.ErrorContains(t, err, "404 entity.not_found")
	_, err = runAdmin(t, srv, "wrong-"+key, "", "tenant", "list")
	require.ErrorContains(t, err, "401 unauthenticated")
	_, err = runAdmin(t, srv, key, "", "user", "list", "--tenant", "nope")
	require.ErrorContains(t, err, `no tenant with id or slug "nope"`)
	_, err = runAdmin(t, srv, key, "", "tenant", "frobnicate")
	require.ErrorContains(t, err, "unknown command")

}

// TestCLIApplications: the app commands against the OIDC provider's
// applications admin API.
func TestCLIApplications(t *testing.T) {
	key := strings.Repeat("k", 40)
	srv := startFoyer(t, map[string]string{"FOYER_ADMIN_KEY": key})
	_, err := runAdmin(t, srv, key, "", "tenant", "create", "--slug", "cli", "--host", "cli.example")
	require.NoError(t, err)
	out, err := runAdmin(t, srv, key, "", "app", "create", "--tenant", "cli", "--name", "Web", "--type", "web",
		"--redirect-uri", "https://cli.example/callback", "--json")
	var apiErr *apiError
	if errors.As(err, &apiErr) && apiErr.Status == 404 && apiErr.Code == "request.not_found" {
		t.Skip("the applications admin API (/api/admin/tenants/{id}/applications) is not on this branch yet; app commands untested")
	}
	require.NoError(t, err)
	var app struct {
		ID string `json:"id"`
	}
	require.NoError(t, json.Unmarshal([]byte(out), &app), out)
	out, err = runAdmin(t, srv, key, "", "app", "list", "--tenant", "cli")
	require.NoError(t, err)
	require.Contains(t, out, app.ID)
	out, err = runAdmin(t, srv, key, "", "app", "rotate-secret", "--tenant", "cli", app.ID)
	require.NoError(t, err)
	require.Contains(t, out, "SECRET")
}

// TestHelpListsAdminCommands: foyer -h shows the server's flags and every
// admin command.
func TestHelpListsAdminCommands(t *testing.T) {
	var stderr bytes.Buffer
	_, err := parseConfig([]string{"-h"}, func(string) string { return "" }, &stderr)
	require.ErrorIs(t, err, flag.ErrHelp)
	for _, want := range []string{"-metrics-addr", "-log-format", "FOYER_EGRESS_ALLOW", "foyer tenant create", "foyer tenant update",
		"foyer tenant list", "foyer app create", "foyer app list", "foyer app rotate-secret", "foyer user create",
		"foyer user list", "foyer user delete", "FOYER_URL", "FOYER_ADMIN_KEY"} {
		require.Contains(t, stderr.String(), want)
	}
	require.False(t, isCLI(nil), "foyer with no command runs the server")
	require.False(t, isCLI([]string{"-addr", "127.0.0.1:1"}))
}
