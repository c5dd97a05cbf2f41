// Package batch lets concurrent requests share Redis round trips.
//
// One goroutine per Batcher sends whatever commands are queued as one
// pipeline, waits for its replies, hands each caller its own, and then
// sends whatever queued meanwhile. Nothing waits on a timer: a command
// that finds Redis idle goes out at once, and while a pipeline is out the
// next one fills by itself, as large as the load makes it.
//
// Foyer used go-redis's autopipeliner for this before. It holds a batch
// back until as many commands arrive as the last batch answered (or 200 µs
// of silence), which suits callers that send one command after another;
// but of an options call's two commands only the first is followed by a
// second, and holding the compare-and-swap batch for commands that come
// only with the next HTTP requests left Foyer's core idle while Redis and
// the clients caught up (paired rounds of the options load: 17 % fewer
// requests per second and 10 % more CPU per request than with this
// package).
//
// Client is a go-redis client whose commands all go through the Batcher,
// so stores keep using go-redis's typed commands and scripts. It never
// dials: its hook hands each command to the Batcher, which runs it on the
// real client, with that client's hooks (deadline, breaker, metrics).
// A pipeline sent through Client is queued as a whole and shares a round
// trip with the others; transactions (MULTI/EXEC, WATCH) are refused, as
// they need a connection of their own: send them on the real client.
package batch
