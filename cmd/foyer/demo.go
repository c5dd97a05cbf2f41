package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"slices"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/foyer-auth/foyer/oidc"
	"github.com/foyer-auth/foyer/tenant"
)

// demoClientID is the client id of the dev-mode demo application.
const demoClientID = "demo"

// ensureDemoApp gives the demo tenant a public "spa" application, client id
// "demo", whose redirect URI is this server's /demo/callback, and prints
// what a newcomer needs to run a sign-in flow against it. An existing demo
// application (a persistent Redis in dev mode) gets this port's URIs added.
func ensureDemoApp(ctx context.Context, rdb redis.UniversalClient, addr net.Addr, log *slog.Logger) error {
	t, err := tenant.NewStore(rdb, time.Now).BySlug(ctx, "demo")
	if err != nil {
		return fmt.Errorf("demo tenant: %w", err)
	}
	_, port, _ := net.SplitHostPort(addr.String())
	origin := "http://localhost:" + port
	redirect, logout := origin+"/demo/callback", origin+"/" // the demo app lives at /
	apps := oidc.NewApplications(rdb, time.Now, time.Second)
	_, err = apps.Create(ctx, t.ID, demoClientID, oidc.ApplicationInput{
		Name: "Foyer demo", Type: oidc.TypeSPA, RedirectURIs: []string{redirect}, PostLogoutRedirectURIs: []string{logout},
	})
	if errors.Is(err, oidc.ErrAppExists) {
		var a *oidc.Application
		if a, err = apps.Get(ctx, t.ID, demoClientID); err == nil && !slices.Contains(a.RedirectURIs, redirect) {
			uris, logouts := append(a.RedirectURIs, redirect), append(a.PostLogoutRedirectURIs, logout)
			_, err = apps.Update(ctx, t.ID, demoClientID, oidc.ApplicationPatch{RedirectURIs: &uris, PostLogoutRedirectURIs: &logouts})
		}
	}
	if err != nil {
		return fmt.Errorf("demo application: %w", err)
	}
	log.Info("demo OpenID Connect client", "issuer", origin+"/oidc", "client_id", demoClientID,
		"redirect_uri", redirect, "post_logout_redirect_uri", logout)
	return nil
}
