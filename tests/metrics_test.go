package tests

import (
	"io"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/foyer-auth/foyer/connector/smtptest"
)

// scrape reads the Prometheus exposition from the metrics listener (not in
// openapi.yaml: it is not the public API and not on its port).
func scrape(t *testing.T, addr string) string {
	t.Helper()
	res, err := http.Get("http://" + addr + "/metrics")
	require.NoError(t, err)
	defer res.Body.Close()
	require.Equal(t, http.StatusOK, res.StatusCode)
	b, err := io.ReadAll(res.Body)
	require.NoError(t, err)
	return string(b)
}

// sample returns the value of the series whose line starts with series
// (name and labels in exposition order), or -1.
func sample(body, series string) float64 {
	for _, line := range strings.Split(body, "\n") {
		if v, ok := strings.CutPrefix(line, series+" "); ok {
			f, _ := strconv.ParseFloat(v, 64)
			return f
		}
	}
	return -1
}

var labelValue = regexp.MustCompile(`(\w+)="([^"]*)"`)

// TestMetricsAfterAFlow: after sign-ups, sign-ins (a wrong password, a
// limited one, a good one) and a code sent by SMTP, the metrics listener
// shows each under its documented name and labels, with route templates
// as the only route values; the public port does not serve /metrics.
func TestMetricsAfterAFlow(t *testing.T) {
	addr := "127.0.0.1:" + strconv.Itoa(freePort(t))
	f := startFoyer(t, map[string]string{"FOYER_METRICS_ADDR": addr})
	mail := smtptest.Start(t)
	c := mailTenant(t, f, "acme", mail, nil)
	signUp(t, c, "mia", "mia@acme.test", strongPassword)
	signOut(t, c)
	for range 5 {
		requireError(t, signIn(t, c, "username", "mia", "wrong horse battery 1"), http.StatusUnprocessableEntity, "session.invalid_credentials")
	}
	requireError(t, signIn(t, c, "username", "mia", strongPassword), http.StatusTooManyRequests, "session.verification_blocked_too_many_attempts")
	b := tenantBrowser(f, "acme")
	start(t, b, "SignIn")
	emailCode(t, b, mail, "mia@acme.test")

	body := scrape(t, addr)
	for series, atLeast := range map[string]float64{
		`foyer_http_requests_total{method="PUT",route="/api/interaction",status="2xx"}`:                                            1,
		`foyer_http_requests_total{method="PATCH",route="/api/interaction/identifiers",status="4xx"}`:                              6,
		`foyer_http_requests_total{method="POST",route="/api/interaction/submit",status="2xx"}`:                                    1,
		`foyer_http_request_duration_seconds_count{method="POST",route="/api/interaction/submit"}`:                                 1,
		`foyer_limiter_refusals_total{code="session.verification_blocked_too_many_attempts",route="/api/interaction/identifiers"}`: 1,
		`foyer_sign_ups_total{method="password",result="success"}`:                                                                 1,
		`foyer_sign_ins_total{method="password",result="failure"}`:                                                                 6,
		`foyer_connector_deliveries_total{channel="email",connector="smtp",result="success"}`:                                      1,
		`foyer_redis_command_duration_seconds_count{command="evalsha"}`:                                                            1,
		`foyer_redis_pool_connections`: 1,
		`go_goroutines`:                1,
	} {
		require.GreaterOrEqual(t, sample(body, series), atLeast, "%s in\n%s", series, body)
	}
	// Bounded labels: routes are templates, and no tenant label by default.
	for _, m := range labelValue.FindAllStringSubmatch(body, -1) {
		if m[1] == "route" {
			require.True(t, m[2] == "unmatched" || strings.HasPrefix(m[2], "/"), "route label %q", m[2])
			require.NotContains(t, m[2], "acme")
		}
		require.NotEqual(t, "tenant", m[1], "tenant label without FOYER_METRICS_TENANT_LABEL")
	}
	// Not through the validating client: /metrics is no operation of the public API.
	res, err := http.Get(f.URL + "/metrics")
	require.NoError(t, err)
	_ = res.Body.Close()
	require.Equal(t, http.StatusNotFound, res.StatusCode, "the public port must not serve metrics")

	// Opt-in tenant label.
	addr2 := "127.0.0.1:" + strconv.Itoa(freePort(t))
	g := startFoyer(t, map[string]string{"FOYER_METRICS_ADDR": addr2, "FOYER_METRICS_TENANT_LABEL": "1"})
	signUp(t, g.Demo(), "noa", "", strongPassword)
	require.Regexp(t, `foyer_sign_ups_total\{method="password",result="success",tenant="[0-9a-f-]{36}"\} 1`, scrape(t, addr2))
}
