package s3

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"log/slog"
	"strings"
	"sync"
	"time"

	"io"

	"github.com/nimbuscloud/nimbus/internal/caller"
	"github.com/nimbuscloud/nimbus/internal/s3/sse"
	"github.com/nimbuscloud/nimbus/internal/store"
)

// Blob is an object body stored by the engine: its ID and its marshalled
// reference.
type Blob struct {
	ID  string
	Ref []byte
}

// Blobs is the object engine as S3 uses it (internal/blob/engine behind a
// small adapter in the composition root).
type Blobs interface {
	// Put stores size bytes read from r under a storage class and returns
	// once they are durable. It fails, storing nothing, when r fails.
	Put(ctx context.Context, class string, size int64, r io.Reader) (Blob, error)
	// Read writes n bytes from offset off of the blob to w.
	Read(ctx context.Context, ref []byte, w io.Writer, off, n int64) (int64, error)
	// Delete removes the blob.
	Delete(ctx context.Context, ref []byte) error
}

// Authorizer decides an action on a resource owned by resourceAccount,
// with the resource's policy ("" when it has none). It returns nil when
// allowed and the authorizer's denial otherwise.
type Authorizer interface {
	AuthorizeWithPolicy(ctx context.Context, action, resource, resourceAccount, resourcePolicy string, keys map[string][]string) error
}

// DefaultInlineMax is the largest body kept in the object's row instead of
// the engine. At 4 KiB a body costs one store commit instead of one
// durable file per replica (each with file and directory fsyncs), which is
// what makes small-object PUT rates reachable; the row stays small enough
// that listing and metadata reads are unaffected.
const DefaultInlineMax = 4 << 10

// MaxPutSize is the largest single PUT (5 GiB), as S3.
const MaxPutSize = 5 << 30

// Options configures a Service.
type Options struct {
	Region    string
	InlineMax int64 // DefaultInlineMax when 0; negative disables inlining
	Now       func() time.Time
	Log       *slog.Logger
	// Sealer wraps each body's data key with the region's master key
	// (internal/secret.Box): every body is stored encrypted (SSE-S3).
	// Nil only in unit tests of other concerns, which store plaintext.
	Sealer sse.Sealer
}

// Service is S3 for every account of the region.
type Service struct {
	st        store.Store
	blobs     Blobs
	authz     Authorizer
	region    string
	inlineMax int64
	now       func() time.Time
	log       *slog.Logger
	pins      pins
	sealer    sse.Sealer
}

