// Package credstoretest generates test tokens in the formats the token
// policy knows, with valid checksums where a format has one. They are
// random, never real, and for tests only.
package credstoretest

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"hash/crc32"
	"math/big"
	"strings"
	"time"
)

const alnum = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"

func randFrom(alphabet string, n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic(err)
	}
	for i := range b {
		b[i] = alphabet[int(b[i])%len(alphabet)]
	}
	return string(b)
}

// GitHubChecksum is GitHub's token checksum: CRC-32 of the entropy part in
// base62, left-padded with zeros to 6 characters (math/big, independent of
// the classifier's code).
func GitHubChecksum(entropy string) string {
	n := new(big.Int).SetUint64(uint64(crc32.ChecksumIEEE([]byte(entropy))))
	s := ""
	base, mod := big.NewInt(62), new(big.Int)
	for n.Sign() > 0 {
		n.DivMod(n, base, mod)
		s = string(alnum[mod.Int64()]) + s
	}
	return strings.Repeat("0", 6-len(s)) + s
}

// GitHub returns a classic GitHub token with prefix ("ghp_", "gho_", ...):
// 30 random characters and their checksum.
func GitHub(prefix string) string {
	e := randFrom(alnum, 30)
	return prefix + e + GitHubChecksum(e)
}

// DockerHubPAT returns a Docker Hub personal access token.
func DockerHubPAT() string {
	return "dckr_pat_" + randFrom(alnum+"_-", 27)
}

// JWT returns header.payload.signature with the given claims and a random,
// unverifiable signature.
func JWT(claims map[string]any) string {
	h, _ := json.Marshal(map[string]string{"alg": "RS256", "typ": "JWT"})
	p, err := json.Marshal(claims)
	if err != nil {
		panic(err)
	}
	enc := base64.RawURLEncoding
	return enc.EncodeToString(h) + "." + enc.EncodeToString(p) + "." + randFrom(alnum+"-_", 86)
}

// ECR returns the password half of an ECR authorization token expiring at exp.
func ECR(exp time.Time) string {
	p, _ := json.Marshal(map[string]any{
		"payload":    base64.StdEncoding.EncodeToString([]byte(randFrom(alnum, 600))),
		"datakey":    base64.StdEncoding.EncodeToString([]byte(randFrom(alnum, 180))),
		"version":    "2",
		"type":       "DATA_KEY",
		"expiration": exp.Unix(),
	})
	return base64.StdEncoding.EncodeToString(p)
}

// Opaque returns prefix and 36 random hex digits: a secret of no known
// format that a test can still find in output, by its prefix.
func Opaque(prefix string) string {
	return prefix + randFrom("0123456789abcdef", 36)
}

// BasicAuth is a docker config auth value: base64 of user:password.
func BasicAuth(user, password string) string {
	return base64.StdEncoding.EncodeToString([]byte(user + ":" + password))
}
