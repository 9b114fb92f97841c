package keychain

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"
)

// DefaultTimeout is the deadline of one keychain call when none is given.
const DefaultTimeout = 5 * time.Second

// DefaultPromptTimeout is how long a call waits for a person to answer a
// keychain's dialog when none is given.
const DefaultPromptTimeout = time.Minute

// WithTimeout returns b with a deadline of d on every call: a keychain may
// never answer (go-keyring cannot be interrupted; a Secret Service can wait
// on a prompt), so each call runs in its own goroutine (see within) and,
// when d passes first, the caller gets an *Error of kind ErrTimeout naming
// the backend and the remedy while the abandoned call finishes (or not) on
// its own. A cancelled ctx ends the wait the same way, with ctx's error.
// The ctx given to b ends with the deadline, so a backend making several
// calls can stop between them, and lets b give a person more time to answer
// a dialog (see extendDeadline).
//
// A Set that timed out may still complete later: the caller must not
// assume the old value is still there. d <= 0 means DefaultTimeout.
func WithTimeout(b Backend, d time.Duration) Backend {
	if d <= 0 {
		d = DefaultTimeout
	}
	if t, ok := b.(*timeoutBackend); ok && t.d == d {
		return t
	}
	return &timeoutBackend{b: b, d: d}
}

type timeoutBackend struct {
	b Backend
	d time.Duration
}

func (t *timeoutBackend) Name() string { return t.b.Name() }

func (t *timeoutBackend) Set(ctx context.Context, key string, data []byte) error {
	_, err := bounded(ctx, t, "set", func(ctx context.Context) ([]byte, error) {
		return nil, t.b.Set(ctx, key, data)
	})
	return err
}

func (t *timeoutBackend) Get(ctx context.Context, key string) ([]byte, error) {
	return bounded(ctx, t, "get", func(ctx context.Context) ([]byte, error) {
		return t.b.Get(ctx, key)
	})
}

// Warm bounds b's Warm, when b has one, through its context alone: Warm
// waits for no answer, and on a goroutine of its own (see within) it could
// start after the call it is there to get ahead of.
func (t *timeoutBackend) Warm(ctx context.Context) {
	if w, ok := t.b.(Warmer); ok {
		ctx, cancel := context.WithTimeout(ctx, t.d)
		defer cancel()
		w.Warm(ctx)
	}
}

func (t *timeoutBackend) Resume(load func() string) { Resume(t.b, load) }

func (t *timeoutBackend) Learned() string { return Learned(t.b) }

// SetAt bounds b's SetAt, when b has one; else it is Set.
func (t *timeoutBackend) SetAt(ctx context.Context, key string, data []byte) (string, error) {
	l, ok := t.b.(Locator)
	if !ok {
		return "", t.Set(ctx, key, data)
	}
	var found string // written by the call, read only once it returned
	_, err := bounded(ctx, t, "set", func(ctx context.Context) ([]byte, error) {
		f, err := l.SetAt(ctx, key, data)
		found = f
		return nil, err
	})
	if err != nil {
		return "", err
	}
	return found, nil
}

// GetAt bounds b's GetAt, when b has one; else it is Get.
func (t *timeoutBackend) GetAt(ctx context.Context, key, at string, holds func([]byte) bool) ([]byte, string, error) {
	l, ok := t.b.(Locator)
	if !ok {
		data, err := t.Get(ctx, key)
		return data, "", err
	}
	var found string // written by the call, read only once it returned
	data, err := bounded(ctx, t, "get", func(ctx context.Context) ([]byte, error) {
		data, f, err := l.GetAt(ctx, key, at, holds)
		found = f
		return data, err
	})
	if err != nil {
		return nil, "", err
	}
	return data, found, nil
}

func (t *timeoutBackend) Delete(ctx context.Context, key string) error {
	_, err := bounded(ctx, t, "delete", func(ctx context.Context) ([]byte, error) {
		return nil, t.b.Delete(ctx, key)
	})
	return err
}

type result struct {
	data []byte
	err  error
}

func bounded(ctx context.Context, t *timeoutBackend, op string, call func(context.Context) ([]byte, error)) ([]byte, error) {
	if err := ctx.Err(); err != nil {
		return nil, ctxError(t.b.Name(), op, err)
	}
	limit := t.d
	if dl, ok := ctx.Deadline(); ok && time.Until(dl) < limit {
		limit = time.Until(dl).Round(time.Millisecond)
	}
	ctx, dl, stop := withDeadline(ctx, t.d, limit)
	defer stop()
	r, ok := within(ctx, func(ctx context.Context) result {
		data, err := call(ctx)
		return result{data, err}
	})
	passed := dl.passed()
	switch {
	case ok && !(passed && (errors.Is(r.err, ErrTimeout) || errors.Is(r.err, context.DeadlineExceeded))):
		return r.data, r.err
	case passed:
		return nil, dl.timeoutError(t.b.Name(), op)
	}
	return nil, ctxError(t.b.Name(), op, ctx.Err())
}

