package engine

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nimbuscloud/nimbus/internal/blob/drive"
	"github.com/nimbuscloud/nimbus/internal/blob/erasure"
	"github.com/nimbuscloud/nimbus/internal/blob/layout"
	"github.com/nimbuscloud/nimbus/internal/blob/shard"
)

// Defaults.
const (
	// DefaultBlockSize is the shard block and erasure block size: a 4 KiB
	// ranged read verifies one 256 KiB block (~44 µs), a 64 MiB object is
	// 256 blocks per replica, and a stripe of RS(4,2) holds 1 MiB.
	DefaultBlockSize = 256 << 10
	// DefaultGrace is how old an unreferenced shard or temporary file must
	// be before Scrub removes it. It must exceed the longest time between a
	// Put's shard commit and the caller's metadata commit, and the longest
	// pause between two writes of one Put.
	DefaultGrace = time.Hour
	// healQueueLen bounds the heal queue; a full queue drops requests
	// (the scrubber finds the damage again).
	healQueueLen = 4096
)

// Errors. Every error the engine returns for these conditions wraps one.
var (
	// ErrUnknownClass: no layout is configured for the storage class.
	ErrUnknownClass = errors.New("engine: unknown storage class")
	// ErrSize: the body was shorter or longer than the declared size.
	ErrSize = errors.New("engine: body length differs from declared size")
	// ErrQuorum: fewer shards than the write quorum became durable.
	ErrQuorum = errors.New("engine: write quorum not reached")
	// ErrRange: the requested range is outside the object.
	ErrRange = errors.New("engine: range outside object")
	// ErrUnreadable: too few healthy shards (or no healthy replica) remain
	// to serve the requested bytes.
	ErrUnreadable = errors.New("engine: object unreadable: too few healthy shards")
	// ErrInvalidRef: a Ref that does not decode or does not make sense.
	ErrInvalidRef = errors.New("engine: invalid ref")
	// ErrClosed: the engine was closed.
	ErrClosed = errors.New("engine: closed")
)

// Config configures an Engine. Zero values take the documented defaults.
type Config struct {
	// Root is the directory holding the local drives: <Root>/<az>/<driveID>/.
	Root string
	// AZs are the region's AZs (used for the default drive set).
	AZs []string
	// Drives is the drive set; default layout.DefaultDrives(AZs, 0).
	Drives []layout.Drive
	// Key keys the shard block hashes. The caller keeps it in the data dir;
	// losing it makes every shard unverifiable.
	Key [32]byte
	// BlockSize is the shard block and erasure block size (default 256 KiB).
	BlockSize int
	// Layouts maps storage classes to layouts; default layout.DefaultLayouts.
	Layouts map[string]layout.Layout
	// Log receives the engine's logs (default slog.Default()).
	Log *slog.Logger
	// Now is the clock used for orphan and temp ages (default time.Now).
	Now func() time.Time
	// Grace is the minimum age of an orphan shard or temp file before Scrub
	// removes it (default DefaultGrace).
	Grace time.Duration
	// ScrubRate limits the bytes per second Scrub reads (0: unlimited).
	ScrubRate int64
	// OpenDrive opens a drive of the set; default drive.NewLocal on
	// <Root>/<az>/<id>. A remote storage node client plugs in here.
	OpenDrive func(layout.Drive) (drive.Drive, error)
}

// Engine stores objects as shards on a drive set. It is safe for
// concurrent use.
type Engine struct {
	log       *slog.Logger
	now       func() time.Time
	key       shard.Key
	blockSize int
	grace     time.Duration
	scrubRate int64
	layouts   map[string]layout.Layout
	drives    []*driveHandle
	byID      map[string]*driveHandle
	set       *layout.DriveSet

	coderMu sync.Mutex
	coders  map[coderKey]*erasure.Coder

	healq chan Ref

	mu       sync.Mutex
	closed   bool
	queued   map[objectID]bool          // in healq
	fresh    map[objectID]time.Time     // degraded at Put: the caller may not have committed its metadata yet
	healing  map[objectID]bool          // being rebuilt
	pending  map[objectID]chan struct{} // Put commits still running
	degraded map[objectID]int64         // known reduced redundancy: size
	bg       sync.WaitGroup             // background commits
	last     struct {
		at   time.Time
		took time.Duration
	}

	c counters
}

type coderKey struct{ k, m, bs int }

type objectID = [16]byte

// driveHandle is one drive of the set with its cached health.
type driveHandle struct {
	info layout.Drive
	path string
	d    drive.Drive

	mu     sync.Mutex
	health DriveStatus
}

type counters struct {
	puts, reads, deletes           atomic.Int64
	objectsScanned, shardsVerified atomic.Int64
	bytesVerified                  atomic.Int64
	corruptions, missing           atomic.Int64
	heals, healFailures            atomic.Int64
	orphans, temps                 atomic.Int64
	degradedReads, degradedPuts    atomic.Int64
}

