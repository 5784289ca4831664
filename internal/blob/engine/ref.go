package engine

import (
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/nimbuscloud/nimbus/internal/blob/layout"
)

// refVersion is the first byte of an encoded Ref.
const refVersion = 1

// Ref says where an object's bytes live: its ID, storage class, layout,
// size, block size, the drive of every shard and the shard payload length.
// The caller stores it (MarshalBinary) in the object's metadata row and
// treats it as opaque. A Ref is immutable; heal never changes it (a shard
// whose recorded drive left the set lives where layout.Rebalance puts it).
type Ref struct {
	id        objectID
	class     string
	lay       layout.Layout
	size      int64
	blockSize int
	shardSize int64
	drives    []string // drive ID of shard i
}

// ID returns the object ID as 32 lowercase hex digits; shard names and
// Catalog.IsLive use it.
func (r Ref) ID() string { return hex.EncodeToString(r.id[:]) }

// Size returns the object length in bytes.
func (r Ref) Size() int64 { return r.size }

// Class returns the storage class the object was written with.
func (r Ref) Class() string { return r.class }

// Layout returns the layout the object was written with.
func (r Ref) Layout() layout.Layout { return r.lay }

// Drives returns the drive ID recorded for each shard.
func (r Ref) Drives() []string { return slices.Clone(r.drives) }

// IsZero reports whether r is the zero Ref (no object).
func (r Ref) IsZero() bool { return len(r.drives) == 0 }

func (r Ref) String() string {
	return fmt.Sprintf("%s %s %v %dB [%s]", r.ID(), r.class, r.lay, r.size, strings.Join(r.drives, ","))
}

// shardName is the file name of shard i: hex(ID) + "." + i. It passes
// drive.ValidateName (starts with two lowercase hex digits).
func (r Ref) shardName(i int) string { return r.ID() + "." + strconv.Itoa(i) }

// shardID is the ID bound into shard i's hashes: the object ID with the
// shard index XORed into its last byte, so no two shards of one object
// (layouts have at most 256) share an ID and a block can never be moved
// from one shard file to another unnoticed.
func (r Ref) shardID(i int) [16]byte {
	id := r.id
	id[15] ^= byte(i)
	return id
}

// parseShardName splits a shard file name into object ID and index.
func parseShardName(name string) (objectID, int, bool) {
	var id objectID
	hexID, idx, ok := strings.Cut(name, ".")
	if !ok || len(hexID) != 32 {
		return id, 0, false
	}
	if _, err := hex.Decode(id[:], []byte(hexID)); err != nil {
		return id, 0, false
	}
	i, err := strconv.Atoi(idx)
	if err != nil || i < 0 || i > 255 || strconv.Itoa(i) != idx {
		return id, 0, false
	}
	return id, i, true
}

// MarshalBinary encodes the Ref compactly (about 50 bytes for three
// replicas): version byte 1, the 16-byte ID, then uvarints: class length
// and bytes, replicas, data, parity, write quorum, size, block size, shard
// size, shard count, and per shard the drive ID length and bytes.
// Versions are only ever added; old versions stay decodable.
func (r Ref) MarshalBinary() ([]byte, error) {
	if err := r.check(); err != nil {
		return nil, err
	}
	b := make([]byte, 0, 1+16+len(r.class)+8*binary.MaxVarintLen64+len(r.drives)*8)
	b = append(b, refVersion)
	b = append(b, r.id[:]...)
	b = appendString(b, r.class)
	for _, v := range []int{r.lay.Replicas, r.lay.Data, r.lay.Parity, r.lay.WriteQuorum} {
		b = binary.AppendUvarint(b, uint64(v))
	}
	b = binary.AppendUvarint(b, uint64(r.size))
	b = binary.AppendUvarint(b, uint64(r.blockSize))
	b = binary.AppendUvarint(b, uint64(r.shardSize))
	b = binary.AppendUvarint(b, uint64(len(r.drives)))
	for _, d := range r.drives {
		b = appendString(b, d)
	}
	return b, nil
}

