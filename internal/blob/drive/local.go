package drive

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// Directory layout of a Local drive (see doc.go).
const (
	shardsDir = "shards"
	tmpDir    = "tmp"
	tmpSuffix = ".tmp"
)

// Local is a Drive over a directory of one filesystem.
type Local struct {
	root string
}

var _ Drive = (*Local)(nil)

// NewLocal opens (creating if needed) a drive rooted at dir: dir/tmp and
// dir/shards/00 .. dir/shards/ff. Creating all 256 fan-out directories up
// front, durably, means a commit only ever has to sync one directory.
func NewLocal(dir string) (*Local, error) {
	root, err := filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("drive: %w", err)
	}
	if err := os.MkdirAll(root, 0o750); err != nil {
		return nil, fmt.Errorf("drive: %w", err)
	}
	created := false
	mk := func(p string) error {
		err := os.Mkdir(p, 0o750)
		if err == nil {
			created = true
			return nil
		}
		if errors.Is(err, fs.ErrExist) {
			return nil
		}
		return fmt.Errorf("drive: %w", err)
	}
	for _, d := range []string{shardsDir, tmpDir} {
		if err := mk(filepath.Join(root, d)); err != nil {
			return nil, err
		}
	}
	for i := range 256 {
		if err := mk(filepath.Join(root, shardsDir, fmt.Sprintf("%02x", i))); err != nil {
			return nil, err
		}
	}
	if created {
		for _, d := range []string{filepath.Join(root, shardsDir), root, filepath.Dir(root)} {
			if err := syncDir(d); err != nil {
				return nil, err
			}
		}
	}
	return &Local{root: root}, nil
}

// Root returns the drive's directory.
func (l *Local) Root() string { return l.root }

// Path returns the file path of a committed shard (for tools and tests).
func (l *Local) Path(name string) (string, error) {
	if err := ValidateName(name); err != nil {
		return "", err
	}
	return filepath.Join(l.root, shardsDir, name[:2], name), nil
}

// Create implements Drive.
func (l *Local) Create(ctx context.Context, name string) (Writer, error) {
	final, err := l.Path(name)
	if err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	var rnd [8]byte
	rand.Read(rnd[:])
	tmp := filepath.Join(l.root, tmpDir, name+"."+hex.EncodeToString(rnd[:])+tmpSuffix)
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o640)
	if err != nil {
		return nil, fmt.Errorf("drive: create %s: %w", name, err)
	}
	return &localWriter{ctx: ctx, f: f, tmp: tmp, final: final}, nil
}

type localWriter struct {
	ctx   context.Context
	f     *os.File
	tmp   string
	final string
	done  bool
}

func (w *localWriter) Write(p []byte) (int, error) {
	if w.done {
		return 0, ErrDone
	}
	if err := w.ctx.Err(); err != nil {
		return 0, err
	}
	return w.f.Write(p)
}

func (w *localWriter) Commit() error {
	if w.done {
		return ErrDone
	}
	if err := w.ctx.Err(); err != nil {
		w.Abort()
		return err
	}
	w.done = true
	fail := func(step string, err error) error {
		w.f.Close()
		os.Remove(w.tmp)
		return fmt.Errorf("drive: commit %s: %s: %w", filepath.Base(w.final), step, err)
	}
	if err := w.f.Sync(); err != nil {
		return fail("fsync", err)
	}
	if err := w.f.Close(); err != nil {
		return fail("close", err)
	}
	if err := os.Rename(w.tmp, w.final); err != nil {
		return fail("rename", err)
	}
	if err := syncDir(filepath.Dir(w.final)); err != nil {
		// The rename happened but may not be durable: report failure so the
		// engine does not acknowledge; the shard is then an orphan for GC.
		return fmt.Errorf("drive: commit %s: %w", filepath.Base(w.final), err)
	}
	return nil
}

func (w *localWriter) Abort() error {
	if w.done {
		return nil
	}
	w.done = true
	w.f.Close()
	if err := os.Remove(w.tmp); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("drive: abort: %w", err)
	}
	return nil
}

type localReader struct {
	*os.File
	size int64
}

func (r *localReader) Size() int64 { return r.size }

// Open implements Drive.
func (l *Local) Open(ctx context.Context, name string) (Reader, error) {
	p, err := l.Path(name)
	if err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	f, err := os.Open(p)
	if err != nil {
		return nil, notFound(name, err)
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("drive: stat %s: %w", name, err)
	}
	return &localReader{File: f, size: st.Size()}, nil
}

