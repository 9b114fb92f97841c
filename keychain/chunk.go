package keychain

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
)

// More kinds of failure (see keychain.go).
var (
	// ErrCorrupt: what is stored cannot be the data that was written (a
	// chunk is missing, the length or SHA-256 does not match, an unknown
	// format). Never answered with wrong data instead.
	ErrCorrupt = errors.New("item in the keychain is corrupt")
	// ErrBadKey: the key cannot be stored (empty, NUL, too long, or it
	// contains the chunk separator " #chunk/").
	ErrBadKey = errors.New("key is not valid for the keychain")
)

// Stored layout of the chunking wrapper.
//
// Data that fits in one item is stored under key as it is, unless it starts
// with chunkMagic: then it is stored as plainTag+data, so a plain value is
// never taken for a manifest. Bigger data goes into chunks under
// key+" #chunk/<gen>/<i>" (gen: 16 random hex digits, i from 0), and a
// manifest under key:
//
//	#dcp-keychain:chunks v1 <gen> <count> <length> <sha256 hex>
//
// Server keys are canonical URLs without spaces, so a chunk key cannot be
// another entry's key; keys containing " #chunk/" are refused.
//
// A Set writes a pending record under key+" #chunk/pending" naming the
// generations it may leave behind (the current one and the one being
// written), then the chunks, then the manifest (the commit), then deletes
// the chunks of the previous generation and the pending record. If the
// process dies between any two calls, key still holds the old value or the
// new one, complete; the next Set or Delete of the key removes whatever the
// pending record names that the manifest does not use.
const (
	chunkMagic  = "#dcp-keychain:"
	manifestTag = chunkMagic + "chunks v1 "
	pendingTag  = chunkMagic + "pending v1"
	plainTag    = chunkMagic + "plain "
	chunkSep    = " #chunk/"
	pendingName = chunkSep + "pending"

	// MinChunkItem is the smallest maxItem Chunked accepts: room for a
	// manifest and a pending record.
	MinChunkItem = 256
	maxChunks    = 4096
	getTries     = 3 // reads of a value being replaced meanwhile
)

type manifest struct {
	gen    string
	count  int
	length int
	sum    [sha256.Size]byte
}

func (m manifest) String() string {
	return fmt.Sprintf("%s%s %d %d %x", manifestTag, m.gen, m.count, m.length, m.sum)
}

type chunked struct {
	b   Backend
	max int
	mu  sync.RWMutex // serialises Set and Delete, and Get against them, within the process
}

// Chunked returns b wrapped so that data larger than maxItem bytes is split
// across several items with a manifest (see the layout above). An
// interrupted Set leaves the old value or the new one, never a mix; a
// mismatch on read is ErrCorrupt.
//
// Set and Delete are serialised within the process. Processes that write
// the same key concurrently must hold a common lock (the credential store's),
// otherwise one may sweep the chunks the other is writing: that is then
// reported as ErrCorrupt, not answered with wrong data. maxItem below
// MinChunkItem panics.
func Chunked(b Backend, maxItem int) Backend {
	if maxItem < MinChunkItem {
		panic(fmt.Sprintf("keychain: Chunked maxItem %d below %d", maxItem, MinChunkItem))
	}
	return &chunked{b: b, max: maxItem}
}

func (c *chunked) Name() string { return c.b.Name() }

// Unwrap returns the wrapped backend, e.g. to ask the keyctl backend Where.
func (c *chunked) Unwrap() Backend { return c.b }

func (c *chunked) checkKey(op, key string) error {
	if key == "" || strings.Contains(key, chunkSep) {
		return &Error{Backend: c.b.Name(), Op: op, Kind: ErrBadKey, Detail: "empty or containing " + strconv.Quote(chunkSep)}
	}
	return nil
}

func chunkKey(key, gen string, i int) string { return key + chunkSep + gen + "/" + strconv.Itoa(i) }

// decoded is what one stored item under a key means.
type decoded struct {
	plain []byte    // the value, if stored plain
	m     *manifest // the manifest, if chunked
}

func (c *chunked) decode(op string, raw []byte) (decoded, error) {
	s := raw
	switch {
	case !bytes.HasPrefix(s, []byte(chunkMagic)):
		return decoded{plain: raw}, nil
	case bytes.HasPrefix(s, []byte(plainTag)):
		return decoded{plain: raw[len(plainTag):]}, nil
	case bytes.HasPrefix(s, []byte(manifestTag)):
		if m, ok := parseManifest(string(raw[len(manifestTag):])); ok {
			return decoded{m: &m}, nil
		}
	}
	return decoded{}, c.corrupt(op, "unknown or damaged manifest")
}

