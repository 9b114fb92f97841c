//go:build linux

package main

import (
	"crypto/rand"
	"fmt"
)

const urlSafe = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-"

// newToken returns a random Docker Hub personal-access-token shape,
// dckr_pat_ and 27 characters of [A-Za-z0-9_-]: a token to every helper's
// eyes, and made up here, never a real one.
func newToken() string {
	var b [27]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(err) // crypto/rand does not fail on Linux
	}
	for i := range b {
		b[i] = urlSafe[int(b[i])%len(urlSafe)] // 256 is a multiple of 64: no bias
	}
	return "dckr_pat_" + string(b[:])
}

// identityUser is the username docker uses for an identity token.
const identityUser = "<token>"

// payloads makes the credentials every helper stores, the same for all.
type payloads struct {
	identity bool // username "<token>" instead of a user name
}

func (p payloads) entry(i int) creds {
	return p.at(fmt.Sprintf("registry-%d.example.com", i), i)
}

func (p payloads) at(serverURL string, i int) creds {
	user := fmt.Sprintf("bench-user-%d", i)
	if p.identity {
		user = identityUser
	}
	return creds{ServerURL: serverURL, Username: user, Secret: newToken()}
}