// Stat implements Drive.
func (l *Local) Stat(ctx context.Context, name string) (Info, error) {
	p, err := l.Path(name)
	if err != nil {
		return Info{}, err
	}
	if err := ctx.Err(); err != nil {
		return Info{}, err
	}
	st, err := os.Stat(p)
	if err != nil {
		return Info{}, notFound(name, err)
	}
	return Info{Name: name, Size: st.Size(), ModTime: st.ModTime()}, nil
}

// Delete implements Drive.
func (l *Local) Delete(ctx context.Context, name string) error {
	p, err := l.Path(name)
	if err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := os.Remove(p); err != nil {
		return notFound(name, err)
	}
	return syncDir(filepath.Dir(p))
}

// List implements Drive. Files that are not valid shard names are skipped.
func (l *Local) List(ctx context.Context, fn func(Info) error) error {
	for i := range 256 {
		if err := ctx.Err(); err != nil {
			return err
		}
		dir := filepath.Join(l.root, shardsDir, fmt.Sprintf("%02x", i))
		ents, err := os.ReadDir(dir)
		if err != nil {
			return fmt.Errorf("drive: list: %w", err)
		}
		for _, e := range ents {
			name := e.Name()
			if !e.Type().IsRegular() || ValidateName(name) != nil || name[:2] != filepath.Base(dir) {
				continue
			}
			st, err := e.Info()
			if err != nil {
				continue // deleted meanwhile
			}
			if err := fn(Info{Name: name, Size: st.Size(), ModTime: st.ModTime()}); err != nil {
				return err
			}
		}
	}
	return nil
}

// ListTemp implements Drive. Every old file in tmp/ is reported, including
// ones whose name does not parse (TempInfo.Name is then empty).
func (l *Local) ListTemp(ctx context.Context, cutoff time.Time, fn func(TempInfo) error) error {
	ents, err := os.ReadDir(filepath.Join(l.root, tmpDir))
	if err != nil {
		return fmt.Errorf("drive: list temp: %w", err)
	}
	for _, e := range ents {
		if err := ctx.Err(); err != nil {
			return err
		}
		st, err := e.Info()
		if err != nil || st.IsDir() || !st.ModTime().Before(cutoff) {
			continue
		}
		ti := TempInfo{TempName: e.Name(), Size: st.Size(), ModTime: st.ModTime()}
		if base, ok := strings.CutSuffix(e.Name(), tmpSuffix); ok {
			if i := strings.LastIndexByte(base, '.'); i > 0 && ValidateName(base[:i]) == nil {
				ti.Name = base[:i]
			}
		}
		if err := fn(ti); err != nil {
			return err
		}
	}
	return nil
}

// RemoveTemp implements Drive.
func (l *Local) RemoveTemp(ctx context.Context, tempName string) error {
	if tempName == "" || tempName == "." || tempName == ".." || strings.ContainsAny(tempName, `/\`) {
		return fmt.Errorf("%w: temp %q", ErrInvalidName, tempName)
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := os.Remove(filepath.Join(l.root, tmpDir, tempName)); err != nil {
		return notFound(tempName, err)
	}
	return nil
}

// Probe implements Drive: statfs plus a timed durable write of a small
// file in tmp/ (removed again).
func (l *Local) Probe(ctx context.Context) (Health, error) {
	if err := ctx.Err(); err != nil {
		return Health{}, err
	}
	var h Health
	h.TotalBytes, h.FreeBytes = diskSpace(l.root)
	start := time.Now()
	var rnd [8]byte
	rand.Read(rnd[:])
	p := filepath.Join(l.root, tmpDir, "probe."+hex.EncodeToString(rnd[:])+tmpSuffix)
	f, err := os.OpenFile(p, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o640)
	if err != nil {
		return h, fmt.Errorf("drive: probe: %w", err)
	}
	_, werr := f.Write([]byte("nimbus drive probe\n"))
	serr := f.Sync()
	cerr := f.Close()
	rerr := os.Remove(p)
	if err := errors.Join(werr, serr, cerr, rerr); err != nil {
		return h, fmt.Errorf("drive: probe: %w", err)
	}
	h.Latency = time.Since(start)
	return h, nil
}

func notFound(name string, err error) error {
	if errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("%w: %s", ErrNotFound, name)
	}
	return fmt.Errorf("drive: %s: %w", name, err)
}

// syncDir fsyncs a directory so that entries created, renamed or removed
// in it survive a crash.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("drive: sync dir: %w", err)
	}
	serr := d.Sync()
	cerr := d.Close()
	if err := errors.Join(serr, cerr); err != nil {
		return fmt.Errorf("drive: sync dir %s: %w", dir, err)
	}
	return nil
}
