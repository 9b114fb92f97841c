// Package protocol is the edge where docker talks to the helper: the
// credential-helper actions read from stdin and answered on stdout, with
// docker's exact wire strings. It decodes and checks the input, bounds it,
// and hands the action to a credentials.Helper (the store).
package protocol

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"

	"github.com/docker-credential-pat/docker-credential-pat/credstore/registryurl"
	"github.com/docker/docker-credential-helpers/credentials"
)

// MaxInput bounds what a protocol action reads from stdin: a 64 KiB token,
// JSON-escaped six times over, still fits.
const MaxInput = 1 << 20

// maxUsername bounds a username; registries accept far less.
const maxUsername = 1024

// Errors of the protocol edge. None of them quotes the input: docker prints
// a helper's stdout inside its own error messages, and the input may hold a
// secret.
var (
	ErrInputTooLarge = fmt.Errorf("input on stdin is larger than %d bytes", MaxInput)
	ErrBadJSON       = errors.New(`invalid credentials on stdin: want one JSON object {"ServerURL":…,"Username":…,"Secret":…}`)
	ErrBadUsername   = errors.New("invalid username: it must be valid UTF-8 without control characters, at most 1024 bytes")
	ErrUnknownAction = errors.New("unknown action: want store, get, erase, list or version (see docker-credential-pat --help)")
)

// IsAction reports whether name is one of the protocol's actions.
func IsAction(name string) bool {
	switch name {
	case credentials.ActionStore, credentials.ActionGet, credentials.ActionErase,
		credentials.ActionList, credentials.ActionVersion:
		return true
	}
	return false
}

// Serve runs one protocol action against h, reading at most MaxInput bytes
// from in and writing docker's answer to out. A non-nil error's text is the
// one line the helper prints on stdout before exiting 1; the credentials
// package's errors keep their exact wire strings.
//
// get, erase, list and version go through credentials.HandleCommand, so the
// wire format is docker's own. store is decoded here: HandleCommand reads it
// with a bufio.Scanner whose 64 KiB line limit would refuse big tokens.
func Serve(h credentials.Helper, action string, in io.Reader, out io.Writer) error {
	if !IsAction(action) {
		return ErrUnknownAction
	}
	if action == credentials.ActionList || action == credentials.ActionVersion {
		// docker sends "unused" to list; nothing to read or check.
		return credentials.HandleCommand(h, action, bytes.NewReader(nil), out)
	}
	data, err := io.ReadAll(io.LimitReader(in, MaxInput+1))
	if err != nil {
		return fmt.Errorf("reading stdin: %w", err)
	}
	if len(data) > MaxInput {
		return ErrInputTooLarge
	}
	if action == credentials.ActionStore {
		creds, err := decodeStore(data)
		if err != nil {
			return err
		}
		return h.Add(creds)
	}
	serverURL := strings.TrimSpace(string(data))
	if serverURL == "" {
		return credentials.NewErrCredentialsMissingServerURL()
	}
	if _, err := registryurl.Canonical(serverURL); err != nil {
		return err
	}
	return credentials.HandleCommand(h, action, strings.NewReader(serverURL), out)
}

func decodeStore(data []byte) (*credentials.Credentials, error) {
	if !utf8.Valid(data) {
		return nil, ErrBadJSON
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	var creds credentials.Credentials
	if err := dec.Decode(&creds); err != nil {
		return nil, ErrBadJSON
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, ErrBadJSON // trailing data after the object
	}
	if creds.ServerURL == "" {
		return nil, credentials.NewErrCredentialsMissingServerURL()
	}
	if creds.Username == "" {
		return nil, credentials.NewErrCredentialsMissingUsername()
	}
	if _, err := registryurl.Canonical(creds.ServerURL); err != nil {
		return nil, err
	}
	if !validText(creds.Username, maxUsername) {
		return nil, ErrBadUsername
	}
	return &creds, nil
}

// validText reports whether s is valid UTF-8 of at most max bytes without
// control characters.
func validText(s string, max int) bool {
	if len(s) > max || !utf8.ValidString(s) {
		return false
	}
	for _, r := range s {
		if r < ' ' || r == 0x7f {
			return false
		}
	}
	return true
}

// CheckUsername refuses a username the protocol's store would refuse.
func CheckUsername(u string) error {
	if u == "" {
		return errors.New("empty username")
	}
	if !validText(u, maxUsername) {
		return ErrBadUsername
	}
	return nil
}
