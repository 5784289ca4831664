package checksum

import (
	"crypto/sha1"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"hash"
	"hash/crc32"
	"strings"
)

// Algorithm is a checksum algorithm name as AWS spells it on the wire.
type Algorithm string

// The supported algorithms.
const (
	CRC32     Algorithm = "CRC32"
	CRC32C    Algorithm = "CRC32C"
	CRC64NVME Algorithm = "CRC64NVME"
	SHA1      Algorithm = "SHA1"
	SHA256    Algorithm = "SHA256"
)

// HeaderPrefix starts every checksum header name.
const HeaderPrefix = "x-amz-checksum-"

// ErrUnknownAlgorithm reports an algorithm name or header this package does
// not implement.
var ErrUnknownAlgorithm = errors.New("checksum: unknown algorithm")

// Algorithms returns every supported algorithm, in a fixed order.
func Algorithms() []Algorithm {
	return []Algorithm{CRC32, CRC32C, CRC64NVME, SHA1, SHA256}
}

// ParseAlgorithm returns the algorithm named s, matching case-insensitively
// ("crc32c" and "CRC32C" are the same algorithm).
func ParseAlgorithm(s string) (Algorithm, error) {
	for _, a := range Algorithms() {
		if strings.EqualFold(s, string(a)) {
			return a, nil
		}
	}
	return "", fmt.Errorf("%w: %q", ErrUnknownAlgorithm, s)
}

// FromHeader returns the algorithm whose value header is name, e.g.
// "x-amz-checksum-crc64nvme" -> CRC64NVME. Matching is case-insensitive.
func FromHeader(name string) (Algorithm, error) {
	if len(name) <= len(HeaderPrefix) || !strings.EqualFold(name[:len(HeaderPrefix)], HeaderPrefix) {
		return "", fmt.Errorf("%w: header %q", ErrUnknownAlgorithm, name)
	}
	a, err := ParseAlgorithm(name[len(HeaderPrefix):])
	if err != nil {
		return "", fmt.Errorf("%w: header %q", ErrUnknownAlgorithm, name)
	}
	return a, nil
}

// HeaderName returns the lower-case header carrying a's value, e.g.
// "x-amz-checksum-crc32".
func HeaderName(a Algorithm) string {
	return HeaderPrefix + strings.ToLower(string(a))
}

// Valid reports whether a is one of the supported algorithms.
func (a Algorithm) Valid() bool {
	switch a {
	case CRC32, CRC32C, CRC64NVME, SHA1, SHA256:
		return true
	}
	return false
}

// Size returns the length in bytes of a's digest, or 0 for an unknown
// algorithm.
func Size(a Algorithm) int {
	switch a {
	case CRC32, CRC32C:
		return crc32.Size
	case CRC64NVME:
		return crc64Size
	case SHA1:
		return sha1.Size
	case SHA256:
		return sha256.Size
	}
	return 0
}

// New returns a fresh hash for a. The sum is the big-endian digest AWS
// encodes (Encode(h.Sum(nil)) is the header value). It returns nil for an
// algorithm that is not Valid; callers get algorithms from ParseAlgorithm,
// FromHeader or the constants.
func New(a Algorithm) hash.Hash {
	switch a {
	case CRC32:
		return crc32.NewIEEE()
	case CRC32C:
		return crc32.New(castagnoli)
	case CRC64NVME:
		return newCRC64NVME()
	case SHA1:
		return sha1.New()
	case SHA256:
		return sha256.New()
	}
	return nil
}

// Encode returns sum the way AWS sends checksums: standard base64 with
// padding.
func Encode(sum []byte) string {
	return base64.StdEncoding.EncodeToString(sum)
}

// Decode parses a checksum header value for a, checking that it is standard
// base64 of exactly Size(a) bytes.
func Decode(a Algorithm, value string) ([]byte, error) {
	n := Size(a)
	if n == 0 {
		return nil, fmt.Errorf("%w: %q", ErrUnknownAlgorithm, a)
	}
	if len(value) != base64.StdEncoding.EncodedLen(n) {
		return nil, fmt.Errorf("checksum: %s value %q has the wrong length", a, value)
	}
	sum, err := base64.StdEncoding.Strict().DecodeString(value)
	if err != nil || len(sum) != n {
		return nil, fmt.Errorf("checksum: %s value %q is not valid base64", a, value)
	}
	return sum, nil
}

// castagnoli is read-only after package initialisation (crc32 caches it too).
var castagnoli = crc32.MakeTable(crc32.Castagnoli)
