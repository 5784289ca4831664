package account

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"testing"
	"time"

	"github.com/nimbuscloud/nimbus/internal/caller"
	"github.com/nimbuscloud/nimbus/internal/secret"
	"github.com/nimbuscloud/nimbus/internal/store/sqlite"
)

func newService(t *testing.T) (*Service, string) {
	t.Helper()
	dir := t.TempDir()
	st, err := sqlite.Open(context.Background(), filepath.Join(dir, "meta.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	box, _, err := secret.LoadOrCreate(filepath.Join(dir, "master.key"))
	if err != nil {
		t.Fatal(err)
	}
	s := New(st, box, Options{})
	if err := s.Migrate(context.Background()); err != nil {
		t.Fatal(err)
	}
	return s, dir
}

var (
	accountIDRE = regexp.MustCompile(`^[1-9][0-9]{11}$`)
	akidRE      = regexp.MustCompile(`^AKIA[A-Z2-7]{16}$`)
	secretRE    = regexp.MustCompile(`^[A-Za-z0-9+/]{40}$`)
)

func TestBootstrapCreatesOnceAndIsIdempotent(t *testing.T) {
	s, _ := newService(t)
	ctx := context.Background()
	a, k, created, err := s.Bootstrap(ctx, "", Key{})
	if err != nil || !created {
		t.Fatalf("first bootstrap: %v created=%v", err, created)
	}
	if !accountIDRE.MatchString(a.ID) || !akidRE.MatchString(k.AccessKeyID) || !secretRE.MatchString(k.Secret) {
		t.Fatalf("bad ids: %s %s %s", a.ID, k.AccessKeyID, k.Secret)
	}
	if k.Principal.ARN != "arn:aws:iam::"+a.ID+":root" || k.Principal.Type != caller.Root {
		t.Fatalf("principal: %+v", k.Principal)
	}
	a2, _, created, err := s.Bootstrap(ctx, "", Key{})
	if err != nil || created || a2.ID != a.ID {
		t.Fatalf("second bootstrap: %v created=%v id=%s", err, created, a2.ID)
	}
	got, err := s.LookupKey(ctx, k.AccessKeyID)
	if err != nil || got.Secret != k.Secret || got.Status != Active || got.Principal.ARN != k.Principal.ARN {
		t.Fatalf("lookup: %+v %v", got, err)
	}
}

func TestBootstrapWithFixedKey(t *testing.T) {
	s, _ := newService(t)
	ctx := context.Background()
	fixed := Key{AccessKeyID: "AKIAFIXEDFIXEDFIXED2", Secret: "0123456789012345678901234567890123456789"}
	a, k, created, err := s.Bootstrap(ctx, "111122223333", fixed)
	if err != nil || !created || a.ID != "111122223333" || k.AccessKeyID != fixed.AccessKeyID {
		t.Fatalf("bootstrap: %v %v %+v", err, created, a)
	}
	if _, _, created, err := s.Bootstrap(ctx, "111122223333", fixed); err != nil || created {
		t.Fatalf("repeat: %v %v", err, created)
	}
	other := fixed
	other.Secret = "x123456789012345678901234567890123456789"
	if _, _, _, err := s.Bootstrap(ctx, "", other); !errors.Is(err, ErrBootstrapKey) {
		t.Fatalf("other secret: %v", err)
	}
	if _, _, _, err := s.Bootstrap(ctx, "", Key{AccessKeyID: "AKIAOTHEROTHEROTHER2", Secret: fixed.Secret}); !errors.Is(err, ErrBootstrapKey) {
		t.Fatalf("new key on populated region: %v", err)
	}
}

func TestCreateListAndRootKeys(t *testing.T) {
	s, _ := newService(t)
	tick := time.Unix(1_700_000_000, 0)
	s.now = func() time.Time { tick = tick.Add(time.Second); return tick }
	ctx := context.Background()
	a1, k1, err := s.Create(ctx, "one")
	if err != nil {
		t.Fatal(err)
	}
	a2, _, err := s.Create(ctx, "two")
	if err != nil {
		t.Fatal(err)
	}
	list, err := s.List(ctx)
	if err != nil || len(list) != 2 || list[0].ID != a1.ID || list[1].ID != a2.ID || list[0].Name != "one" {
		t.Fatalf("list: %+v %v", list, err)
	}
	keys, err := s.RootKeys(ctx, a1.ID)
	if err != nil || len(keys) != 1 || keys[0].Secret != k1.Secret {
		t.Fatalf("root keys: %+v %v", keys, err)
	}
	if _, err := s.RootKeys(ctx, "999999999999"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("missing account: %v", err)
	}
	if _, err := s.LookupKey(ctx, "AKIANOTTHERE00000000"); !errors.Is(err, ErrKeyNotFound) {
		t.Fatalf("missing key: %v", err)
	}
}

func TestSecretsAreSealedAtRest(t *testing.T) {
	s, dir := newService(t)
	ctx := context.Background()
	_, k, err := s.Create(ctx, "x")
	if err != nil {
		t.Fatal(err)
	}
	// The plaintext secret must not appear in the database files.
	for _, f := range []string{"meta.db", "meta.db-wal"} {
		data, _ := readFile(filepath.Join(dir, f))
		if bytes.Contains(data, []byte(k.Secret)) {
			t.Fatalf("%s contains the secret in the clear", f)
		}
	}
	// Opening with another key file fails loudly rather than returning garbage.
	other, _, _ := secret.LoadOrCreate(filepath.Join(t.TempDir(), "k"))
	s.box = other
	if _, err := s.LookupKey(ctx, k.AccessKeyID); !errors.Is(err, secret.ErrDecrypt) {
		t.Fatalf("wrong key file: %v", err)
	}
}

func TestRandomFromRejectsBiasedBytes(t *testing.T) {
	s := &Service{rand: bytes.NewReader(bytes.Repeat([]byte{0, 255, 31, 32}, 64))}
	// 255 is rejected (it would bias a 3-letter alphabet); 0, 31, 32 map to a, b, c.
	b, err := s.randomFrom("abc", 8)
	if err != nil || string(b) != "abcabcab" {
		t.Fatalf("got %q %v", b, err)
	}
	short := &Service{rand: bytes.NewReader([]byte{1})}
	if _, err := short.randomFrom("ab", 8); err == nil {
		t.Fatal("want error from exhausted randomness")
	}
}

func readFile(p string) ([]byte, error) { return os.ReadFile(p) }

// TestConcurrentBootstrapCreatesOneAccount starts several "servers" (each
// with its own Store on one database file) that bootstrap at once.
func TestConcurrentBootstrapCreatesOneAccount(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	box, _, err := secret.LoadOrCreate(filepath.Join(dir, "master.key"))
	if err != nil {
		t.Fatal(err)
	}
	const servers = 4
	svcs := make([]*Service, servers)
	for i := range svcs {
		st, err := sqlite.Open(ctx, filepath.Join(dir, "meta.db"))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { st.Close() })
		svcs[i] = New(st, box, Options{})
		if err := svcs[i].Migrate(ctx); err != nil {
			t.Fatal(err)
		}
	}
	type result struct {
		id      string
		created bool
		err     error
	}
	results := make(chan result, servers)
	for _, s := range svcs {
		go func(s *Service) {
			a, _, created, err := s.Bootstrap(ctx, "", Key{})
			results <- result{a.ID, created, err}
		}(s)
	}
	ids := map[string]bool{}
	createdCount := 0
	for i := 0; i < servers; i++ {
		r := <-results
		if r.err != nil {
			t.Fatal(r.err)
		}
		ids[r.id] = true
		if r.created {
			createdCount++
		}
	}
	list, _ := svcs[0].List(ctx)
	if len(ids) != 1 || createdCount != 1 || len(list) != 1 {
		t.Fatalf("want one first account: ids=%v created=%d accounts=%d", ids, createdCount, len(list))
	}
}
