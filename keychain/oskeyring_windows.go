package keychain

const (
	osName  = NameWincred
	osLabel = "Windows Credential Manager"
	// osMaxItem is Credential Manager's CRED_MAX_CREDENTIAL_BLOB_SIZE for
	// a generic credential (go-keyring refuses more with ErrSetDataTooBig;
	// Windows itself says "The stub received bad data").
	osMaxItem = 2560
)

func newOS(Options) Backend { return newGoKeyring() }
