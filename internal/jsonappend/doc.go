// Package jsonappend appends JSON values to a byte slice, byte for byte as
// encoding/json writes them (HTML-safe string escaping, standard base64 for
// bytes, RFC 3339 with nanoseconds for times), without reflection and
// without allocating beyond what growing dst needs.
//
// It serves the hand-written encoders on hot paths: the interaction kept in
// Redis, the state view, the WebAuthn ceremony templates (verification),
// and the access log (StringNoHTML, as log/slog writes strings). Callers
// write keys as literals and call these helpers for the values; the fuzz
// tests hold the output equal to encoding/json's.
//
// Why not a dependency: strconv.AppendQuote writes Go syntax (\x00, \a and
// raw invalid bytes are not JSON), and go-json-experiment's
// jsontext.AppendQuote leaves out the HTML-safe escapes of <, >, & and
// U+2028/U+2029 that encoding/json applies, with no option to add them.
package jsonappend