// New returns the S3 service. Call Migrate before use.
func New(st store.Store, blobs Blobs, az Authorizer, o Options) *Service {
	s := &Service{st: st, blobs: blobs, authz: az, region: o.Region, inlineMax: o.InlineMax, now: o.Now, log: o.Log, sealer: o.Sealer}
	if s.region == "" {
		s.region = "us-east-1"
	}
	switch {
	case s.inlineMax == 0:
		s.inlineMax = DefaultInlineMax
	case s.inlineMax < 0:
		s.inlineMax = -1
	}
	if s.now == nil {
		s.now = time.Now
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	s.pins = pins{n: map[string]int{}, doomed: map[string][]Blob{}, opening: map[string][]*released{}}
	return s
}

// Migrate applies S3's schema.
func (s *Service) Migrate(ctx context.Context) error { return s.st.Migrate(ctx, Schema()) }

// Region is the region buckets are created in.
func (s *Service) Region() string { return s.region }

// BucketARN and ObjectARN are S3's resource names.
func BucketARN(bucket string) string      { return "arn:aws:s3:::" + bucket }
func ObjectARN(bucket, key string) string { return "arn:aws:s3:::" + bucket + "/" + key }

// CanonicalID is an account's S3 canonical user ID (64 hex digits), stable
// per account.
func CanonicalID(accountID string) string {
	sum := sha256.Sum256([]byte("nimbus-s3-canonical-user:" + accountID))
	return hex.EncodeToString(sum[:])
}

// callerAccount is the signed caller's account, or ErrAccessDenied for
// anonymous requests.
func callerAccount(ctx context.Context) (string, error) {
	c := caller.From(ctx)
	if c == nil || c.Anonymous() || c.Principal.AccountID == "" {
		return "", errAnonymous()
	}
	return c.Principal.AccountID, nil
}

func errAnonymous() error {
	return wrap(ErrAccessDenied, "Access Denied")
}

func requestID(ctx context.Context) string {
	if c := caller.From(ctx); c != nil {
		return c.RequestID
	}
	return ""
}

// release deletes the blobs a committed change stopped naming, once no
// reader in this process holds them. A failure leaves orphans for the
// engine's collector (the catalog no longer lists them), so it is logged,
// not returned: the operation that dropped them has committed.
func (s *Service) release(ctx context.Context, r *released) {
	if r == nil || len(r.blobs) == 0 {
		return
	}
	if !s.pins.doom(r) {
		return // the last reader deletes them
	}
	s.deleteBlobs(ctx, r.blobs)
}

func (s *Service) deleteBlobs(ctx context.Context, blobs []Blob) {
	for _, b := range blobs {
		s.deleteBlob(ctx, b.ID, b.Ref)
	}
}

func (s *Service) deleteBlob(ctx context.Context, id string, ref []byte) {
	if ref == nil {
		return
	}
	ctx = context.WithoutCancel(ctx)
	if err := s.blobs.Delete(ctx, ref); err != nil {
		s.log.Warn("deleting an unreferenced object body failed; the engine's orphan collector will reclaim it",
			"request_id", requestID(ctx), "blob", id, "err", err)
	}
}

// pins counts in-process readers of each body (a blob, or a multipart
// object's parts, by pin key), so that an overwrite or delete committed
// while a GET streams the old body deletes that body only when the GET is
// done (a GET returns the version it started with, whole).
//
// A GET learns which body to pin only by reading the row, and the body it
// read may be released before it pins it. So while it opens an object it
// also holds the object's opening pin (openPin): a body of that object
// released meanwhile is set aside under it, and when the opening pin drops
// (after the GET pinned the body it read) each set-aside body is deleted
// unless its own pin is held, in which case its last reader deletes it.
type pins struct {
	mu      sync.Mutex
	n       map[string]int
	doomed  map[string][]Blob      // by body pin key
	opening map[string][]*released // by opening pin
}

// openPin is the pin a GET holds while it opens bucket/key. It cannot
// collide with a body's key (a blob ID or an upload ID).
func openPin(bucket, key string) string { return "\x00open\x00" + bucket + "/" + key }

func (p *pins) pin(key string) {
	p.mu.Lock()
	p.n[key]++
	p.mu.Unlock()
}

// unpin drops a reader and returns the blobs that must now be deleted.
func (p *pins) unpin(key string) []Blob {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.n[key]--; p.n[key] > 0 {
		return nil
	}
	delete(p.n, key)
	blobs := p.doomed[key]
	delete(p.doomed, key)
	for _, r := range p.opening[key] {
		if p.n[r.key] > 0 {
			p.doomed[r.key] = append(p.doomed[r.key], r.blobs...)
		} else {
			blobs = append(blobs, r.blobs...)
		}
	}
	delete(p.opening, key)
	return blobs
}

// doom marks a released body for deletion and reports whether the caller
// deletes it now (no readers, and nobody opening its object).
func (p *pins) doom(r *released) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if r.obj != "" && p.n[r.obj] > 0 {
		p.opening[r.obj] = append(p.opening[r.obj], r)
		return false
	}
	if p.n[r.key] > 0 {
		p.doomed[r.key] = append(p.doomed[r.key], r.blobs...)
		return false
	}
	return true
}

func wrap(sentinel error, msg string) error { return &clientError{sentinel: sentinel, msg: msg} }

// clientError is a sentinel with the message the client sees.
type clientError struct {
	sentinel error
	msg      string
}

func (e *clientError) Error() string { return e.sentinel.Error() + ": " + e.msg }
func (e *clientError) Unwrap() error { return e.sentinel }

func isBlank(s string) bool { return strings.TrimSpace(s) == "" }
