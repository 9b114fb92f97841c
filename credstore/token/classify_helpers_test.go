package token

import (
	"encoding/base32"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"hash/crc32"
	"math/big"
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"
)

// Test token generators. Every token here is built in the test from
// pseudo-random bytes with a fixed seed; none is real. Checksums are
// computed independently of the product code where the algorithm allows
// (hash/crc32, math/big, strconv), so a wrong validator fails.

const (
	alnum    = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	urlSafe  = alnum + "-_"
	hexLower = "0123456789abcdef"
	upperDig = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	b58      = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
)

func newRand(t testing.TB) *rand.Rand {
	t.Helper()
	var seed [8]byte
	copy(seed[:], t.Name())
	return rand.New(rand.NewPCG(binary.LittleEndian.Uint64(seed[:]), uint64(len(t.Name()))))
}

func randFrom(r *rand.Rand, alphabet string, n int) string {
	var b strings.Builder
	for range n {
		b.WriteByte(alphabet[r.IntN(len(alphabet))])
	}
	return b.String()
}

func randBytes(r *rand.Rand, n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	return b
}

// ghChecksum: CRC-32 base62, left-padded to 6, computed with math/big.
func ghChecksum(entropy string) string {
	n := new(big.Int).SetUint64(uint64(crc32.ChecksumIEEE([]byte(entropy))))
	s := ""
	base := big.NewInt(62)
	mod := new(big.Int)
	for n.Sign() > 0 {
		n.DivMod(n, base, mod)
		s = string(alnum[mod.Int64()]) + s
	}
	return strings.Repeat("0", 6-len(s)) + s
}

// genGitHub builds prefix + entropy (n-6 characters) + checksum.
func genGitHub(r *rand.Rand, prefix string, n int) string {
	e := randFrom(r, alnum, n-6)
	return prefix + e + ghChecksum(e)
}

// genGitLabRoutable follows routable_token.rb.
func genGitLabRoutable(r *rand.Rand, prefix, routing, version string) string {
	raw := append(randBytes(r, 16), routing...)
	raw = append(raw, byte(len(routing)))
	b64 := base64.RawURLEncoding.EncodeToString(raw)
	l := strconv.FormatUint(uint64(len(b64)), 36)
	l = strings.Repeat("0", 2-len(l)) + l
	s := prefix + b64 + "." + version + "." + l
	crc := strconv.FormatUint(uint64(crc32.ChecksumIEEE([]byte(s))), 36)
	return s + strings.Repeat("0", 7-len(crc)) + crc
}

// genACR builds a 52-character ACR key: 42 random base64 characters,
// "+ACR", then the Marvin32 checksum in the last four bytes.
func genACR(r *rand.Rand) string {
	const b64 = alnum + "+/"
	s := randFrom(r, b64, 42) + "+ACR" + "AAAAAA"
	b, err := base64.RawStdEncoding.DecodeString(s)
	if err != nil || len(b) != 39 {
		panic("genACR")
	}
	binary.LittleEndian.PutUint32(b[35:], marvin32(b[:35], acrChecksumSeed))
	return base64.RawStdEncoding.EncodeToString(b)
}

// genADOLegacy builds a 52-character base32 Azure DevOps PAT with the
// checksum bytes at 22, 8, 7, 2.
func genADOLegacy(r *rand.Rand, seed uint32) string {
	data := randBytes(r, 28)
	var b [32]byte
	copy(b[0:2], data[0:2])
	copy(b[3:7], data[2:6])
	copy(b[9:22], data[6:19])
	copy(b[23:32], data[19:28])
	sum := crc32.ChecksumIEEE(data) ^ seed
	b[22], b[8], b[7], b[2] = byte(sum), byte(sum>>8), byte(sum>>16), byte(sum>>24)
	return strings.ToLower(base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(b[:]))
}

// genJWT builds header.payload.signature with an unverifiable signature.
func genJWT(r *rand.Rand, claims map[string]any) string {
	h, _ := json.Marshal(map[string]string{"alg": "RS256", "typ": "JWT"})
	p, err := json.Marshal(claims)
	if err != nil {
		panic(err)
	}
	enc := base64.RawURLEncoding
	return enc.EncodeToString(h) + "." + enc.EncodeToString(p) + "." + enc.EncodeToString(randBytes(r, 64))
}

// genECR builds the password half of an ECR authorization token.
func genECR(r *rand.Rand, expiration int64) string {
	p, _ := json.Marshal(map[string]any{
		"payload":    base64.StdEncoding.EncodeToString(randBytes(r, 600)),
		"datakey":    base64.StdEncoding.EncodeToString(randBytes(r, 180)),
		"version":    "2",
		"type":       "DATA_KEY",
		"expiration": expiration,
	})
	return base64.StdEncoding.EncodeToString(p)
}

// genJFrogReference builds base64("reftkn:01:<10 digits>:<27>") that is
// all alphanumeric, retrying a bounded number of times.
func genJFrogReference(r *rand.Rand) string {
	for range 1000 {
		s := base64.StdEncoding.EncodeToString([]byte("reftkn:01:" + randFrom(r, "0123456789", 10) + ":" + randFrom(r, alnum, 27)))
		if allAlnum(s) {
			return s
		}
	}
	panic("genJFrogReference: no alphanumeric encoding in 1000 tries")
}

func allAlnum(s string) bool {
	for i := 0; i < len(s); i++ {
		if !strings.ContainsRune(alnum, rune(s[i])) {
			return false
		}
	}
	return true
}

func uuid(r *rand.Rand) string {
	h := randFrom(r, hexLower, 32)
	return h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}

// flip changes the character at i to another one of the same alphabet.
func flip(s string, i int, alphabet string) string {
	j := strings.IndexByte(alphabet, s[i])
	c := alphabet[(j+1)%len(alphabet)]
	return s[:i] + string(c) + s[i+1:]
}