// within runs call in a goroutine of its own and returns its answer, or
// ok false once ctx ends first; the abandoned call then finishes (or not)
// on its own. An answer that arrives as ctx ends is preferred. It is the
// one place that waits on something that cannot be interrupted.
func within[T any](ctx context.Context, call func(context.Context) T) (v T, ok bool) {
	done := make(chan T, 1) // buffered: an abandoned call can still finish
	go func() { done <- call(ctx) }()
	select {
	case v := <-done:
		return v, true
	case <-ctx.Done():
		select {
		case v := <-done:
			return v, true
		default:
			return v, false
		}
	}
}

// deadline is the bound on one call: a timer that ends the call's context,
// which the backend may push back, for a person answering a dialog.
type deadline struct {
	mu       sync.Mutex
	timer    *time.Timer
	when     time.Time     // when it passes
	limit    time.Duration // the bound in force, for the error
	prompted string        // who showed a dialog, once extended
	fired    bool
}

type deadlineKey struct{}

// withDeadline returns ctx ending d from now (its error then
// context.DeadlineExceeded), the deadline, which extendDeadline finds in
// ctx, and the func that releases both. limit is what an error says the
// bound was.
func withDeadline(ctx context.Context, d, limit time.Duration) (context.Context, *deadline, func()) {
	c := &boundCtx{Context: ctx, done: make(chan struct{})}
	c.dl = &deadline{limit: limit, when: time.Now().Add(d)}
	c.dl.timer = time.AfterFunc(d, func() {
		c.dl.mu.Lock()
		c.dl.fired = true
		c.dl.mu.Unlock()
		c.end(context.DeadlineExceeded)
	})
	stopParent := context.AfterFunc(ctx, func() { c.end(ctx.Err()) })
	return c, c.dl, func() {
		c.dl.timer.Stop()
		stopParent()
		c.end(context.Canceled)
	}
}

func (dl *deadline) passed() bool {
	dl.mu.Lock()
	defer dl.mu.Unlock()
	return dl.fired
}

// boundCtx is a context ended by a deadline that can move, by its parent's
// end, or by its release. Its Done channel is its own, so contexts derived
// from it learn its Err (context.DeadlineExceeded when the deadline
// passed), as they would from a context.WithDeadline.
type boundCtx struct {
	context.Context // the parent, for its values
	dl              *deadline
	done            chan struct{}
	once            sync.Once
	err             error // set before done is closed
}

func (c *boundCtx) end(err error) {
	c.once.Do(func() {
		c.err = err
		close(c.done)
	})
}

func (c *boundCtx) Done() <-chan struct{} { return c.done }

func (c *boundCtx) Err() error {
	select {
	case <-c.done:
		return c.err
	default:
		return nil
	}
}

func (c *boundCtx) Deadline() (time.Time, bool) {
	c.dl.mu.Lock()
	defer c.dl.mu.Unlock()
	if p, ok := c.Context.Deadline(); ok && p.Before(c.dl.when) {
		return p, true
	}
	return c.dl.when, true
}

func (c *boundCtx) Value(key any) any {
	if key == (deadlineKey{}) {
		return c.dl
	}
	return c.Context.Value(key)
}

// extendDeadline gives the call running under ctx d from now instead of
// what is left of its deadline, because who (a keychain program) shows a
// dialog that a person may answer. It reports false when ctx has no
// deadline of WithTimeout's, or when that deadline has already passed;
// the caller must then not wait longer than ctx allows.
func extendDeadline(ctx context.Context, d time.Duration, who string) bool {
	dl, _ := ctx.Value(deadlineKey{}).(*deadline)
	if dl == nil {
		return false
	}
	dl.mu.Lock()
	defer dl.mu.Unlock()
	if !dl.timer.Stop() {
		return false
	}
	dl.timer.Reset(d)
	dl.when, dl.limit, dl.prompted = time.Now().Add(d), d, who
	return true
}

// timeoutError is the error of a call whose deadline passed.
func (dl *deadline) timeoutError(backend, op string) error {
	dl.mu.Lock()
	defer dl.mu.Unlock()
	if dl.prompted != "" {
		return &Error{Backend: backend, Op: op, Kind: ErrTimeout,
			Detail: fmt.Sprintf("the dialog of %s was not answered within %v", dl.prompted, dl.limit),
			Hint:   hintPromptTimeout}
	}
	return timeoutError(backend, op, fmt.Sprintf("no answer within %v", dl.limit))
}

// ctxError is the answer to a call whose ctx ended: a deadline set by the
// caller is ErrTimeout like ours; a cancellation is the caller's own
// context.Canceled, wrapped.
func ctxError(backend, op string, err error) error {
	if err == context.DeadlineExceeded {
		return timeoutError(backend, op, "deadline passed")
	}
	return fmt.Errorf("%s: %s: %w", backend, op, err)
}
