package keychain

import "context"

const (
	osName    = NameWincred
	osLabel   = "Windows Credential Manager"
	osEncodes = false // the credential blob holds any bytes
	// osMaxItem is Credential Manager's CRED_MAX_CREDENTIAL_BLOB_SIZE for
	// a generic credential (go-keyring refuses more with ErrSetDataTooBig;
	// Windows itself says "The stub received bad data").
	osMaxItem = 2560
)

func (b *osBackend) preflight(ctx context.Context, op string) error { return nil }
