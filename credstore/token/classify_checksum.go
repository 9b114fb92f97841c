package token

import (
	"encoding/base64"
	"encoding/binary"
	"hash/crc32"
	"math/bits"
)

// Checksums embedded in token formats. Each validator reports whether the
// whole string carries a correct checksum; none of them allocates for a
// token of ordinary length.

const base62Alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"

// crc32String is the IEEE CRC-32 (zlib's) of s.
func crc32String(s string) uint32 {
	crc := ^uint32(0)
	for i := 0; i < len(s); i++ {
		crc = crc32.IEEETable[byte(crc)^s[i]] ^ (crc >> 8)
	}
	return ^crc
}

// githubChecksum is GitHub's token checksum: CRC-32 of the entropy part,
// base62 (0-9A-Za-z), left-padded with '0' to six characters.
func githubChecksum(entropy string) [6]byte {
	n := crc32String(entropy)
	var out [6]byte
	for i := 5; i >= 0; i-- {
		out[i] = base62Alphabet[n%62]
		n /= 62
	}
	return out
}

// githubChecksumOK checks body, the part after the gh?_ prefix: all but
// the last six characters are entropy, the last six their checksum.
func githubChecksumOK(body string) bool {
	if len(body) < 7 {
		return false
	}
	sum := githubChecksum(body[:len(body)-6])
	return string(sum[:]) == body[len(body)-6:]
}

// base36 renders n in lower-case base 36, left-padded with '0' to width.
func base36(n uint32, width int) [8]byte {
	const digits = "0123456789abcdefghijklmnopqrstuvwxyz"
	var out [8]byte
	for i := range out {
		out[i] = '0'
	}
	for i := width - 1; i >= 0 && n > 0; i-- {
		out[i] = digits[n%36]
		n /= 36
	}
	return out
}

// parseBase36 parses s as lower-case base 36; ok is false on any other
// character or overflow past 32 bits.
func parseBase36(s string) (n uint32, ok bool) {
	if s == "" {
		return 0, false
	}
	var v uint64
	for i := 0; i < len(s); i++ {
		c := s[i]
		var d uint64
		switch {
		case c >= '0' && c <= '9':
			d = uint64(c - '0')
		case c >= 'a' && c <= 'z':
			d = uint64(c-'a') + 10
		default:
			return 0, false
		}
		v = v*36 + d
		if v > 1<<32-1 {
			return 0, false
		}
	}
	return uint32(v), true
}

// gitlabCRCOK checks a routable GitLab token's last seven characters: the
// CRC-32 of everything before them in base 36, zero-padded to seven.
func gitlabCRCOK(s string) bool {
	if len(s) < 8 {
		return false
	}
	want := base36(crc32String(s[:len(s)-7]), 7)
	return string(want[:7]) == s[len(s)-7:]
}

// marvin32 is Microsoft's Marvin32 hash collapsed to 32 bits (high XOR
// low), as used by their identifiable keys.
func marvin32(data []byte, seed uint64) uint32 {
	p0, p1 := uint32(seed), uint32(seed>>32)
	for len(data) >= 4 {
		p0 += binary.LittleEndian.Uint32(data)
		p0, p1 = marvinBlock(p0, p1)
		data = data[4:]
	}
	switch len(data) {
	case 0:
		p0 += 0x80
	case 1:
		p0 += 0x8000 | uint32(data[0])
	case 2:
		p0 += 0x800000 | uint32(data[0]) | uint32(data[1])<<8
	case 3:
		p0 += 0x80000000 | uint32(data[0]) | uint32(data[1])<<8 | uint32(data[2])<<16
	}
	p0, p1 = marvinBlock(p0, p1)
	p0, p1 = marvinBlock(p0, p1)
	return p1 ^ p0
}

func marvinBlock(p0, p1 uint32) (uint32, uint32) {
	p1 ^= p0
	p0 = bits.RotateLeft32(p0, 20)
	p0 += p1
	p1 = bits.RotateLeft32(p1, 9)
	p1 ^= p0
	p0 = bits.RotateLeft32(p0, 27)
	p0 += p1
	p1 = bits.RotateLeft32(p1, 19)
	return p0, p1
}

// acrChecksumSeed is "ACRDflt0" read big-endian, the Marvin seed of Azure
// Container Registry identifiable keys.
const acrChecksumSeed = 0x41435244666c7430

// rawStdStrict decodes unpadded standard base64 and rejects stray bits.
var rawStdStrict = base64.RawStdEncoding.Strict()

// acrKeyLen is the length of an ACR identifiable key: 39 bytes in base64.
const acrKeyLen = 52

// acrChecksumOK checks a 52-character ACR key: base64 of 39 bytes whose
// last four are the little-endian Marvin32 of the first 35.
func acrChecksumOK(s string) bool {
	if len(s) != acrKeyLen {
		return false
	}
	var b [39]byte
	n, err := rawStdStrict.Decode(b[:], []byte(s))
	if err != nil || n != len(b) {
		return false
	}
	return marvin32(b[:35], acrChecksumSeed) == binary.LittleEndian.Uint32(b[35:])
}

// Azure DevOps legacy PAT checksum seeds (user and application tokens).
const (
	adoUserSeed = 0xE0B9692D
	adoAppSeed  = 0x1019F92E
)

// adoLegacyChecksumOK checks a 52-character lower-case base32 Azure DevOps
// PAT: 32 bytes, of which bytes 2, 7, 8 and 22 hold CRC-32(the other 28)
// XOR a seed.
func adoLegacyChecksumOK(s string) bool {
	if len(s) != 52 {
		return false
	}
	var b [32]byte
	var acc uint64
	nbits, o := 0, 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		var v uint64
		switch {
		case c >= 'a' && c <= 'z':
			v = uint64(c - 'a')
		case c >= '2' && c <= '7':
			v = uint64(c-'2') + 26
		default:
			return false
		}
		acc = acc<<5 | v
		nbits += 5
		if nbits >= 8 && o < len(b) {
			nbits -= 8
			b[o] = byte(acc >> nbits)
			o++
		}
	}
	var data [28]byte
	copy(data[0:2], b[0:2])
	copy(data[2:6], b[3:7])
	copy(data[6:19], b[9:22])
	copy(data[19:28], b[23:32])
	crc := crc32.ChecksumIEEE(data[:])
	stored := uint32(b[22]) | uint32(b[8])<<8 | uint32(b[7])<<16 | uint32(b[2])<<24
	return stored == crc^adoUserSeed || stored == crc^adoAppSeed
}
