package keychain

// The Linux kernel-keyring backend ("keyctl").
//
// Items are "user" keys whose description is "docker-credential-pat:" + key,
// grouped in a keyring named "docker-credential-pat" inside the user's
// persistent keyring (_persistent.<uid>). Only the possessor may read them:
// the permission mask is possessor all, user view, group and other nothing,
// so other users, and processes of the same user that have not linked the
// persistent keyring, cannot read the secrets.
//
// Lifetime. The persistent keyring survives logouts but not reboots, and the
// kernel destroys it, with every token in it, once it has not been requested
// for kernel.keys.persistent_keyring_expiry seconds (default 259200, three
// days). Every operation of this backend requests it, so a token used at
// least every few days lives until the next reboot. Where the kernel has no
// persistent keyrings (CONFIG_PERSISTENT_KEYRINGS off), the backend falls back
// to the user keyring @u, which lives only while the user has a process
// running; Where says which one is in use.
//
// Size. A "user" key holds at most 32,767 bytes (KeyctlMaxItem, after a
// one-byte header), so wrap the backend with Chunked(b, KeyctlMaxItem) for
// bigger secrets. Every key is charged to the user's quota: for non-root
// users kernel.keys.maxbytes (default 20,000 bytes, description plus
// payload) and kernel.keys.maxkeys (default 200). A write that does not fit
// fails with ErrQuota. "big_key" is not used: it is often not built
// (CONFIG_BIG_KEYS) and is charged to the same quota.

// Where the keyctl backend keeps its items, as reported by Where.
const (
	KeyctlPersistent = "persistent" // the persistent keyring _persistent.<uid>
	KeyctlUser       = "user"       // the user keyring @u (fallback)
)

// KeyctlMaxItem is the largest item the keyctl backend stores in one key:
// the "user" key type's 32,767-byte payload minus a one-byte header.
const KeyctlMaxItem = 32767 - 1

// KeyctlWhere is implemented by the keyctl backend: Where returns
// KeyctlPersistent or KeyctlUser.
type KeyctlWhere interface {
	Where() string
}

// KeyctlQuota is the kernel key quota of the current user, from
// /proc/key-users and /proc/sys/kernel/keys.
type KeyctlQuota struct {
	Keys, MaxKeys   int // keys owned, kernel.keys.maxkeys (root_maxkeys for root)
	Bytes, MaxBytes int // bytes charged, kernel.keys.maxbytes (root_maxbytes for root)
	// PersistentExpirySeconds is kernel.keys.persistent_keyring_expiry.
	PersistentExpirySeconds int
}

// keyctlRing is the keyring the keyctl backends of this process keep their
// items in; UseKeyctlRing changes it.
var keyctlRing = Service

// UseKeyctlRing makes every keyctl backend this process opens afterwards
// keep its items in the keyring named ring instead of
// "docker-credential-pat". It is for tests, so that each test or script has
// keys of its own and never touches real entries (keychaintest makes and
// removes such keyrings). Call it before opening a backend.
func UseKeyctlRing(ring string) { keyctlRing = ring }
