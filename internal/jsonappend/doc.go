// Package jsonappend appends JSON string literals to a byte slice, for the
// few hot paths that write their JSON by hand around pre-encoded parts (the
// WebAuthn ceremony templates in verification).
//
// Invariant: String writes exactly what encoding/json.Marshal writes for
// the same Go string, HTML-safe escapes included, so a hand-written
// document can be checked byte for byte against a marshalled one.
//
// Why not a dependency: strconv.AppendQuote writes Go syntax (\x00, \a,
// \U0001f600 and raw invalid bytes are not JSON), and jsontext.AppendQuote
// of go-json-experiment writes the minimal encoding without the HTML-safe
// escapes of <, >, & and U+2028/U+2029 that encoding/json and goccy/go-json
// apply, and has no append form that takes options.
package jsonappend
