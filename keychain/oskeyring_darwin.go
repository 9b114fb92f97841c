package keychain

const (
	osName  = NameKeychain
	osLabel = "the macOS login keychain"
	// osMaxItem is the most data one item takes. go-keyring writes
	// `add-generic-password -U -s 'docker-credential-pat' -a '<key>' -w
	// 'go-keyring-base64:<base64>'` to `security -i`, which reads lines of at
	// most 4,096 bytes: 79 bytes of fixed text, the quoted key and 4/3 of
	// the data. 2,600 bytes (3,468 in base64) leave room for keys of up to
	// about 540 bytes, chunk suffixes included.
	osMaxItem = 2600
)

func newOS(Options) Backend { return newGoKeyring() }
