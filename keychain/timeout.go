package keychain

import (
	"context"
	"fmt"
	"time"
)

// DefaultTimeout is the deadline of one keychain call when none is given.
const DefaultTimeout = 5 * time.Second

// WithTimeout returns b with a deadline of d on every call: go-keyring
// cannot be interrupted and waits forever for a Secret Service prompt, so
// each call runs in its own goroutine and, when d passes first, the caller
// gets an *Error of kind ErrTimeout naming the backend and the remedy while
// the abandoned call finishes (or not) on its own. A cancelled ctx ends the
// wait the same way, with ctx's error. The ctx given to b carries the
// deadline, so a backend making several calls can stop between them.
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

// Warm bounds b's Warm, when b has one.
func (t *timeoutBackend) Warm(ctx context.Context) {
	if w, ok := t.b.(Warmer); ok {
		_, _ = bounded(ctx, t, "get", func(ctx context.Context) ([]byte, error) {
			w.Warm(ctx)
			return nil, nil
		})
	}
}

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
func (t *timeoutBackend) GetAt(ctx context.Context, key, at string) ([]byte, string, error) {
	l, ok := t.b.(Locator)
	if !ok {
		data, err := t.Get(ctx, key)
		return data, "", err
	}
	var found string // written by the call, read only once it returned
	data, err := bounded(ctx, t, "get", func(ctx context.Context) ([]byte, error) {
		data, f, err := l.GetAt(ctx, key, at)
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
	ctx, cancel := context.WithTimeout(ctx, t.d)
	defer cancel()
	done := make(chan result, 1) // buffered: an abandoned call can still finish
	go func() {
		data, err := call(ctx)
		done <- result{data, err}
	}()
	select {
	case r := <-done:
		return r.data, r.err
	case <-ctx.Done():
		// The call may have answered at the same moment: prefer its answer.
		select {
		case r := <-done:
			return r.data, r.err
		default:
		}
		if ctx.Err() == context.DeadlineExceeded {
			return nil, timeoutError(t.b.Name(), op, fmt.Sprintf("no answer within %v", limit))
		}
		return nil, ctxError(t.b.Name(), op, ctx.Err())
	}
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