func parseManifest(s string) (manifest, bool) {
	var m manifest
	f := strings.Split(s, " ")
	if len(f) != 4 || !isGen(f[0]) {
		return m, false
	}
	m.gen = f[0]
	var err1, err2 error
	m.count, err1 = strconv.Atoi(f[1])
	m.length, err2 = strconv.Atoi(f[2])
	sum, err3 := hex.DecodeString(f[3])
	if errors.Join(err1, err2, err3) != nil || len(sum) != sha256.Size ||
		m.count < 1 || m.count > maxChunks || m.length < 0 || m.length > maxChunks*(1<<20) {
		return m, false
	}
	copy(m.sum[:], sum)
	return m, true
}

func isGen(s string) bool {
	_, err := hex.DecodeString(s)
	return len(s) == 16 && err == nil
}

func (c *chunked) corrupt(op, detail string) error {
	return &Error{Backend: c.b.Name(), Op: op, Kind: ErrCorrupt, Detail: detail,
		Hint: "erase the entry with docker logout, then log in again"}
}

func (c *chunked) Get(ctx context.Context, key string) ([]byte, error) {
	if err := c.checkKey("get", key); err != nil {
		return nil, err
	}
	c.mu.RLock()
	defer c.mu.RUnlock()
	var err error
	for range getTries {
		var raw []byte
		raw, err = c.b.Get(ctx, key)
		if err != nil {
			return nil, err
		}
		var d decoded
		if d, err = c.decode("get", raw); err != nil {
			return nil, err
		}
		if d.m == nil {
			return d.plain, nil
		}
		var data []byte
		if data, err = c.readChunks(ctx, key, *d.m); err == nil {
			return data, nil
		}
		if !errors.Is(err, ErrCorrupt) {
			return nil, err
		}
		// A chunk is missing or wrong: a concurrent Set may have replaced
		// the value and swept these chunks. Read the manifest again; if it
		// is unchanged the damage is real.
		again, gerr := c.b.Get(ctx, key)
		if gerr != nil || bytes.Equal(again, raw) {
			return nil, err
		}
	}
	return nil, err
}

func (c *chunked) readChunks(ctx context.Context, key string, m manifest) ([]byte, error) {
	data := make([]byte, 0, m.length)
	for i := range m.count {
		part, err := c.b.Get(ctx, chunkKey(key, m.gen, i))
		if errors.Is(err, ErrNotFound) {
			clear(data)
			return nil, c.corrupt("get", fmt.Sprintf("chunk %d of %d is missing", i+1, m.count))
		}
		if err != nil {
			clear(data)
			return nil, err
		}
		if len(data)+len(part) > m.length {
			clear(data)
			return nil, c.corrupt("get", "chunks longer than the manifest says")
		}
		data = append(data, part...)
		clear(part)
	}
	sum := sha256.Sum256(data)
	if len(data) != m.length || subtle.ConstantTimeCompare(sum[:], m.sum[:]) != 1 {
		clear(data)
		return nil, c.corrupt("get", "chunks do not match the manifest's length and sha-256")
	}
	return data, nil
}

// state is what Set and Delete find before they write: the manifest under
// key (nil if plain, missing or unreadable) and the generations a pending
// record names.
type state struct {
	cur     *manifest
	pending []manifest // gen and count only
}

func (c *chunked) state(ctx context.Context, op, key string) (state, error) {
	var st state
	raw, err := c.b.Get(ctx, key)
	switch {
	case err == nil:
		if d, derr := c.decode(op, raw); derr == nil {
			st.cur = d.m
		}
		clear(raw)
	case !errors.Is(err, ErrNotFound):
		return st, err
	}
	raw, err = c.b.Get(ctx, key+pendingName)
	switch {
	case err == nil:
		st.pending = parsePending(string(raw))
	case !errors.Is(err, ErrNotFound):
		return st, err
	}
	return st, nil
}

// stale returns the generations of st.pending the current manifest does
// not use.
func (st state) stale() []manifest {
	var out []manifest
	for _, p := range st.pending {
		if st.cur == nil || p.gen != st.cur.gen {
			out = append(out, p)
		}
	}
	return out
}

func pendingRecord(gens ...*manifest) []byte {
	var b strings.Builder
	b.WriteString(pendingTag)
	for _, m := range gens {
		if m != nil {
			fmt.Fprintf(&b, " %s:%d", m.gen, m.count)
		}
	}
	return []byte(b.String())
}

