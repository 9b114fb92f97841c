package keychaintest

import "os"

var terminate = os.Kill
