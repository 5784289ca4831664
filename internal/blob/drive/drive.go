package drive

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"
)

// Drive stores opaque, immutable shard files. Implementations: Local (a
// directory); later a client for a remote storage node. All methods are
// safe for concurrent use.
type Drive interface {
	// Create starts writing shard name under a temporary name. Nothing is
	// visible under name until the returned Writer commits.
	Create(ctx context.Context, name string) (Writer, error)
	// Open opens a committed shard for random reads.
	Open(ctx context.Context, name string) (Reader, error)
	// Stat describes a committed shard.
	Stat(ctx context.Context, name string) (Info, error)
	// Delete removes a committed shard durably (the directory is synced).
	Delete(ctx context.Context, name string) error
	// List calls fn for every committed shard, in no particular order.
	// Returning an error from fn stops the walk with that error.
	List(ctx context.Context, fn func(Info) error) error
	// ListTemp calls fn for every temporary file last modified before
	// cutoff: leftovers of writes that were aborted or killed.
	ListTemp(ctx context.Context, cutoff time.Time, fn func(TempInfo) error) error
	// RemoveTemp removes one temporary file reported by ListTemp.
	RemoveTemp(ctx context.Context, tempName string) error
	// Probe reports capacity and checks that the drive accepts a durable
	// write.
	Probe(ctx context.Context) (Health, error)
}

// Writer is an in-progress shard. Exactly one of Commit or Abort takes
// effect; calling Abort after Commit is a no-op, so `defer w.Abort()` is
// the intended pattern.
type Writer interface {
	io.Writer
	// Commit makes the shard durable and visible under its final name:
	// fsync the file, rename it into place (replacing any previous shard of
	// that name), fsync the directory.
	Commit() error
	// Abort discards the temporary file.
	Abort() error
}

// Reader reads a committed shard.
type Reader interface {
	io.ReaderAt
	io.Closer
	// Size is the file size at open time.
	Size() int64
}

// Info describes a committed shard.
type Info struct {
	Name    string
	Size    int64
	ModTime time.Time
}

// TempInfo describes a temporary file.
type TempInfo struct {
	TempName string // name to pass to RemoveTemp
	Name     string // the shard it was going to become
	Size     int64
	ModTime  time.Time
}

// Health is the result of a Probe.
type Health struct {
	TotalBytes uint64        // filesystem size (0 if unknown)
	FreeBytes  uint64        // bytes available to this process (0 if unknown)
	Latency    time.Duration // time of a small durable write+remove
}

// Errors.
var (
	// ErrNotFound: no committed shard of that name.
	ErrNotFound = errors.New("drive: shard not found")
	// ErrInvalidName: the name breaks the naming rules (see ValidateName).
	ErrInvalidName = errors.New("drive: invalid shard name")
	// ErrDone: the Writer was already committed or aborted.
	ErrDone = errors.New("drive: writer already committed or aborted")
)

// MaxNameLen bounds shard names.
const MaxNameLen = 200

// ValidateName checks a shard name: 3 to MaxNameLen bytes, the first two
// lowercase hex digits (they pick the fan-out directory), the rest from
// [0-9A-Za-z._-], and no "..". Names are engine IDs, never user keys.
func ValidateName(name string) error {
	if len(name) < 3 || len(name) > MaxNameLen {
		return fmt.Errorf("%w: %q: length %d not in [3, %d]", ErrInvalidName, name, len(name), MaxNameLen)
	}
	if !isHex(name[0]) || !isHex(name[1]) {
		return fmt.Errorf("%w: %q: must start with two lowercase hex digits", ErrInvalidName, name)
	}
	for i := 2; i < len(name); i++ {
		c := name[i]
		ok := c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '.' || c == '_' || c == '-'
		if !ok {
			return fmt.Errorf("%w: %q: byte %q at %d", ErrInvalidName, name, c, i)
		}
		if c == '.' && name[i-1] == '.' {
			return fmt.Errorf("%w: %q: contains \"..\"", ErrInvalidName, name)
		}
	}
	return nil
}

func isHex(c byte) bool { return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' }

// CleanTemp removes every temporary file on d older than cutoff and
// returns how many it removed. The orphan collector runs it with a cutoff
// well beyond the longest gap between two writes of a live upload.
func CleanTemp(ctx context.Context, d Drive, cutoff time.Time) (int, error) {
	var names []string
	err := d.ListTemp(ctx, cutoff, func(t TempInfo) error {
		names = append(names, t.TempName)
		return nil
	})
	if err != nil {
		return 0, err
	}
	n := 0
	for _, name := range names {
		if err := d.RemoveTemp(ctx, name); err != nil && !errors.Is(err, ErrNotFound) {
			return n, err
		}
		n++
	}
	return n, nil
}
