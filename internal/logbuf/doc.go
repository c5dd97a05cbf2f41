// Package logbuf batches log lines into few writes.
//
// Foyer logs one line per request. Written one by one, that is a write
// system call per request, which on a busy server costs as much as a
// tenth of the request itself. A Writer gathers the lines of up to
// Delay (or Size bytes) and writes them at once, as a proxy's buffered
// access log does. The cost is that a crash loses at most the last Delay
// of lines; a clean shutdown loses none (Close flushes).
package logbuf
