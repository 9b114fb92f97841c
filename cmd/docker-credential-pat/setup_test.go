package main

import (
	"encoding/base64"

	"github.com/rogpeppe/go-internal/testscript"
)

func init() {
	// dockerauth VAR USER SECRETVAR: set $VAR to config.json's "auth"
	// value for USER and the secret in $SECRETVAR: base64 of USER:SECRET.
	// The secret stays in the script's environment, never in argv.
	scriptCmds["dockerauth"] = func(ts *testscript.TestScript, neg bool, args []string) {
		if neg || len(args) != 3 {
			ts.Fatalf("usage: dockerauth VAR USER SECRETVAR")
		}
		secret := ts.Getenv(args[2])
		if secret == "" {
			ts.Fatalf("dockerauth: $%s is empty", args[2])
		}
		ts.Setenv(args[0], base64.StdEncoding.EncodeToString([]byte(args[1]+":"+secret)))
	}
}
