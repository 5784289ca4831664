package sse

import (
	"bytes"
	"errors"
	"testing"

	"github.com/nimbuscloud/nimbus/internal/secret"
)

var _ Sealer = (*secret.Box)(nil)

// gcmSealer is the region's real master-key box over key.
func gcmSealer(t testing.TB, key []byte) *secret.Box {
	t.Helper()
	b, err := secret.New(key)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestWrapKey(t *testing.T) {
	master := gcmSealer(t, testKey(0x11))
	dataKey := newDataKey()
	const ctx = "photos/2024/cat.jpg/3HL4kqtJvjVBH40Nrjfkd"
	wrapped := WrapKey(master, dataKey, ctx)
	if bytes.Contains(wrapped, dataKey) {
		t.Fatal("wrapped key holds the data key")
	}
	got, err := UnwrapKey(master, wrapped, ctx)
	if err != nil || !bytes.Equal(got, dataKey) {
		t.Fatalf("unwrap = %x, %v; want the data key", got, err)
	}

	tests := []struct {
		name    string
		s       Sealer
		wrapped []byte
		ctx     string
	}{
		{"other context", master, wrapped, "photos/2024/cat.jpg/other-version"},
		{"other master key", gcmSealer(t, testKey(0x12)), wrapped, ctx},
		{"flipped byte", master, flip(wrapped, len(wrapped)-3), ctx},
		{"truncated", master, wrapped[:len(wrapped)-1], ctx},
		{"empty", master, nil, ctx},
		{"sealed without the SSE-S3 prefix", master, master.Seal(dataKey, ctx), ctx},
		{"not a data key", master, master.Seal(dataKey[:16], aadSSES3+ctx), ctx},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if k, err := UnwrapKey(tt.s, tt.wrapped, tt.ctx); !errors.Is(err, ErrUnwrap) || k != nil {
				t.Fatalf("UnwrapKey = %x, %v; want ErrUnwrap", k, err)
			}
		})
	}
	// The Sealer's own error stays visible.
	if _, err := UnwrapKey(master, wrapped, "x"); !errors.Is(err, secret.ErrDecrypt) {
		t.Fatalf("err = %v, want it to wrap secret.ErrDecrypt", err)
	}
}

func flip(b []byte, i int) []byte {
	b = bytes.Clone(b)
	b[i] ^= 1
	return b
}

func TestNewDataKey(t *testing.T) {
	seen := map[string]bool{}
	for range 100 {
		k := newDataKey()
		if len(k) != KeySize || seen[string(k)] {
			t.Fatalf("data key %x: wrong size or repeated", k)
		}
		seen[string(k)] = true
	}
}
