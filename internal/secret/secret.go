package secret

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

const (
	keySize   = 32
	formatV1  = 1
	nonceSize = 12
)

// ErrDecrypt means a sealed value did not authenticate: wrong key, wrong
// associated data or corruption.
var ErrDecrypt = errors.New("secret: cannot decrypt (wrong key file or corrupt value)")

// Box seals and opens secrets with one key.
type Box struct {
	aead cipher.AEAD
}

// New returns a Box for a 32-byte key.
func New(key []byte) (*Box, error) {
	if len(key) != keySize {
		return nil, fmt.Errorf("secret: key must be %d bytes, got %d", keySize, len(key))
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, err
	}
	return &Box{aead: aead}, nil
}

// LoadOrCreate reads the hex-encoded key at path, creating it (0600, fsynced,
// parent directory fsynced) if it does not exist. An existing file with
// permissions wider than 0600 is refused.
func LoadOrCreate(path string) (*Box, bool, error) {
	data, err := os.ReadFile(path)
	switch {
	case err == nil:
		st, err := os.Stat(path)
		if err != nil {
			return nil, false, err
		}
		if st.Mode().Perm()&0o077 != 0 {
			return nil, false, fmt.Errorf("secret: key file %s has mode %v; want 0600", path, st.Mode().Perm())
		}
		key, err := hex.DecodeString(strings.TrimSpace(string(data)))
		if err != nil || len(key) != keySize {
			return nil, false, fmt.Errorf("secret: key file %s is not %d hex-encoded bytes", path, keySize)
		}
		b, err := New(key)
		return b, false, err
	case errors.Is(err, fs.ErrNotExist):
		key := make([]byte, keySize)
		if _, err := rand.Read(key); err != nil {
			return nil, false, err
		}
		if err := writeFileSync(path, []byte(hex.EncodeToString(key)+"\n")); err != nil {
			if errors.Is(err, fs.ErrExist) { // another process created it first
				return LoadOrCreate(path)
			}
			return nil, false, fmt.Errorf("secret: create key file: %w", err)
		}
		b, err := New(key)
		return b, true, err
	default:
		return nil, false, fmt.Errorf("secret: read key file: %w", err)
	}
}

// writeFileSync creates path with data atomically: the bytes go to a
// temporary file that is fsynced and then hard-linked into place, so a
// concurrent reader sees either no file or the whole key, and of two
// processes creating it at once exactly one wins (the other gets
// fs.ErrExist and reads the winner's key).
func writeFileSync(path string, data []byte) error {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	f, err := os.CreateTemp(dir, ".key-*")
	if err != nil {
		return err
	}
	tmp := f.Name()
	defer os.Remove(tmp)
	if err := f.Chmod(0o600); err != nil {
		f.Close()
		return err
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	if err := os.Link(tmp, path); err != nil {
		return err
	}
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}

// Seal encrypts plaintext bound to aad.
func (b *Box) Seal(plaintext []byte, aad string) []byte {
	out := make([]byte, 1+nonceSize, 1+nonceSize+len(plaintext)+b.aead.Overhead())
	out[0] = formatV1
	if _, err := rand.Read(out[1 : 1+nonceSize]); err != nil {
		panic("secret: crypto/rand failed: " + err.Error()) // rand.Read never fails on Linux
	}
	return b.aead.Seal(out, out[1:1+nonceSize], plaintext, []byte(aad))
}

// Open decrypts a value produced by Seal with the same aad.
func (b *Box) Open(sealed []byte, aad string) ([]byte, error) {
	if len(sealed) < 1+nonceSize+b.aead.Overhead() || sealed[0] != formatV1 {
		return nil, ErrDecrypt
	}
	pt, err := b.aead.Open(nil, sealed[1:1+nonceSize], sealed[1+nonceSize:], []byte(aad))
	if err != nil {
		return nil, ErrDecrypt
	}
	return pt, nil
}
