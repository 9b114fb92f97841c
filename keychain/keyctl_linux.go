//go:build linux

package keychain

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"runtime"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

const (
	keyctlName = "keyctl"
	// keyctlPerm: possessor view, read, write, search, link, setattr; the
	// owner (without possession) view; group and other nothing.
	keyctlPerm = 0x3f010000
	// keyctlHeader is the first byte of every item: format version 1. It
	// also lets an empty secret be stored, which "user" keys refuse.
	keyctlHeader = 1
	// keyctlMaxDesc is the kernel's limit on a description, NUL included.
	keyctlMaxDesc = 4096
	// keyctlReadTries bounds the re-reads of an item that grows meanwhile.
	keyctlReadTries = 4
)

type keyctlBackend struct {
	ring  string // description of our keyring inside the base keyring
	where string // KeyctlPersistent or KeyctlUser
	// anchor is the keyring the base keyring is linked into, so that we
	// possess it: our session keyring (the user-session keyring _uid_ses
	// if the process has none), shared by all threads and charged no
	// quota; or, where that is not ours to write, the thread keyring.
	anchor int
}

// NewKeyctl returns the Linux kernel-keyring backend; see the notes at the
// top of keyctl.go for where items live and how long. It fails with
// ErrUnavailable where keyctl(2) is blocked (containers under the default
// seccomp profile) or the kernel has no key support.
func NewKeyctl() (Backend, error) { return newKeyctl(keyctlRing) }

func newKeyctl(ring string) (*keyctlBackend, error) {
	k := &keyctlBackend{ring: ring, where: KeyctlPersistent, anchor: unix.KEY_SPEC_THREAD_KEYRING}
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	// The serial number, not KEY_SPEC_SESSION_KEYRING: that special id
	// would make the kernel join a new session keyring for this thread.
	// Only a session keyring of our own: one inherited from another user
	// (su or sudo without pam_keyinit) would let that user possess our keys.
	if sid, err := unix.KeyctlGetKeyringID(unix.KEY_SPEC_SESSION_KEYRING, false); err == nil && ownedByUs(sid) {
		k.anchor = sid
	}
	_, err := k.base()
	if errors.Is(err, unix.EOPNOTSUPP) {
		k.where = KeyctlUser
		_, err = k.base()
	}
	if err != nil {
		return nil, &Error{Backend: keyctlName, Op: "open", Kind: ErrUnavailable,
			Detail: "keyctl: " + err.Error(),
			Hint:   "the kernel keyring is not usable here (containers block keyctl by default); use --backend secretservice"}
	}
	return k, nil
}

// ownedByUs reports whether key id belongs to our effective uid.
func ownedByUs(id int) bool {
	d, err := unix.KeyctlString(unix.KEYCTL_DESCRIBE, id) // type;uid;gid;perm;description
	f := strings.SplitN(d, ";", 3)
	return err == nil && len(f) == 3 && f[1] == strconv.Itoa(os.Geteuid())
}

func (k *keyctlBackend) Name() string { return keyctlName }

// Where returns KeyctlPersistent, or KeyctlUser when the kernel has no
// persistent keyrings and the items live in the user keyring @u.
func (k *keyctlBackend) Where() string { return k.where }

// base returns the keyring our keyring lives in, linked into k.anchor so
// that we possess it. The caller must hold runtime.LockOSThread, in case
// the anchor is the thread keyring. Requesting the persistent keyring also
// resets its expiry timer.
func (k *keyctlBackend) base() (int, error) {
	if k.where == KeyctlPersistent {
		return unix.KeyctlInt(unix.KEYCTL_GET_PERSISTENT, -1, k.anchor, 0, 0)
	}
	id, err := unix.KeyctlGetKeyringID(unix.KEY_SPEC_USER_KEYRING, true)
	if err != nil {
		return 0, err
	}
	_, err = unix.KeyctlInt(unix.KEYCTL_LINK, id, k.anchor, 0, 0)
	return id, err
}

