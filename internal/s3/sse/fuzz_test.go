package sse

import (
	"bytes"
	"crypto/md5"
	"encoding/base64"
	"errors"
	"io"
	"testing"
)

// FuzzParseCustomerKey: any three header values give a usable key whose
// MD5 is the one sent, ErrNoCustomerKey for no headers, or an *Error with
// one of S3's codes; never a panic.
func FuzzParseCustomerKey(f *testing.F) {
	raw := bytes.Repeat([]byte{0x42}, 32)
	key, keyMD5 := customerHeaders(raw)
	f.Add("AES256", key, keyMD5)
	f.Add("", "", "")
	f.Add("", key, keyMD5)
	f.Add("AES128", key, keyMD5)
	f.Add("AES256", "", keyMD5)
	f.Add("AES256", key[:40], keyMD5)
	f.Add("AES256", key, "")
	f.Add("AES256", key, keyMD5[:22])
	f.Fuzz(func(t *testing.T, algorithm, keyB64, keyMD5B64 string) {
		ck, err := ParseCustomerKey(algorithm, keyB64, keyMD5B64)
		if errors.Is(err, ErrNoCustomerKey) {
			if algorithm != "" || keyB64 != "" || keyMD5B64 != "" {
				t.Fatal("ErrNoCustomerKey with headers present")
			}
			return
		}
		if err != nil {
			var e *Error
			if !errors.As(err, &e) || (e.Code != CodeInvalidArgument && e.Code != CodeInvalidEncryptionAlgorithmError) || e.Message == "" {
				t.Fatalf("err = %v (%T), want an *Error with an S3 code", err, err)
			}
			return
		}
		if algorithm != "AES256" {
			t.Fatalf("accepted algorithm %q", algorithm)
		}
		k, err := base64.StdEncoding.DecodeString(keyB64)
		if err != nil || len(k) != KeySize {
			t.Fatalf("accepted key %q", keyB64)
		}
		sum := md5.Sum(k)
		if sent, _ := base64.StdEncoding.DecodeString(keyMD5B64); !bytes.Equal(sent, sum[:]) {
			t.Fatalf("accepted MD5 %q for key %q", keyMD5B64, keyB64)
		}
		if ck.KeyMD5() != base64.StdEncoding.EncodeToString(sum[:]) {
			t.Fatalf("KeyMD5 = %q", ck.KeyMD5())
		}
		dk := newDataKey()
		w, err := WrapWithCustomerKey(ck, dk, "ctx")
		if err != nil {
			t.Fatal(err)
		}
		if got, err := UnwrapWithCustomerKey(ck, w, "ctx"); err != nil || !bytes.Equal(got, dk) {
			t.Fatalf("wrap round trip: %v", err)
		}
	})
}

// fuzzKeyByte makes the data key FuzzDecrypt decrypts under.
const fuzzKeyByte = 0xF0

// FuzzDecrypt: arbitrary bytes decrypted as an object of arbitrary size
// over an arbitrary range never panic, and fail only with ErrCorrupt; if
// they do decrypt in full, they are exactly what sealing the output gives
// (so nothing unauthentic got through). The multi-chunk seeds are over
// 64 KiB, which the fuzzer is slow to minimize: fuzz with
// -fuzzminimizetime=3s or so.
func FuzzDecrypt(f *testing.F) {
	fuzzKey := testKey(fuzzKeyByte)
	for _, size := range []int64{0, 1, 100, ChunkSize, ChunkSize + 1} {
		ct := seal(f, fuzzKey, plaintext(size))
		f.Add(ct, size, int64(0), size)
		f.Add(ct, size, size/2, size-size/2)
		if size > 0 {
			bad := bytes.Clone(ct)
			bad[len(bad)/2] ^= 4
			f.Add(bad, size, int64(0), size)
			f.Add(ct[:len(ct)-1], size, int64(0), size)
		}
	}
	f.Fuzz(func(t *testing.T, ct []byte, size, off, n int64) {
		fuzzKey := testKey(fuzzKeyByte)
		// Fold the numbers into a valid request: argument errors are
		// tested elsewhere, and huge sizes would only test truncation.
		size = int64(uint64(size) % (4*ChunkSize + 1))
		off = int64(uint64(off) % uint64(size+1))
		n = int64(uint64(n) % uint64(size-off+1))
		// OpenInPlace opens exactly the ciphertexts that seal to themselves.
		if whole, err := OpenInPlace(fuzzKey, size, bytes.Clone(ct)); err != nil {
			if !errors.Is(err, ErrCorrupt) {
				t.Fatalf("OpenInPlace: err = %v, want ErrCorrupt", err)
			}
		} else if again := seal(t, fuzzKey, whole); !bytes.Equal(again, ct) {
			t.Fatal("OpenInPlace accepted bytes that sealing its output does not give")
		}
		var out bytes.Buffer
		written, err := Decrypt(fuzzKey, size, off, n, &out, func(cOff, cLen int64, w io.Writer) error {
			lo, hi := min(cOff, int64(len(ct))), min(cOff+cLen, int64(len(ct)))
			return piecewise(w, ct[lo:hi], 1+int(cLen%7919))
		})
		if written != int64(out.Len()) {
			t.Fatalf("reported %d bytes, wrote %d", written, out.Len())
		}
		if err != nil {
			if !errors.Is(err, ErrCorrupt) {
				t.Fatalf("err = %v, want ErrCorrupt", err)
			}
			return
		}
		if written != n {
			t.Fatalf("wrote %d bytes, want %d", written, n)
		}
		if off == 0 && n == size {
			if again := seal(t, fuzzKey, out.Bytes()); !bytes.Equal(again, ct[:len(again)]) {
				t.Fatal("decrypted bytes that sealing the output does not give")
			}
		}
	})
}
