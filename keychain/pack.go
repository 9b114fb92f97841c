package keychain

import (
	"encoding/base64"
	"strings"
	"unicode/utf8"
)

// Item encoding of the Secret Service backend. Its items are text (content
// type text/plain, which other implementations may take at its word, and
// what go-keyring wrote for earlier versions): data that is not plain text
// (invalid UTF-8 or a NUL), that starts with the prefix, or that holds a
// '{' is stored as encodedPrefix + standard base64; everything else, bare
// tokens included, is stored as it is, so `secret-tool lookup` shows it
// and nothing grows. KeePassXC 2.7.4 reads a '{' in a password as the
// start of a placeholder ({USERNAME}, {REF:...}): a JSON value made it log
// "Maximum depth of replacement has been reached" on every store and, after
// a few stores and deletes, crash (segfault in 4 of 9 runs of ten quick
// replaces; none in 9 with the same values encoded).
const encodedPrefix = "dcp-b64:"

func pack(data []byte) string {
	if needsEncoding(data) {
		return encodedPrefix + base64.StdEncoding.EncodeToString(data)
	}
	return string(data)
}

func needsEncoding(data []byte) bool {
	return !utf8.Valid(data) || strings.ContainsAny(string(data), "\x00{") ||
		strings.HasPrefix(string(data), encodedPrefix)
}

// unpack reverses pack: a value with the prefix is base64 and any other is
// the data itself.
func unpack(s string) ([]byte, bool) {
	rest, ok := strings.CutPrefix(s, encodedPrefix)
	if !ok {
		return []byte(s), true
	}
	data, err := base64.StdEncoding.DecodeString(rest)
	return data, err == nil
}
