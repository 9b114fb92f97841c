package keychain

import (
	"encoding/base64"
	"strings"
	"unicode/utf8"
)

// Item encoding of the Secret Service backend. Its items are text (content
// type text/plain, which other implementations may take at its word, and
// what go-keyring wrote for earlier versions): data that is not plain text
// (invalid UTF-8 or a NUL), or that starts with the prefix, is stored as
// encodedPrefix + standard base64; everything else, tokens included, is
// stored as it is, so `secret-tool lookup` shows it and nothing grows.
const encodedPrefix = "dcp-b64:"

func pack(data []byte) string {
	if needsEncoding(data) {
		return encodedPrefix + base64.StdEncoding.EncodeToString(data)
	}
	return string(data)
}

func needsEncoding(data []byte) bool {
	return !utf8.Valid(data) || strings.IndexByte(string(data), 0) >= 0 ||
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
