package secret

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"testing"
)

func TestLoadOrCreateAndRoundTrip(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sub", "master.key")
	b1, created, err := LoadOrCreate(path)
	if err != nil || !created {
		t.Fatalf("create: %v created=%v", err, created)
	}
	st, err := os.Stat(path)
	if err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("key file mode: %v %v", st.Mode(), err)
	}
	sealed := b1.Seal([]byte("wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"), "AKIAEXAMPLE")
	if bytes.Contains(sealed, []byte("wJalrXUtnFEMI")) {
		t.Fatal("ciphertext contains the plaintext")
	}
	b2, created, err := LoadOrCreate(path)
	if err != nil || created {
		t.Fatalf("reload: %v created=%v", err, created)
	}
	pt, err := b2.Open(sealed, "AKIAEXAMPLE")
	if err != nil || string(pt) != "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY" {
		t.Fatalf("open: %q %v", pt, err)
	}
	if _, err := b2.Open(sealed, "AKIAOTHER"); !errors.Is(err, ErrDecrypt) {
		t.Fatalf("wrong aad: %v", err)
	}
	tampered := append([]byte(nil), sealed...)
	tampered[len(tampered)-1] ^= 1
	if _, err := b2.Open(tampered, "AKIAEXAMPLE"); !errors.Is(err, ErrDecrypt) {
		t.Fatalf("tampered: %v", err)
	}
	if _, err := b2.Open(sealed[:5], "AKIAEXAMPLE"); !errors.Is(err, ErrDecrypt) {
		t.Fatalf("short: %v", err)
	}
	other, _, _ := LoadOrCreate(filepath.Join(t.TempDir(), "k"))
	if _, err := other.Open(sealed, "AKIAEXAMPLE"); !errors.Is(err, ErrDecrypt) {
		t.Fatalf("other key: %v", err)
	}
}

func TestRefusesWorldReadableKey(t *testing.T) {
	path := filepath.Join(t.TempDir(), "master.key")
	if _, _, err := LoadOrCreate(path); err != nil {
		t.Fatal(err)
	}
	os.Chmod(path, 0o644)
	if _, _, err := LoadOrCreate(path); err == nil {
		t.Fatal("want error for 0644 key file")
	}
}

func TestRejectsGarbageKey(t *testing.T) {
	path := filepath.Join(t.TempDir(), "master.key")
	os.WriteFile(path, []byte("not hex"), 0o600)
	if _, _, err := LoadOrCreate(path); err == nil {
		t.Fatal("want error")
	}
}

func TestConcurrentCreateAgreesOnOneKey(t *testing.T) {
	path := filepath.Join(t.TempDir(), "master.key")
	const n = 8
	boxes := make(chan *Box, n)
	errs := make(chan error, n)
	for i := 0; i < n; i++ {
		go func() {
			b, _, err := LoadOrCreate(path)
			boxes <- b
			errs <- err
		}()
	}
	var all []*Box
	for i := 0; i < n; i++ {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
		all = append(all, <-boxes)
	}
	sealed := all[0].Seal([]byte("x"), "id")
	for _, b := range all[1:] {
		if _, err := b.Open(sealed, "id"); err != nil {
			t.Fatal("processes ended up with different keys")
		}
	}
	entries, _ := os.ReadDir(filepath.Dir(path))
	if len(entries) != 1 {
		t.Fatalf("temporary files left behind: %v", entries)
	}
}
