package httpx

import (
	"slices"
	"strings"

	"github.com/gofiber/fiber/v2"
)

// NotFound is the last handler of the app: a path no route serves is 404
// request.not_found; a path served for other methods only is 405
// request.method_not_allowed with an Allow header listing them (RFC 9110
// §15.5.6). routes are the app's routes without middleware
// (app.GetRoutes(true)), taken once every route is mounted.
func NotFound(routes []fiber.Route) fiber.Handler {
	byPattern := map[string][]string{}
	var patterns []string
	for _, r := range routes {
		if _, ok := byPattern[r.Path]; !ok {
			patterns = append(patterns, r.Path)
		}
		if !slices.Contains(byPattern[r.Path], r.Method) {
			byPattern[r.Path] = append(byPattern[r.Path], r.Method)
		}
	}
	return func(c *fiber.Ctx) error {
		var allow []string
		for _, p := range patterns {
			if fiber.RoutePatternMatch(c.Path(), p) {
				for _, m := range byPattern[p] {
					if !slices.Contains(allow, m) {
						allow = append(allow, m)
					}
				}
			}
		}
		if len(allow) == 0 {
			return ErrRouteNotFound
		}
		slices.Sort(allow)
		c.Set(fiber.HeaderAllow, strings.Join(allow, ", "))
		return ErrMethod
	}
}
