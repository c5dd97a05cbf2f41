// Package metrics exposes Foyer's Prometheus metrics on a registry of its
// own (never the global default), served on a separate listener
// (FOYER_METRICS_ADDR) so they never appear on the public port.
//
// Every label value is bounded: routes are Fiber route templates (never raw
// paths), methods and results come from fixed lists, Redis commands are the
// commands Foyer's own code sends, and tenants label the sign-in and sign-up
// counters only when the operator turns FOYER_METRICS_TENANT_LABEL on.
package metrics
