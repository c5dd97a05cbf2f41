// Package jsonappend appends JSON values to a byte slice, byte for byte as
// encoding/json writes them (HTML-safe string escaping, standard base64 for
// bytes, RFC 3339 with nanoseconds for times), without reflection and
// without allocating beyond what growing dst needs.
//
// It serves the hand-written encoders of documents on hot paths (the
// interaction kept in Redis, the state view), which write keys as literals
// and call these helpers for the values. Their output is read back by any
// JSON decoder; the fuzz tests hold it equal to encoding/json's.
package jsonappend
