// Package jsonscan reads JSON token by token, for hand-written decoders of
// the documents on hot paths (the interaction kept in Redis), where
// reflection and a copy of the input cost more than the decoding itself.
//
// A Scanner reads what the grammar of RFC 8259 allows and nothing else:
// what Valid accepts is exactly what encoding/json.Valid accepts, nesting
// depth limit included, and strings decode as encoding/json decodes them
// (invalid UTF-8 and lone surrogates become U+FFFD). A null read as a
// string, number, bool, time or byte slice is the zero value. The fuzz
// tests hold these to encoding/json.
//
// Invariant: strings and raw values a Scanner returns share memory with its
// input whenever they can (a string without escapes is the input's bytes),
// so the input must not change while they are in use. That is what makes
// decoding nearly free of copies; callers scan memory nobody writes, such
// as a Redis reply.
package jsonscan
