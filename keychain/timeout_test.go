package keychain

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// blockingBackend answers after delay, or never when delay < 0 (until
// release is closed), counting the calls that finished.
type blockingBackend struct {
	delay    time.Duration
	release  chan struct{}
	finished atomic.Int32
	sawCtx   atomic.Bool // a ctx with a deadline reached the backend
}

func (b *blockingBackend) Name() string { return "secretservice" }

func (b *blockingBackend) wait(ctx context.Context) {
	if _, ok := ctx.Deadline(); ok {
		b.sawCtx.Store(true)
	}
	if b.delay < 0 {
		<-b.release
	} else {
		time.Sleep(b.delay)
	}
	b.finished.Add(1)
}

func (b *blockingBackend) Set(ctx context.Context, key string, data []byte) error {
	b.wait(ctx)
	return nil
}

func (b *blockingBackend) Get(ctx context.Context, key string) ([]byte, error) {
	b.wait(ctx)
	return []byte("v:" + key), nil
}

func (b *blockingBackend) Delete(ctx context.Context, key string) error {
	b.wait(ctx)
	return &Error{Backend: "secretservice", Op: "delete", Kind: ErrNotFound}
}

func TestWithTimeoutExpires(t *testing.T) {
	fake := &blockingBackend{delay: -1, release: make(chan struct{})}
	defer close(fake.release)
	b := WithTimeout(fake, 50*time.Millisecond)
	ctx := context.Background()
	checks := map[string]error{
		"set":    b.Set(ctx, "k", []byte("x")),
		"delete": b.Delete(ctx, "k"),
	}
	_, checks["get"] = b.Get(ctx, "k")
	for op, err := range checks {
		var e *Error
		if !errors.As(err, &e) || !errors.Is(err, ErrTimeout) {
			t.Fatalf("%s: %v, want an *Error of kind ErrTimeout", op, err)
		}
		if e.Backend != "secretservice" || e.Op != op {
			t.Errorf("%s: backend %q op %q", op, e.Backend, e.Op)
		}
		if !strings.Contains(e.Hint, "unlock") || !strings.Contains(e.Hint, "DOCKER_CREDENTIAL_PAT_TIMEOUT") {
			t.Errorf("%s: hint %q names no remedy", op, e.Hint)
		}
		if !strings.Contains(err.Error(), "50ms") {
			t.Errorf("%s: %q does not say how long it waited", op, err)
		}
	}
	if !fake.sawCtx.Load() {
		t.Error("the backend did not get a ctx with a deadline")
	}
}

func TestWithTimeoutPassesAnswersThrough(t *testing.T) {
	fake := &blockingBackend{delay: time.Millisecond}
	b := WithTimeout(fake, 5*time.Second)
	ctx := context.Background()
	got, err := b.Get(ctx, "k")
	if err != nil || !bytes.Equal(got, []byte("v:k")) {
		t.Fatalf("Get = %q, %v", got, err)
	}
	if err := b.Delete(ctx, "k"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("Delete = %v, want the backend's ErrNotFound", err)
	}
	if b.Name() != "secretservice" {
		t.Errorf("Name() = %q", b.Name())
	}
	if fake.finished.Load() != 2 {
		t.Errorf("%d calls finished, want 2", fake.finished.Load())
	}
}