func parsePending(s string) []manifest {
	rest, ok := strings.CutPrefix(s, pendingTag)
	if !ok {
		return nil
	}
	var out []manifest
	for _, f := range strings.Fields(rest) {
		gen, n, ok := strings.Cut(f, ":")
		count, err := strconv.Atoi(n)
		if ok && err == nil && isGen(gen) && count >= 1 && count <= maxChunks {
			out = append(out, manifest{gen: gen, count: count})
		}
	}
	return out
}

// sweep deletes the chunks of the given generations; missing ones are fine.
func (c *chunked) sweep(ctx context.Context, key string, gens ...*manifest) error {
	var errs []error
	for _, m := range gens {
		if m == nil {
			continue
		}
		for i := m.count - 1; i >= 0; i-- {
			if err := c.b.Delete(ctx, chunkKey(key, m.gen, i)); err != nil && !errors.Is(err, ErrNotFound) {
				errs = append(errs, err)
			}
		}
	}
	return errors.Join(errs...)
}

// deletePending removes the pending record; missing is fine.
func (c *chunked) deletePending(ctx context.Context, key string) error {
	err := c.b.Delete(ctx, key+pendingName)
	if errors.Is(err, ErrNotFound) {
		return nil
	}
	return err
}

func (c *chunked) Set(ctx context.Context, key string, data []byte) error {
	if err := c.checkKey("set", key); err != nil {
		return err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	st, err := c.state(ctx, "set", key)
	if err != nil {
		return err
	}
	stale := st.stale()
	if len(stale) > 0 {
		if err := c.sweep(ctx, key, ptrs(stale)...); err != nil {
			return err
		}
	}

	plain := data
	if bytes.HasPrefix(data, []byte(chunkMagic)) {
		plain = append([]byte(plainTag), data...)
		defer clear(plain)
	}
	if len(plain) <= c.max {
		if st.cur == nil {
			if err := c.b.Set(ctx, key, plain); err != nil {
				return err
			}
			if len(st.pending) > 0 {
				return c.deletePending(ctx, key)
			}
			return nil
		}
		if err := c.b.Set(ctx, key+pendingName, pendingRecord(st.cur)); err != nil {
			return err
		}
		if err := c.b.Set(ctx, key, plain); err != nil {
			return err
		}
		return c.cleanup(ctx, key, st.cur)
	}

	next := &manifest{gen: newGen(), count: (len(data) + c.max - 1) / c.max, length: len(data), sum: sha256.Sum256(data)}
	if next.count > maxChunks {
		return &Error{Backend: c.b.Name(), Op: "set", Kind: ErrTooBig,
			Detail: fmt.Sprintf("%d bytes would take more than %d chunks", len(data), maxChunks)}
	}
	if err := c.b.Set(ctx, key+pendingName, pendingRecord(st.cur, next)); err != nil {
		return err
	}
	for i := range next.count {
		part := data[i*c.max : min(len(data), (i+1)*c.max)]
		if err := c.b.Set(ctx, chunkKey(key, next.gen, i), part); err != nil {
			c.sweep(ctx, key, next) // best effort; the pending record remains
			return err
		}
	}
	if err := c.b.Set(ctx, key, []byte(next.String())); err != nil {
		c.sweep(ctx, key, next)
		return err
	}
	return c.cleanup(ctx, key, st.cur)
}

// cleanup runs after a commit: it sweeps the previous generation and then
// drops the pending record. The value is safely stored, so a failure here
// is not reported; the pending record makes the next Set or Delete retry.
func (c *chunked) cleanup(ctx context.Context, key string, prev *manifest) error {
	if c.sweep(ctx, key, prev) == nil {
		c.deletePending(ctx, key)
	}
	return nil
}

func ptrs(ms []manifest) []*manifest {
	out := make([]*manifest, len(ms))
	for i := range ms {
		out[i] = &ms[i]
	}
	return out
}

func newGen() string {
	var b [8]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

func (c *chunked) Delete(ctx context.Context, key string) error {
	if err := c.checkKey("delete", key); err != nil {
		return err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	st, err := c.state(ctx, "delete", key)
	if err != nil {
		return err
	}
	gens := ptrs(st.stale())
	if st.cur != nil {
		// Record the chunks before the manifest goes, so a crash after the
		// delete cannot strand them.
		if err := c.b.Set(ctx, key+pendingName, pendingRecord(append(gens, st.cur)...)); err != nil {
			return err
		}
		gens = append(gens, st.cur)
	}
	delErr := c.b.Delete(ctx, key)
	if delErr != nil && !errors.Is(delErr, ErrNotFound) {
		return delErr
	}
	if len(gens) > 0 || len(st.pending) > 0 {
		if c.sweep(ctx, key, gens...) == nil {
			c.deletePending(ctx, key)
		}
	}
	return delErr
}
