package sse

import (
	"crypto/rand"
	"errors"
	"fmt"
)

// ErrUnwrap means a wrapped data key could not be opened with the master
// key: a different master key, a different context (the wrapped key was
// moved to another object) or a corrupt value. For SSE-S3 it is an
// internal error, never the client's.
var ErrUnwrap = errors.New("sse: cannot unwrap data key")

// Sealer seals small secrets under the region's master key, bound to
// associated data. internal/secret.Box implements it.
type Sealer interface {
	Seal(plaintext []byte, aad string) []byte
	Open(sealed []byte, aad string) ([]byte, error)
}

// Associated-data prefixes: they keep data keys apart from every other
// secret the same master key seals, and SSE-S3 apart from SSE-C.
const (
	aadSSES3 = "nimbus/s3/sse-s3/v1\x00"
	aadSSEC  = "nimbus/s3/sse-c/v1\x00"
)

// newDataKey returns a fresh random data key.
func newDataKey() []byte {
	key := make([]byte, KeySize)
	rand.Read(key) // never fails: crypto/rand crashes the program instead
	return key
}

// WrapKey seals an SSE-S3 data key under the master key held by s, bound
// to context: the identity of the object (or part) the key encrypts, see
// the package documentation. The result is what the object's row stores.
func WrapKey(s Sealer, dataKey []byte, context string) []byte {
	return s.Seal(dataKey, aadSSES3+context)
}

// UnwrapKey opens a key sealed by WrapKey with the same context, failing
// with ErrUnwrap (wrapping the Sealer's error) if it does not open.
func UnwrapKey(s Sealer, wrapped []byte, context string) ([]byte, error) {
	key, err := s.Open(wrapped, aadSSES3+context)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrUnwrap, err)
	}
	if len(key) != KeySize {
		return nil, fmt.Errorf("%w: data key is %d bytes, want %d", ErrUnwrap, len(key), KeySize)
	}
	return key, nil
}
