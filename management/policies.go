package management

import (
	"context"
	"errors"
	"fmt"
	"strconv"

	"github.com/gofiber/fiber/v2"

	"github.com/foyer-auth/foyer/internal/httpx"
	"github.com/foyer-auth/foyer/policy"
)

// PolicyStore is what the admin API needs of tenants' Cedar policies
// (policy.Store).
type PolicyStore interface {
	Text(ctx context.Context, tid string) (string, error)
	Put(ctx context.Context, tid, text string) (int, error)
}

// ErrPolicySyntax: the policy text does not parse; details say where.
var ErrPolicySyntax = httpx.New(fiber.StatusBadRequest, "policy.invalid_syntax", "The policies do not parse.")

// PolicyInput is the body of PUT .../policies: the whole Cedar text,
// replacing the tenant's policies ("" removes them all).
type PolicyInput struct {
	Policies string `json:"policies" validate:"max=60000"`
}

// PolicyOutput is the tenant's policies and how many the text holds.
type PolicyOutput struct {
	Policies string `json:"policies"`
	Count    int    `json:"count"`
}

// PolicyErrorDetails are the details of policy.invalid_syntax: where the
// parser stopped (1-based) and why, in the parser's words.
type PolicyErrorDetails struct {
	Line   int    `json:"line"`
	Column int    `json:"column"`
	Reason string `json:"reason"`
}

func (h *Handler) mountPolicies(r fiber.Router) {
	r.Get("/tenants/:id/policies", h.getPolicies)
	r.Put("/tenants/:id/policies", h.putPolicies)
}

func (h *Handler) getPolicies(c *fiber.Ctx) error {
	tid, err := h.tenantID(c)
	if err != nil {
		return err
	}
	text, err := h.Policies.Text(c.UserContext(), tid)
	if err != nil {
		return err
	}
	ps, err := policy.Parse(text)
	n := 0
	if err == nil {
		for range ps.All() {
			n++
		}
	}
	return c.JSON(PolicyOutput{Policies: text, Count: n})
}

// putPolicies validates the text when it is saved: a syntax error is 400
// naming its line and column, and nothing is stored.
func (h *Handler) putPolicies(c *fiber.Ctx) error {
	in, err := httpx.Bind[PolicyInput](c, h.Binder)
	if err != nil {
		return err
	}
	tid, err := h.tenantID(c)
	if err != nil {
		return err
	}
	n, err := h.Policies.Put(c.UserContext(), tid, in.Policies)
	var pe *policy.ParseError
	var tm *policy.TooManyError
	switch {
	case errors.As(err, &pe):
		e := ErrPolicySyntax.WithDetails(PolicyErrorDetails{Line: pe.Line, Column: pe.Column, Reason: pe.Reason})
		e.Message = fmt.Sprintf("The policies do not parse: line %d, column %d.", pe.Line, pe.Column)
		return e
	case errors.As(err, &tm):
		return httpx.InvalidField("policies", "max_policies", strconv.Itoa(policy.MaxPolicies))
	case err != nil:
		return err
	}
	return c.JSON(PolicyOutput{Policies: in.Policies, Count: n})
}
