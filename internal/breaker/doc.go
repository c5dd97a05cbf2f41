// Package breaker makes Redis calls fail at once while Redis hangs.
//
// A Redis that accepts connections but answers nothing (stopped, swapping,
// a network path that drops packets) costs every command its full read
// timeout. The batching client (internal/batch) also sends one batch at a
// time on a background context, so a request queued behind a stuck batch
// waits for that batch too, whatever its own deadline says; and go-redis
// retries a command on a fresh connection, whose handshake waits again.
// Without a memory of the last timeout every request pays all of this
// again.
//
// A Breaker is go-redis's Options.Limiter. After a timeout it refuses
// commands with ErrOpen for a cooldown, then admits commands for a short
// probe window, and so on in turn until Redis answers: any answer (a reply,
// even an error reply such as OOM) closes it. Recovery therefore needs no
// restart and no background pinger. The probe is a window of time rather
// than one command because go-redis asks the Limiter again for the
// handshake of a new connection, inside the admitted command. Connection
// errors that come back at once (refused, reset) leave the state as it is:
// they already fail fast.
package breaker
