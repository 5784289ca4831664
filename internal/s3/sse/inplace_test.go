package sse

import (
	"bytes"
	"errors"
	"fmt"
	"testing"
)

func TestOpenInPlace(t *testing.T) {
	for _, size := range []int64{0, 1, 4096, ChunkSize - 1, ChunkSize, ChunkSize + 1, 3*ChunkSize + 17} {
		t.Run(fmt.Sprintf("size=%d", size), func(t *testing.T) {
			key := testKey(byte(size))
			plain := plaintext(size)
			ct := seal(t, key, plain)
			got, err := OpenInPlace(key, size, bytes.Clone(ct))
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, plain) {
				t.Fatal("OpenInPlace changed the bytes")
			}
		})
	}
}

func TestOpenInPlaceRejects(t *testing.T) {
	const size = 2*ChunkSize + 17
	key := testKey(3)
	plain := plaintext(size)
	ct := seal(t, key, plain)
	flip := func(pos int) []byte {
		b := bytes.Clone(ct)
		b[pos] ^= 0x01
		return b
	}
	swapped := bytes.Clone(ct)
	copy(swapped, ct[sealedChunk:2*sealedChunk])
	copy(swapped[sealedChunk:], ct[:sealedChunk])
	for _, tc := range []struct {
		name   string
		key    []byte
		size   int64
		sealed []byte
	}{
		{"first chunk flipped", key, size, flip(3)},
		{"last tag flipped", key, size, flip(len(ct) - 1)},
		{"chunks swapped", key, size, swapped},
		{"truncated", key, size, bytes.Clone(ct[:len(ct)-1])},
		{"size shrunk", key, size - 1, bytes.Clone(ct[:len(ct)-1])},
		{"final chunk dropped, size edited", key, 2 * ChunkSize, bytes.Clone(ct[:2*sealedChunk])},
		{"empty body truncated", key, 0, nil},
		{"wrong key", testKey(4), size, bytes.Clone(ct)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := OpenInPlace(tc.key, tc.size, tc.sealed)
			if !errors.Is(err, ErrCorrupt) || got != nil {
				t.Fatalf("got %d bytes, %v; want ErrCorrupt", len(got), err)
			}
		})
	}
	if _, err := OpenInPlace(key[:5], size, bytes.Clone(ct)); err == nil || errors.Is(err, ErrCorrupt) {
		t.Fatalf("short key: %v, want a key-size error", err)
	}
	if _, err := OpenInPlace(key, -1, nil); err == nil {
		t.Fatal("negative size accepted")
	}
}