// Open opens (creating where needed) the drives and checks every layout
// against the drive set (layout.Validate: every object survives the loss
// of one AZ).
func Open(ctx context.Context, cfg Config) (*Engine, error) {
	drives := cfg.Drives
	if len(drives) == 0 {
		drives = layout.DefaultDrives(cfg.AZs, 0)
	}
	if len(drives) == 0 {
		return nil, errors.New("engine: no drives and no AZs configured")
	}
	set, err := layout.NewDriveSet(drives)
	if err != nil {
		return nil, fmt.Errorf("engine: %w", err)
	}
	layouts := cfg.Layouts
	if layouts == nil {
		if layouts, err = layout.DefaultLayouts(drives); err != nil {
			return nil, fmt.Errorf("engine: %w", err)
		}
	}
	for class, l := range layouts {
		if err := layout.Validate(l, drives); err != nil {
			return nil, fmt.Errorf("engine: storage class %s: %w", class, err)
		}
	}
	bs := cfg.BlockSize
	if bs == 0 {
		bs = DefaultBlockSize
	}
	if bs < shard.MinBlockSize || bs > shard.MaxBlockSize {
		return nil, fmt.Errorf("engine: block size %d outside [%d, %d]", bs, shard.MinBlockSize, shard.MaxBlockSize)
	}
	e := &Engine{
		log:       cfg.Log,
		now:       cfg.Now,
		key:       shard.Key(cfg.Key),
		blockSize: bs,
		grace:     cfg.Grace,
		scrubRate: cfg.ScrubRate,
		layouts:   maps.Clone(layouts),
		byID:      make(map[string]*driveHandle, len(drives)),
		set:       set,
		coders:    make(map[coderKey]*erasure.Coder),
		healq:     make(chan Ref, healQueueLen),
		queued:    make(map[objectID]bool),
		healing:   make(map[objectID]bool),
		pending:   make(map[objectID]chan struct{}),
		fresh:     make(map[objectID]time.Time),
		degraded:  make(map[objectID]int64),
	}
	if e.log == nil {
		e.log = slog.Default()
	}
	e.log = e.log.With("component", "blob.engine")
	if e.now == nil {
		e.now = time.Now
	}
	if e.grace <= 0 {
		e.grace = DefaultGrace
	}
	openDrive := cfg.OpenDrive
	if openDrive == nil {
		if cfg.Root == "" {
			return nil, errors.New("engine: Config.Root is required for local drives")
		}
		openDrive = func(d layout.Drive) (drive.Drive, error) {
			return drive.NewLocal(localPath(cfg.Root, d))
		}
	}
	for _, d := range drives {
		dd, err := openDrive(d)
		if err != nil {
			return nil, fmt.Errorf("engine: drive %v: %w", d, err)
		}
		h := &driveHandle{info: d, d: dd, health: DriveStatus{ID: d.ID, AZ: d.AZ}}
		if cfg.OpenDrive == nil {
			h.path = localPath(cfg.Root, d)
		}
		h.health.Path = h.path
		e.drives = append(e.drives, h)
		e.byID[d.ID] = h
	}
	e.probe(ctx)
	return e, nil
}

func localPath(root string, d layout.Drive) string {
	return filepath.Join(root, d.AZ, d.ID)
}

// Close waits for background shard commits of acknowledged Puts. The
// engine must not be used afterwards.
func (e *Engine) Close() error {
	e.mu.Lock()
	e.closed = true
	e.mu.Unlock()
	e.bg.Wait()
	return nil
}

// Layouts returns the storage classes and their layouts.
func (e *Engine) Layouts() map[string]layout.Layout { return maps.Clone(e.layouts) }

// coder returns the (cached) erasure coder of a layout and block size.
func (e *Engine) coder(l layout.Layout, bs int) (*erasure.Coder, error) {
	k := coderKey{l.Data, l.Parity, bs}
	e.coderMu.Lock()
	defer e.coderMu.Unlock()
	if c, ok := e.coders[k]; ok {
		return c, nil
	}
	c, err := erasure.New(l.Data, l.Parity, bs)
	if err != nil {
		return nil, err
	}
	e.coders[k] = c
	return c, nil
}

// resolve returns the drive holding each shard of ref: the recorded drive
// when it is still in the set; otherwise the drive layout.Rebalance assigns
// (the recorded assignment moved onto today's placement), so a removed
// drive's shards are healed to, and then read from, one deterministic new
// home without rewriting the caller's Ref. nil means no drive.
func (e *Engine) resolve(ref Ref) []*driveHandle {
	out := make([]*driveHandle, len(ref.drives))
	moved := false
	for i, id := range ref.drives {
		if h, ok := e.byID[id]; ok {
			out[i] = h
		} else {
			moved = true
		}
	}
	if !moved {
		return out
	}
	desired, err := e.set.Place(ref.ID(), ref.lay)
	if err != nil {
		return out
	}
	current := make([]layout.Drive, len(ref.drives))
	for i, id := range ref.drives {
		current[i] = layout.Drive{ID: id}
	}
	next, _, err := layout.Rebalance(current, desired)
	if err != nil {
		return out
	}
	for i := range out {
		if out[i] == nil {
			out[i] = e.byID[next[i].ID]
		}
	}
	return out
}