// group returns our keyring inside the base keyring, creating it if create
// is set. A missing keyring without create is unix.ENOKEY.
func (k *keyctlBackend) group(create bool) (int, error) {
	base, err := k.base()
	if err != nil {
		return 0, err
	}
	id, err := unix.KeyctlSearch(base, "keyring", k.ring, 0)
	if err == nil || !create || !errors.Is(err, unix.ENOKEY) {
		return id, err
	}
	// Create it in the thread keyring, then move it into the base keyring
	// only if no other process did so meanwhile (KEYCTL_MOVE_EXCL): linking
	// directly would displace a keyring another process just filled.
	id, err = unix.AddKey("keyring", k.ring, nil, unix.KEY_SPEC_THREAD_KEYRING)
	if err != nil {
		return 0, err
	}
	if err := unix.KeyctlSetperm(id, keyctlPerm); err != nil {
		return 0, err
	}
	_, err = unix.KeyctlInt(unix.KEYCTL_MOVE, id, unix.KEY_SPEC_THREAD_KEYRING, base, unix.KEYCTL_MOVE_EXCL)
	switch {
	case err == nil:
		return id, nil
	case errors.Is(err, unix.EEXIST):
		unix.KeyctlInt(unix.KEYCTL_UNLINK, id, unix.KEY_SPEC_THREAD_KEYRING, 0, 0)
		return unix.KeyctlSearch(base, "keyring", k.ring, 0)
	case errors.Is(err, unix.EOPNOTSUPP), errors.Is(err, unix.EINVAL):
		// Kernels before 5.1 have no KEYCTL_MOVE: link, with the race.
		_, err = unix.KeyctlInt(unix.KEYCTL_LINK, id, base, 0, 0)
		unix.KeyctlInt(unix.KEYCTL_UNLINK, id, unix.KEY_SPEC_THREAD_KEYRING, 0, 0)
		return id, err
	}
	return 0, err
}

func (k *keyctlBackend) desc(op, key string) (string, error) {
	d := Service + ":" + key
	if key == "" || strings.IndexByte(key, 0) >= 0 || len(d) >= keyctlMaxDesc {
		return "", &Error{Backend: keyctlName, Op: op, Kind: ErrBadKey,
			Detail: "empty, NUL or longer than the kernel's 4095-byte description"}
	}
	return d, nil
}

func (k *keyctlBackend) Set(ctx context.Context, key string, data []byte) error {
	desc, err := k.desc("set", key)
	if err != nil {
		return err
	}
	if len(data) > KeyctlMaxItem {
		return &Error{Backend: keyctlName, Op: "set", Kind: ErrTooBig,
			Detail: fmt.Sprintf("%d bytes, a kernel key holds at most %d", len(data), KeyctlMaxItem)}
	}
	if err := ctx.Err(); err != nil {
		return keyctlCtxError(keyctlName, "set", err)
	}
	payload := make([]byte, 1+len(data))
	payload[0] = keyctlHeader
	copy(payload[1:], data)
	defer clear(payload)

	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	ring, err := k.group(true)
	if err != nil {
		return keyctlError("set", err)
	}
	// add_key with the type and description of an existing key in the same
	// keyring updates that key's payload in place, atomically.
	id, err := unix.AddKey("user", desc, payload, ring)
	if errors.Is(err, unix.EKEYREVOKED) || errors.Is(err, unix.EKEYEXPIRED) {
		// A dead key with our description: drop it and add afresh.
		if old, serr := unix.KeyctlSearch(ring, "user", desc, 0); serr == nil {
			unix.KeyctlInt(unix.KEYCTL_UNLINK, old, ring, 0, 0)
		}
		id, err = unix.AddKey("user", desc, payload, ring)
	}
	if err != nil {
		return keyctlError("set", err)
	}
	if err := unix.KeyctlSetperm(id, keyctlPerm); err != nil {
		return keyctlError("set", err)
	}
	return nil
}

func (k *keyctlBackend) Get(ctx context.Context, key string) ([]byte, error) {
	desc, err := k.desc("get", key)
	if err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, keyctlCtxError(keyctlName, "get", err)
	}
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	id, err := k.find(desc)
	if err != nil {
		return nil, keyctlError("get", err)
	}
	buf := make([]byte, 4096)
	for range keyctlReadTries {
		n, err := unix.KeyctlBuffer(unix.KEYCTL_READ, id, buf, 0)
		if err != nil {
			clear(buf)
			return nil, keyctlError("get", err)
		}
		if n <= len(buf) {
			if n < 1 || buf[0] != keyctlHeader {
				clear(buf)
				return nil, &Error{Backend: keyctlName, Op: "get", Kind: ErrCorrupt,
					Detail: "the key was not written by docker-credential-pat",
					Hint:   "erase it with docker logout, then log in again"}
			}
			data := bytes.Clone(buf[1:n])
			clear(buf)
			return data, nil
		}
		clear(buf)
		buf = make([]byte, n) // it grew: read again with room for it all
	}
	return nil, &Error{Backend: keyctlName, Op: "get", Kind: ErrUnavailable,
		Detail: "the key kept changing size while being read"}
}