func TestWithTimeoutHonoursCtx(t *testing.T) {
	fake := &blockingBackend{delay: -1, release: make(chan struct{})}
	defer close(fake.release)
	b := WithTimeout(fake, time.Hour)

	ctx, cancel := context.WithCancel(context.Background())
	go func() { time.Sleep(20 * time.Millisecond); cancel() }()
	if _, err := b.Get(ctx, "k"); !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled Get: %v, want context.Canceled", err)
	}

	ctx, cancel2 := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel2()
	if err := b.Set(ctx, "k", nil); !errors.Is(err, ErrTimeout) {
		t.Fatalf("Set past the caller's deadline: %v, want ErrTimeout", err)
	}

	// A ctx that is already done never reaches the backend.
	before := fake.finished.Load()
	done, cancel3 := context.WithCancel(context.Background())
	cancel3()
	fast := &blockingBackend{delay: 0}
	if err := WithTimeout(fast, time.Hour).Delete(done, "k"); !errors.Is(err, context.Canceled) {
		t.Fatalf("Delete with a done ctx: %v", err)
	}
	time.Sleep(10 * time.Millisecond)
	if fast.finished.Load() != 0 || fake.finished.Load() != before {
		t.Error("a call with a done ctx reached the backend")
	}
}

func TestWithTimeoutAbandonedCallEnds(t *testing.T) {
	fake := &blockingBackend{delay: 100 * time.Millisecond}
	b := WithTimeout(fake, 10*time.Millisecond)
	if _, err := b.Get(context.Background(), "k"); !errors.Is(err, ErrTimeout) {
		t.Fatalf("Get = %v, want ErrTimeout", err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for fake.finished.Load() != 1 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if fake.finished.Load() != 1 {
		t.Error("the abandoned call never finished (its goroutine is stuck on the result channel?)")
	}
}

func TestWithTimeoutDefaults(t *testing.T) {
	fake := &blockingBackend{}
	b := WithTimeout(fake, 0).(*timeoutBackend)
	if b.d != DefaultTimeout {
		t.Errorf("WithTimeout(b, 0) deadline %v, want %v", b.d, DefaultTimeout)
	}
	if WithTimeout(b, DefaultTimeout) != Backend(b) {
		t.Error("wrapping twice with the same deadline added a layer")
	}
}

// locatingBackend is a blockingBackend that is also a Locator.
type locatingBackend struct{ blockingBackend }

func (b *locatingBackend) SetAt(ctx context.Context, key string, data []byte) (string, error) {
	b.wait(ctx)
	return "place:" + key, nil
}

func (b *locatingBackend) GetAt(ctx context.Context, key, at string, _ func([]byte) bool) ([]byte, string, error) {
	b.wait(ctx)
	return []byte("v:" + key + "@" + at), "place:" + key, nil
}

// WithTimeout passes GetAt through to a Locator, bounded like Get, and
// turns it into Get (no place) for a backend that is not one.
func TestWithTimeoutGetAt(t *testing.T) {
	ctx := context.Background()
	data, found, err := GetAt(ctx, WithTimeout(&locatingBackend{}, time.Second), "k", "p", nil)
	if err != nil || string(data) != "v:k@p" || found != "place:k" {
		t.Errorf("GetAt through WithTimeout = %q, %q, %v", data, found, err)
	}
	if found, err := SetAt(ctx, WithTimeout(&locatingBackend{}, time.Second), "k", nil); err != nil || found != "place:k" {
		t.Errorf("SetAt through WithTimeout = %q, %v", found, err)
	}
	if found, err := SetAt(ctx, WithTimeout(&blockingBackend{}, time.Second), "k", nil); err != nil || found != "" {
		t.Errorf("SetAt of a backend that is no Locator = %q, %v", found, err)
	}
	data, found, err = GetAt(ctx, WithTimeout(&blockingBackend{}, time.Second), "k", "p", nil)
	if err != nil || string(data) != "v:k" || found != "" {
		t.Errorf("GetAt of a backend that is no Locator = %q, %q, %v", data, found, err)
	}
	slow := &locatingBackend{blockingBackend{delay: -1, release: make(chan struct{})}}
	defer close(slow.release)
	if data, found, err := GetAt(ctx, WithTimeout(slow, 50*time.Millisecond), "k", "p", nil); !errors.Is(err, ErrTimeout) || data != nil || found != "" {
		t.Errorf("GetAt past the deadline = %q, %q, %v; want ErrTimeout", data, found, err)
	}
}
