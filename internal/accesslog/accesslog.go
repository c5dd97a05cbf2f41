package accesslog

import (
	"context"
	"io"
	"log/slog"
	"strings"
	"time"

	"github.com/foyer-auth/foyer/internal/httpx"
	"github.com/foyer-auth/foyer/tenant"
	"github.com/gofiber/fiber/v2"
)

// Entry is what is known of a finished request.
type Entry struct {
	RequestID string
	Method    string
	// Route is the matched route template (/api/interaction/mfa), the group
	// prefix when a group middleware ended the request, or Unmatched.
	Route    string
	Status   int
	Duration time.Duration
	// Code is the error envelope's code; "" on success.
	Code     string
	TenantID string
	IP       string
}

// Unmatched is the route of a request that no route matched.
const Unmatched = "unmatched"

// Options configure the middleware.
type Options struct {
	Log *slog.Logger
	// Mappings are the ErrorHandler's, so the logged code is the rendered one.
	Mappings []httpx.Mapping
	// Observers see every entry after it is logged (metrics).
	Observers []func(Entry)
	// Quiet routes (probes) are logged at debug level.
	Quiet []string
	// Out, when set, is where Log writes, in JSON (JSON) or slog's text
	// format: the lines are then written directly, as Log's handler would
	// write them, at a fraction of its cost.
	Out  io.Writer
	JSON bool
}

// Middleware returns the access-log middleware.
func Middleware(o Options) fiber.Handler {
	quiet := make(map[string]bool, len(o.Quiet))
	for _, r := range o.Quiet {
		quiet[r] = true
	}
	var lw *lineWriter
	if o.Out != nil {
		lw = newLineWriter(o.Out, o.JSON)
	}
	return func(c *fiber.Ctx) error {
		start := httpx.Started(c)
		err := c.Next()
		e := Entry{Method: c.Method()}
		if err != nil {
			e.Code = httpx.Resolve(err, o.Mappings).Code
			if herr := c.App().ErrorHandler(c, err); herr != nil {
				_ = c.SendStatus(fiber.StatusInternalServerError)
			}
		}
		end := time.Now()
		e.Duration = end.Sub(start)
		e.Status = c.Response().StatusCode()
		e.Route = Route(c)
		if e.RequestID = httpx.RequestID(c.UserContext()); e.RequestID == "" {
			e.RequestID = string(c.Response().Header.Peek(fiber.HeaderXRequestID))
		}
		e.IP = ClientIP(c)
		if t := tenant.From(c); t != nil {
			e.TenantID = t.ID
		}
		level := slog.LevelInfo
		if quiet[e.Route] && e.Status < 500 {
			level = slog.LevelDebug
		}
		if o.Log.Enabled(context.Background(), level) {
			if lw != nil {
				lw.write(end, level, &e)
			} else {
				o.Log.LogAttrs(context.Background(), level, "request", attrs(&e)...)
			}
		}
		for _, obs := range o.Observers {
			obs(e)
		}
		return nil
	}
}

// attrs are the attributes of e's line.
func attrs(e *Entry) []slog.Attr {
	return []slog.Attr{
		slog.String("request_id", e.RequestID),
		slog.String("method", e.Method),
		slog.String("route", e.Route),
		slog.Int("status", e.Status),
		slog.Float64("duration_ms", float64(e.Duration.Microseconds())/1000),
		slog.String("tenant", e.TenantID),
		slog.String("ip", e.IP),
		slog.String("code", e.Code),
	}
}

// Route returns the template of the route that handled c: never the raw
// path, so that label values and log fields stay bounded and free of ids.
// The app's last resort (a middleware on "/") means no route matched.
func Route(c *fiber.Ctx) string {
	p := c.Route().Path
	if p == "/" || p == "" {
		if c.Path() != "/" {
			return Unmatched
		}
		return "/"
	}
	return strings.TrimSuffix(p, "/")
}

// ClientIP is the client address used for logs: the one httpx.ClientInfo
// resolved (the TCP peer, or what a trusted proxy reports).
func ClientIP(c *fiber.Ctx) string { return httpx.ClientIP(c) }