// waitPending waits until the background commits of a Put of id finish.
func (e *Engine) waitPending(ctx context.Context, id objectID) error {
	e.mu.Lock()
	ch := e.pending[id]
	e.mu.Unlock()
	if ch == nil {
		return nil
	}
	select {
	case <-ch:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (e *Engine) isPending(id objectID) bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.pending[id] != nil
}

// markDegraded records that ref has fewer healthy shards than its layout.
func (e *Engine) markDegraded(ref Ref) {
	e.mu.Lock()
	e.degraded[ref.id] = ref.size
	e.mu.Unlock()
}

func (e *Engine) clearDegraded(id objectID) {
	e.mu.Lock()
	delete(e.degraded, id)
	e.mu.Unlock()
}

// enqueueHeal asks the background healer to restore ref. It never blocks:
// a full queue drops the request, and the next scrub finds the damage.
func (e *Engine) enqueueHeal(ref Ref) {
	e.markDegraded(ref)
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.queued[ref.id] || e.closed {
		return
	}
	select {
	case e.healq <- ref:
		e.queued[ref.id] = true
	default:
	}
}

// DriveStatus is one drive's last known health.
type DriveStatus struct {
	ID, AZ     string
	Path       string // local directory ("" for other drive kinds)
	Healthy    bool
	Err        string // last probe error
	TotalBytes uint64
	FreeBytes  uint64
	Latency    time.Duration // of the last probe's durable write
	Checked    time.Time
}

// Status is the engine's state for `nimbus admin storage status` and metrics.
type Status struct {
	Drives  []DriveStatus
	Layouts map[string]layout.Layout

	Puts, Reads, Deletes int64
	ObjectsScanned       int64 // by Scrub, cumulative
	ShardsVerified       int64
	BytesVerified        int64
	CorruptionsFound     int64 // shards found corrupt (bad block, header, length, I/O error)
	MissingFound         int64 // shards found missing
	HealsDone            int64 // shards rebuilt
	HealFailures         int64
	OrphansRemoved       int64 // committed shards of objects not live
	TempsRemoved         int64 // temporary files of aborted or killed writes
	DegradedReads        int64 // reads that had to skip or rebuild a shard
	DegradedPuts         int64 // Puts acknowledged with fewer than all shards

	// ReducedRedundancyBytes is the logical size of objects known to have
	// fewer healthy shards than their layout, not yet healed.
	ReducedRedundancyBytes   int64
	ReducedRedundancyObjects int
	HealQueue                int

	LastScrub         time.Time
	LastScrubDuration time.Duration
}

// Status returns drive health (as of the last probe: Open, each scrub and
// each RunScrubber round) and the counters.
func (e *Engine) Status() Status {
	s := Status{
		Layouts:          maps.Clone(e.layouts),
		Puts:             e.c.puts.Load(),
		Reads:            e.c.reads.Load(),
		Deletes:          e.c.deletes.Load(),
		ObjectsScanned:   e.c.objectsScanned.Load(),
		ShardsVerified:   e.c.shardsVerified.Load(),
		BytesVerified:    e.c.bytesVerified.Load(),
		CorruptionsFound: e.c.corruptions.Load(),
		MissingFound:     e.c.missing.Load(),
		HealsDone:        e.c.heals.Load(),
		HealFailures:     e.c.healFailures.Load(),
		OrphansRemoved:   e.c.orphans.Load(),
		TempsRemoved:     e.c.temps.Load(),
		DegradedReads:    e.c.degradedReads.Load(),
		DegradedPuts:     e.c.degradedPuts.Load(),
		HealQueue:        len(e.healq),
	}
	for _, h := range e.drives {
		h.mu.Lock()
		s.Drives = append(s.Drives, h.health)
		h.mu.Unlock()
	}
	e.mu.Lock()
	for _, n := range e.degraded {
		s.ReducedRedundancyBytes += n
	}
	s.ReducedRedundancyObjects = len(e.degraded)
	s.LastScrub, s.LastScrubDuration = e.last.at, e.last.took
	e.mu.Unlock()
	return s
}

// probe checks every drive in parallel and caches the result.
func (e *Engine) probe(ctx context.Context) {
	var wg sync.WaitGroup
	for _, h := range e.drives {
		wg.Go(func() {
			hl, err := h.d.Probe(ctx)
			if err == nil && h.path != "" {
				// A deleted drive directory still probes if tmp/ was
				// recreated by someone; require the shard tree too.
				if _, serr := os.Stat(filepath.Join(h.path, "shards")); serr != nil {
					err = serr
				}
			}
			h.mu.Lock()
			defer h.mu.Unlock()
			h.health.Checked = e.now()
			h.health.TotalBytes, h.health.FreeBytes, h.health.Latency = hl.TotalBytes, hl.FreeBytes, hl.Latency
			h.health.Healthy = err == nil
			h.health.Err = ""
			if err != nil {
				h.health.Err = err.Error()
				e.log.Warn("drive unhealthy", "drive", h.info.ID, "az", h.info.AZ, "err", err)
			}
		})
	}
	wg.Wait()
}

// classes returns the configured storage classes, sorted.
func (e *Engine) classes() []string { return slices.Sorted(maps.Keys(e.layouts)) }