// find returns the id of the item described desc; unix.ENOKEY if none.
func (k *keyctlBackend) find(desc string) (int, error) {
	ring, err := k.group(false)
	if err != nil {
		return 0, err
	}
	return unix.KeyctlSearch(ring, "user", desc, 0)
}

func (k *keyctlBackend) Delete(ctx context.Context, key string) error {
	desc, err := k.desc("delete", key)
	if err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return keyctlCtxError(keyctlName, "delete", err)
	}
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	ring, err := k.group(false)
	if err != nil {
		return keyctlError("delete", err)
	}
	id, err := unix.KeyctlSearch(ring, "user", desc, 0)
	if err != nil {
		return keyctlError("delete", err)
	}
	// Invalidate destroys the payload wherever the key is linked; the unlink
	// takes it out of our keyring at once rather than at garbage collection.
	_, ierr := unix.KeyctlInt(unix.KEYCTL_INVALIDATE, id, 0, 0, 0)
	_, uerr := unix.KeyctlInt(unix.KEYCTL_UNLINK, id, ring, 0, 0)
	if ierr != nil && uerr != nil {
		return keyctlError("delete", uerr)
	}
	return nil
}

// keyctlError maps an errno from the keyring to an *Error.
func keyctlError(op string, err error) error {
	e := &Error{Backend: keyctlName, Op: op, Kind: ErrUnavailable, Detail: "keyctl: " + err.Error()}
	switch {
	case errors.Is(err, unix.ENOKEY), errors.Is(err, unix.EKEYREVOKED), errors.Is(err, unix.EKEYEXPIRED):
		// Gone, revoked or expired: as far as the caller can tell, not there.
		e.Kind, e.Detail = ErrNotFound, ""
	case errors.Is(err, unix.EDQUOT):
		e.Kind = ErrQuota
		e.Hint = "erase unused entries with docker logout, check the limit with sysctl kernel.keys.maxbytes kernel.keys.maxkeys, or use --backend secretservice"
	case errors.Is(err, unix.EACCES):
		e.Kind = ErrDenied
		e.Hint = "the key belongs to another user or process; check it with keyctl show %:" + Service
	case errors.Is(err, unix.ENOSYS), errors.Is(err, unix.EPERM):
		e.Hint = "the kernel keyring is not usable here (containers block keyctl by default); use --backend secretservice"
	}
	return e
}

// keyctlCtxError maps a context error to ErrTimeout, or ErrUnavailable if cancelled.
func keyctlCtxError(backend, op string, err error) error {
	kind := ErrUnavailable
	if errors.Is(err, context.DeadlineExceeded) {
		kind = ErrTimeout
	}
	return &Error{Backend: backend, Op: op, Kind: kind, Detail: err.Error()}
}

// ReadKeyctlQuota returns the current user's kernel key quota and usage.
func ReadKeyctlQuota() (KeyctlQuota, error) {
	var q KeyctlQuota
	f, err := os.Open("/proc/key-users")
	if err != nil {
		return q, err
	}
	defer f.Close()
	// "  1000:     5 5/5 5/200 137/20000": uid: usage nkeys/ninstantiated
	// qnkeys/maxkeys qnbytes/maxbytes.
	prefix := strconv.Itoa(os.Geteuid()) + ":"
	found := false
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) != 5 || fields[0] != prefix {
			continue
		}
		_, err1 := fmt.Sscanf(fields[3], "%d/%d", &q.Keys, &q.MaxKeys)
		_, err2 := fmt.Sscanf(fields[4], "%d/%d", &q.Bytes, &q.MaxBytes)
		if err := errors.Join(err1, err2); err != nil {
			return q, fmt.Errorf("/proc/key-users: %w", err)
		}
		found = true
	}
	if err := sc.Err(); err != nil {
		return q, err
	}
	if !found {
		// No key charged yet: the limits still apply.
		max := "maxbytes"
		keys := "maxkeys"
		if os.Geteuid() == 0 {
			max, keys = "root_maxbytes", "root_maxkeys"
		}
		q.MaxBytes, _ = readSysctlInt(max)
		q.MaxKeys, _ = readSysctlInt(keys)
	}
	q.PersistentExpirySeconds, err = readSysctlInt("persistent_keyring_expiry")
	return q, err
}

func readSysctlInt(name string) (int, error) {
	b, err := os.ReadFile("/proc/sys/kernel/keys/" + name)
	if err != nil {
		return 0, err
	}
	return strconv.Atoi(strings.TrimSpace(string(b)))
}
