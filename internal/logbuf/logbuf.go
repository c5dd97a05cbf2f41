package logbuf

import (
	"io"
	"sync"
	"time"
)

// Defaults: a line waits at most 50 ms, and 16 KiB (about a hundred
// request lines) are written at once whatever the time.
const (
	DefaultDelay = 50 * time.Millisecond
	DefaultSize  = 16 << 10
)

// Writer buffers whole writes (log lines) for the writer underneath. It is
// safe for concurrent use; each Write is kept whole.
type Writer struct {
	w     io.Writer
	delay time.Duration
	size  int

	mu     sync.Mutex
	buf    []byte
	timer  *time.Timer // armed while buf holds unwritten lines
	closed bool
	err    error // the last write error, answered by Flush and Close
}

// New returns a Writer on w with the default delay and size.
func New(w io.Writer) *Writer { return NewSize(w, DefaultDelay, DefaultSize) }

// NewSize returns a Writer that writes at the latest delay after a line
// arrived, or once size bytes are waiting.
func NewSize(w io.Writer, delay time.Duration, size int) *Writer {
	return &Writer{w: w, delay: delay, size: size, buf: make([]byte, 0, size)}
}

// Write keeps p for a later write. After Close it writes through, so that
// nothing logged late in a shutdown is lost.
func (b *Writer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		return b.w.Write(p)
	}
	b.buf = append(b.buf, p...)
	if len(b.buf) >= b.size {
		b.flushLocked()
	} else if b.timer == nil {
		b.timer = time.AfterFunc(b.delay, func() { _ = b.Flush() })
	}
	return len(p), nil
}

// Flush writes what is waiting.
func (b *Writer) Flush() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.flushLocked()
	return b.err
}

func (b *Writer) flushLocked() {
	if b.timer != nil {
		b.timer.Stop()
		b.timer = nil
	}
	if len(b.buf) == 0 {
		return
	}
	if _, err := b.w.Write(b.buf); err != nil {
		b.err = err
	}
	if cap(b.buf) > 4*b.size {
		b.buf = make([]byte, 0, b.size) // one huge line does not stay
	}
	b.buf = b.buf[:0]
}

// Close flushes, and from then on writes through.
func (b *Writer) Close() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.flushLocked()
	b.closed = true
	return b.err
}
