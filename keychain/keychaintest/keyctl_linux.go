package keychaintest

import (
	"errors"
	"fmt"
	"runtime"

	"golang.org/x/sys/unix"
)

// RemoveKeyctlRing empties the kernel keyring named ring (a test keyring
// from NewKeyctlRing) and takes it out of the user's persistent keyring, or
// of the user keyring where the kernel has no persistent keyrings, as the
// keyctl backend places it. A keyring that does not exist is no error.
func RemoveKeyctlRing(ring string) error {
	if err := checkRing(ring); err != nil {
		return err
	}
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	// Linked into this thread's keyring, the base keyring and what is in
	// it are ours to search and change (the backend's "possession").
	base, err := unix.KeyctlInt(unix.KEYCTL_GET_PERSISTENT, -1, unix.KEY_SPEC_THREAD_KEYRING, 0, 0)
	if errors.Is(err, unix.EOPNOTSUPP) {
		if base, err = unix.KeyctlGetKeyringID(unix.KEY_SPEC_USER_KEYRING, true); err == nil {
			_, err = unix.KeyctlInt(unix.KEYCTL_LINK, base, unix.KEY_SPEC_THREAD_KEYRING, 0, 0)
		}
	}
	if err != nil {
		return fmt.Errorf("keychaintest: base keyring: %w", err)
	}
	id, err := unix.KeyctlSearch(base, "keyring", ring, 0)
	if errors.Is(err, unix.ENOKEY) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("keychaintest: find keyring %s: %w", ring, err)
	}
	unix.KeyctlInt(unix.KEYCTL_CLEAR, id, 0, 0, 0)
	if _, err := unix.KeyctlInt(unix.KEYCTL_UNLINK, id, base, 0, 0); err != nil {
		return fmt.Errorf("keychaintest: unlink keyring %s: %w", ring, err)
	}
	return nil
}

// keyctlAvailable reports why the kernel keyring cannot be used, or "".
func keyctlAvailable() string {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	_, err := unix.KeyctlGetKeyringID(unix.KEY_SPEC_USER_KEYRING, true)
	if err != nil {
		return "the kernel keyring is not usable here (keyctl: " + err.Error() + ")"
	}
	return ""
}
