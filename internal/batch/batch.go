package batch

import (
	"context"
	"errors"
	"fmt"
	"net"
	"sync"

	"github.com/redis/go-redis/v9"
)

var (
	// ErrClosed answers commands sent after Close.
	ErrClosed = errors.New("batch: closed")
	// ErrTx answers a transaction sent through Client.
	ErrTx = errors.New("batch: transactions are not batched; send them on the client")

	errNoConn = errors.New("batch: Client has no connection of its own")
)

// maxBatch bounds one pipeline; a longer queue goes out as several.
const maxBatch = 256

// Batcher sends the commands of concurrent callers in shared pipelines.
type Batcher struct {
	rdb    redis.UniversalClient
	client *redis.Client

	mu     sync.Mutex
	queue  []*call
	closed bool

	// Only the dispatcher touches these: the array of the last batch,
	// which becomes the next queue, and the commands of a batch.
	spare []*call
	cmds  []redis.Cmder

	kick  chan struct{} // capacity 1: the queue may hold commands
	done  chan struct{} // closed when the dispatcher has returned
	calls sync.Pool     // of *call
}

// call is one queued command and the signal that its reply is in.
type call struct {
	cmd   redis.Cmder
	ready chan struct{} // capacity 1
}

// New starts a Batcher that runs its pipelines on rdb; Close stops it.
func New(rdb redis.UniversalClient) *Batcher {
	b := &Batcher{rdb: rdb, kick: make(chan struct{}, 1), done: make(chan struct{})}
	b.calls.New = func() any { return &call{ready: make(chan struct{}, 1)} }
	b.client = redis.NewClient(&redis.Options{Addr: "batch.invalid:0", Protocol: 2})
	b.client.AddHook(hook{b})
	go b.run()
	return b
}

// Client is a go-redis client whose commands go through b.
func (b *Batcher) Client() redis.Cmdable { return b.client }

// hook makes b.client a face of the Batcher: every command and pipeline
// is handed to it, and the client's own connection pool is never used.
type hook struct{ b *Batcher }

func (hook) DialHook(redis.DialHook) redis.DialHook {
	return func(context.Context, string, string) (net.Conn, error) { return nil, errNoConn }
}

func (h hook) ProcessHook(redis.ProcessHook) redis.ProcessHook { return h.b.Do }

func (h hook) ProcessPipelineHook(redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return h.b.doAll
}

// Do queues cmd for the next pipeline and waits for its reply (see wait).
// It answers cmd's error. A command whose context has already ended is
// not sent.
func (b *Batcher) Do(ctx context.Context, cmd redis.Cmder) error {
	if err := ctx.Err(); err != nil {
		cmd.SetErr(err)
		return err
	}
	c := b.calls.Get().(*call)
	c.cmd = cmd
	if err := b.enqueue(c); err != nil {
		cmd.SetErr(err)
		return err
	}
	return b.wait(c)
}

// doAll queues cmds together, so that they share one pipeline unless they
// are more than it holds, and waits for all of them. It answers the first
// error. Like Do, it sends nothing once ctx has ended.
func (b *Batcher) doAll(ctx context.Context, cmds []redis.Cmder) error {
	err := ctx.Err()
	if err == nil && len(cmds) > 0 && cmds[0].Name() == "multi" {
		err = ErrTx
	}
	calls := make([]*call, len(cmds))
	if err == nil {
		for i, cmd := range cmds {
			calls[i] = b.calls.Get().(*call)
			calls[i].cmd = cmd
		}
		err = b.enqueue(calls...)
	}
	if err != nil {
		for _, cmd := range cmds {
			cmd.SetErr(err)
		}
		return err
	}
	var first error
	for _, c := range calls {
		if err := b.wait(c); err != nil && first == nil {
			first = err
		}
	}
	return first
}

func (b *Batcher) enqueue(calls ...*call) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		return ErrClosed
	}
	b.queue = append(b.queue, calls...)
	select { // under mu, since Close closes kick
	case b.kick <- struct{}{}:
	default:
	}
	return nil
}

// wait waits for c's reply. It does not give up when the caller's context
// ends: the command may be out already, and a caller that left would
// report a failure for a write that happened (and race the reply into its
// command). The real client's deadline hook bounds every pipeline.
func (b *Batcher) wait(c *call) error {
	<-c.ready
	err := c.cmd.Err()
	c.cmd = nil
	b.calls.Put(c)
	return err
}

// run is the dispatcher: it sends the queue as pipelines until Close.
func (b *Batcher) run() {
	defer close(b.done)
	for range b.kick {
		for b.flush() {
		}
	}
}

// flush sends up to maxBatch queued commands as one pipeline and hands out
// their replies. It reports false if the queue was empty.
func (b *Batcher) flush() bool {
	b.mu.Lock()
	batch := b.queue
	switch {
	case len(batch) == 0:
		b.mu.Unlock()
		return false
	case len(batch) > maxBatch:
		batch = batch[:maxBatch:maxBatch]
		b.queue = append(b.spare, b.queue[maxBatch:]...)
	default:
		b.queue = b.spare
	}
	b.mu.Unlock()
	for _, c := range batch {
		b.cmds = append(b.cmds, c.cmd)
	}
	b.exec(b.cmds)
	for i, c := range batch {
		c.ready <- struct{}{}
		batch[i], b.cmds[i] = nil, nil
	}
	b.spare, b.cmds = batch[:0], b.cmds[:0]
	return true
}

// exec runs cmds as one pipeline on the real client (through its hooks,
// which bound it with a deadline). Each command keeps its own reply or
// error; the pipeline's error is also each failed command's.
func (b *Batcher) exec(cmds []redis.Cmder) {
	// A panic in the client or a hook fails this batch's commands instead
	// of killing the dispatcher, which every later command waits for.
	defer func() {
		if r := recover(); r != nil {
			err := fmt.Errorf("batch: pipeline panicked: %v", r)
			for _, c := range cmds {
				c.SetErr(err)
			}
		}
	}()
	ctx := context.Background()
	pipe := b.rdb.Pipeline()
	_ = pipe.BatchProcess(ctx, cmds...)
	_, _ = pipe.Exec(ctx)
}

// Close refuses new commands, lets the queued ones run, and returns when
// the dispatcher has.
func (b *Batcher) Close() {
	b.mu.Lock()
	if !b.closed {
		b.closed = true
		close(b.kick)
	}
	b.mu.Unlock()
	<-b.done
}
