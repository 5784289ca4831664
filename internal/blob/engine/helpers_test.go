package engine

import (
	"bytes"
	"context"
	"io"
	"io/fs"
	"log/slog"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nimbuscloud/nimbus/internal/blob/layout"
)

var testAZs = []string{"a", "b", "c"}

// clock is a settable test clock.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

type env struct {
	root  string
	cfg   Config
	e     *Engine
	clock *clock
}

// newEnv opens an engine over the default 6 drives in 3 AZs in a temp dir.
func newEnv(t testing.TB, blockSize int) *env {
	t.Helper()
	root := t.TempDir()
	clk := &clock{t: time.Now()}
	cfg := Config{
		Root:      root,
		AZs:       testAZs,
		BlockSize: blockSize,
		Log:       slog.New(slog.NewTextHandler(io.Discard, nil)),
		Now:       clk.Now,
	}
	for i := range cfg.Key {
		cfg.Key[i] = byte(i*13 + 1)
	}
	v := &env{root: root, cfg: cfg, clock: clk}
	v.e = v.open(t)
	return v
}

func (v *env) open(t testing.TB) *Engine {
	t.Helper()
	e, err := Open(context.Background(), v.cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.Close() })
	return e
}

// reopen simulates a restart: a new Engine over the same directories.
func (v *env) reopen(t testing.TB) {
	v.e.Close()
	v.e = v.open(t)
}

func randBytes(r *rand.Rand, n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	return b
}

func (v *env) put(t testing.TB, class string, data []byte) Ref {
	t.Helper()
	ref, err := v.e.Put(context.Background(), class, int64(len(data)), bytes.NewReader(data))
	if err != nil {
		t.Fatalf("put %s %d bytes: %v", class, len(data), err)
	}
	return ref
}

func (v *env) readAll(t testing.TB, ref Ref) []byte {
	t.Helper()
	var buf bytes.Buffer
	n, err := v.e.Read(context.Background(), ref, &buf, 0, ref.Size())
	if err != nil {
		t.Fatalf("read %s: %v", ref, err)
	}
	if n != ref.Size() {
		t.Fatalf("read %s: %d bytes, want %d", ref, n, ref.Size())
	}
	return buf.Bytes()
}

func (v *env) mustEqual(t testing.TB, ref Ref, want []byte) {
	t.Helper()
	if got := v.readAll(t, ref); !bytes.Equal(got, want) {
		t.Fatalf("object %s (%s, %d bytes) differs from what was written", ref.ID(), ref.Class(), len(want))
	}
}

// shardFiles returns the paths of every committed shard file, and of
// those of object id when id != "".
func (v *env) shardFiles(t testing.TB, id string) []string {
	t.Helper()
	var out []string
	err := filepath.WalkDir(v.root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.Type().IsRegular() && strings.Contains(p, string(filepath.Separator)+"shards"+string(filepath.Separator)) &&
			(id == "" || strings.HasPrefix(d.Name(), id+".")) {
			out = append(out, p)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// tempFiles returns every file under a drive's tmp/ directory.
func (v *env) tempFiles(t testing.TB) []string {
	t.Helper()
	var out []string
	for _, d := range layout.DefaultDrives(testAZs, 0) {
		ents, err := os.ReadDir(filepath.Join(v.root, d.AZ, d.ID, "tmp"))
		if err != nil {
			continue
		}
		for _, e := range ents {
			out = append(out, e.Name())
		}
	}
	return out
}

// catalog is the test's stand-in for the S3 metadata store: a set of refs.
type catalog struct {
	mu   sync.Mutex
	refs map[string]Ref
}

func newCatalog(refs ...Ref) *catalog {
	c := &catalog{refs: map[string]Ref{}}
	for _, r := range refs {
		c.add(r)
	}
	return c
}

func (c *catalog) add(r Ref) {
	c.mu.Lock()
	c.refs[r.ID()] = r
	c.mu.Unlock()
}

func (c *catalog) Live(ctx context.Context, fn func(Ref) error) error {
	c.mu.Lock()
	refs := make([]Ref, 0, len(c.refs))
	for _, r := range c.refs {
		refs = append(refs, r)
	}
	c.mu.Unlock()
	for _, r := range refs {
		if err := fn(r); err != nil {
			return err
		}
	}
	return nil
}

func (c *catalog) IsLive(ctx context.Context, id string) (bool, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	_, ok := c.refs[id]
	return ok, nil
}

var _ Catalog = (*catalog)(nil)