func appendString(b []byte, s string) []byte {
	b = binary.AppendUvarint(b, uint64(len(s)))
	return append(b, s...)
}

// UnmarshalBinary decodes a Ref written by MarshalBinary and checks it.
func (r *Ref) UnmarshalBinary(data []byte) error {
	d := refDecoder{b: data}
	if len(data) == 0 {
		return fmt.Errorf("%w: empty", ErrInvalidRef)
	}
	if v := d.byte(); v != refVersion {
		return fmt.Errorf("%w: unknown version %d", ErrInvalidRef, v)
	}
	var out Ref
	copy(out.id[:], d.bytes(16))
	out.class = d.string()
	out.lay.Replicas = d.int()
	out.lay.Data = d.int()
	out.lay.Parity = d.int()
	out.lay.WriteQuorum = d.int()
	out.size = int64(d.uint(1 << 62))
	out.blockSize = d.int()
	out.shardSize = int64(d.uint(1 << 62))
	n := int(d.uint(256))
	if d.err == nil {
		out.drives = make([]string, 0, n)
		for range n {
			out.drives = append(out.drives, d.string())
		}
	}
	if d.err != nil {
		return fmt.Errorf("%w: %v", ErrInvalidRef, d.err)
	}
	if len(d.b) != 0 {
		return fmt.Errorf("%w: %d trailing bytes", ErrInvalidRef, len(d.b))
	}
	if err := out.check(); err != nil {
		return err
	}
	*r = out
	return nil
}

// check validates the Ref's internal consistency.
func (r Ref) check() error {
	bad := func(format string, args ...any) error {
		return fmt.Errorf("%w: %s", ErrInvalidRef, fmt.Sprintf(format, args...))
	}
	if err := r.lay.Check(); err != nil {
		return bad("%v", err)
	}
	if len(r.drives) != r.lay.Shards() {
		return bad("%d drives for %d shards", len(r.drives), r.lay.Shards())
	}
	if r.size < 0 || r.blockSize < 64 || r.blockSize > 64<<20 {
		return bad("size %d / block size %d", r.size, r.blockSize)
	}
	want := r.size
	if r.lay.IsErasure() {
		stripe := int64(r.lay.Data) * int64(r.blockSize)
		full, rem := r.size/stripe, r.size%stripe
		want = full*int64(r.blockSize) + (rem+int64(r.lay.Data)-1)/int64(r.lay.Data)
	}
	if r.shardSize != want {
		return bad("shard size %d, want %d", r.shardSize, want)
	}
	for _, d := range r.drives {
		if d == "" {
			return bad("empty drive ID")
		}
	}
	return nil
}

// refDecoder reads the Ref encoding; the first error sticks.
type refDecoder struct {
	b   []byte
	err error
}

func (d *refDecoder) fail(what string) {
	if d.err == nil {
		d.err = fmt.Errorf("truncated or bad %s", what)
	}
}

func (d *refDecoder) byte() byte {
	if d.err != nil || len(d.b) < 1 {
		d.fail("version")
		return 0
	}
	c := d.b[0]
	d.b = d.b[1:]
	return c
}

func (d *refDecoder) bytes(n int) []byte {
	if d.err != nil || len(d.b) < n {
		d.fail("bytes")
		return nil
	}
	out := d.b[:n]
	d.b = d.b[n:]
	return out
}

func (d *refDecoder) uint(limit uint64) uint64 {
	if d.err != nil {
		return 0
	}
	v, n := binary.Uvarint(d.b)
	if n <= 0 || v > limit {
		d.fail("number")
		return 0
	}
	d.b = d.b[n:]
	return v
}

func (d *refDecoder) int() int { return int(d.uint(1 << 30)) }

func (d *refDecoder) string() string {
	n := int(d.uint(255))
	return string(d.bytes(n))
}
