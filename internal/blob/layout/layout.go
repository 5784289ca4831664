package layout

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// Errors returned by this package. Every error wraps exactly one of them.
var (
	// ErrInvalidLayout: the layout itself is malformed (no drives involved).
	ErrInvalidLayout = errors.New("invalid layout")
	// ErrInvalidDrives: the drive set is malformed (empty, duplicate IDs, no AZ).
	ErrInvalidDrives = errors.New("invalid drive set")
	// ErrAZRule: the drive set cannot hold the layout so that losing any one
	// AZ leaves the object readable.
	ErrAZRule = errors.New("layout cannot survive the loss of an AZ on these drives")
	// ErrInvalidModel: a durability input (failure rate, heal time, counts)
	// is out of range.
	ErrInvalidModel = errors.New("invalid durability input")
)

// Storage class names, as S3 spells them.
const (
	ClassStandard   = "STANDARD"
	ClassStandardIA = "STANDARD_IA"
	ClassGlacierIR  = "GLACIER_IR"
)

// DefaultReplicas is the STANDARD replica count: one per AZ of a three-AZ region.
const DefaultReplicas = 3

// maxShards is klauspost/reedsolomon's limit for GF(2^8) codes.
const maxShards = 256

// Drive is one failure unit: a directory on its own disk, or a remote node's
// drive. ID is stable for the drive's whole life (placement hashes it).
type Drive struct {
	ID string
	AZ string
}

func (d Drive) String() string { return d.ID + "@" + d.AZ }

// Layout says how one object's bytes are made redundant. Exactly one of
// Replicas (replication: N full copies) or Data (Reed-Solomon: K data + M
// parity shards, any K of which rebuild the object) is set.
type Layout struct {
	Replicas int // N; > 0 for replication
	Data     int // K; > 0 for erasure coding
	Parity   int // M; >= 1 with Data
	// WriteQuorum is how many shards must be durable before a PUT is
	// acknowledged; 0 means DefaultQuorum.
	WriteQuorum int
}

// Replicated returns an N-replica layout with the default write quorum.
func Replicated(n int) Layout { return Layout{Replicas: n} }

// ReedSolomon returns a K+M erasure layout with the default write quorum.
func ReedSolomon(k, m int) Layout { return Layout{Data: k, Parity: m} }

// IsErasure reports whether the layout is Reed-Solomon coded.
func (l Layout) IsErasure() bool { return l.Data > 0 }

// Shards is how many shards (replicas or K+M) each object has; each lives on
// its own drive.
func (l Layout) Shards() int {
	if l.IsErasure() {
		return l.Data + l.Parity
	}
	return l.Replicas
}

// ReadQuorum is how many healthy shards a read needs: K, or one replica.
func (l Layout) ReadQuorum() int {
	if l.IsErasure() {
		return l.Data
	}
	return 1
}

// Tolerance is how many of an object's shards may be lost at once without
// losing the object: M, or N-1.
func (l Layout) Tolerance() int { return l.Shards() - l.ReadQuorum() }

// MaxPerAZ is the most shards of one object placement puts in one AZ:
// replicas go to distinct AZs; erasure shards at most M per AZ, so losing any
// one AZ leaves at least K shards.
func (l Layout) MaxPerAZ() int {
	if l.IsErasure() {
		return l.Parity
	}
	return 1
}

// DefaultQuorum is the write quorum used when WriteQuorum is 0. Replication:
// a majority (2 of 3). Erasure: K, or K+1 when K == M so that two disjoint
// halves of the drives can never both acknowledge (MinIO's rule). With one AZ
// down, replicas(3) and every K > M layout still reach their quorum
// (shards - MaxPerAZ >= quorum); replicas(2) and K == M layouts do not.
func (l Layout) DefaultQuorum() int {
	if l.IsErasure() {
		if l.Data == l.Parity {
			return l.Data + 1
		}
		return l.Data
	}
	return l.Replicas/2 + 1
}

// Quorum is the effective write quorum.
func (l Layout) Quorum() int {
	if l.WriteQuorum > 0 {
		return l.WriteQuorum
	}
	return l.DefaultQuorum()
}

// Overhead is raw bytes stored per logical byte (write amplification).
func (l Layout) Overhead() float64 {
	if l.IsErasure() {
		return float64(l.Data+l.Parity) / float64(l.Data)
	}
	return float64(l.Replicas)
}

// String renders the layout in the form ParseLayout reads: "RS(10,4)",
// "replicas(3)", with ",w=N" when the quorum is not the default.
func (l Layout) String() string {
	var s string
	if l.IsErasure() {
		s = fmt.Sprintf("RS(%d,%d", l.Data, l.Parity)
	} else {
		s = fmt.Sprintf("replicas(%d", l.Replicas)
	}
	if l.WriteQuorum != 0 {
		s += ",w=" + strconv.Itoa(l.WriteQuorum)
	}
	return s + ")"
}

// ParseLayout reads "RS(k,m)" or "replicas(n)", optionally with a trailing
// ",w=<quorum>", case-insensitively and ignoring spaces, and checks it.
func ParseLayout(s string) (Layout, error) {
	in := strings.ToLower(strings.ReplaceAll(s, " ", ""))
	var l Layout
	var args string
	switch {
	case strings.HasPrefix(in, "rs(") && strings.HasSuffix(in, ")"):
		args = in[len("rs(") : len(in)-1]
	case strings.HasPrefix(in, "replicas(") && strings.HasSuffix(in, ")"):
		args = in[len("replicas(") : len(in)-1]
	default:
		return Layout{}, fmt.Errorf("%w: %q: want RS(k,m) or replicas(n), optionally with ,w=<quorum>", ErrInvalidLayout, s)
	}
	parts := strings.Split(args, ",")
	if w, ok := strings.CutPrefix(parts[len(parts)-1], "w="); ok {
		q, err := strconv.Atoi(w)
		if err != nil || q <= 0 {
			return Layout{}, fmt.Errorf("%w: %q: bad write quorum %q", ErrInvalidLayout, s, w)
		}
		l.WriteQuorum = q
		parts = parts[:len(parts)-1]
	}
	nums := make([]int, len(parts))
	for i, p := range parts {
		n, err := strconv.Atoi(p)
		if err != nil || n <= 0 || n > maxShards {
			return Layout{}, fmt.Errorf("%w: %q: bad number %q", ErrInvalidLayout, s, p)
		}
		nums[i] = n
	}
	switch {
	case in[0] == 'r' && in[1] == 's' && len(nums) == 2:
		l.Data, l.Parity = nums[0], nums[1]
	case in[0] == 'r' && in[1] == 'e' && len(nums) == 1:
		l.Replicas = nums[0]
	default:
		return Layout{}, fmt.Errorf("%w: %q: wrong number of arguments", ErrInvalidLayout, s)
	}
	return l, l.Check()
}

// Check reports whether the layout is well formed, independent of drives.
func (l Layout) Check() error {
	switch {
	case l.Replicas > 0 && l.Data > 0:
		return fmt.Errorf("%w: %v: both Replicas and Data set", ErrInvalidLayout, l)
	case l.Replicas < 0 || l.Data < 0 || l.Parity < 0 || l.WriteQuorum < 0:
		return fmt.Errorf("%w: negative count", ErrInvalidLayout)
	case l.Replicas == 0 && l.Data == 0:
		return fmt.Errorf("%w: neither Replicas nor Data set", ErrInvalidLayout)
	case !l.IsErasure() && l.Parity != 0:
		return fmt.Errorf("%w: %v: Parity set on a replicated layout", ErrInvalidLayout, l)
	case !l.IsErasure() && l.Replicas < 2:
		return fmt.Errorf("%w: %v: a single replica cannot survive the loss of its drive or AZ", ErrInvalidLayout, l)
	case l.IsErasure() && l.Parity < 1:
		return fmt.Errorf("%w: %v: erasure coding needs at least one parity shard", ErrInvalidLayout, l)
	case l.Shards() > maxShards:
		return fmt.Errorf("%w: %v: %d shards, at most %d", ErrInvalidLayout, l, l.Shards(), maxShards)
	case l.Quorum() < l.ReadQuorum() || l.Quorum() > l.Shards():
		return fmt.Errorf("%w: %v: write quorum %d outside [%d,%d]", ErrInvalidLayout, l, l.Quorum(), l.ReadQuorum(), l.Shards())
	}
	return nil
}

// azCounts validates a drive set and returns its AZs (sorted) with their
// drive counts.
func azCounts(drives []Drive) (azs []string, counts []int, err error) {
	if len(drives) == 0 {
		return nil, nil, fmt.Errorf("%w: no drives", ErrInvalidDrives)
	}
	byAZ := make(map[string]int)
	ids := make(map[string]struct{}, len(drives))
	for _, d := range drives {
		switch {
		case d.ID == "":
			return nil, nil, fmt.Errorf("%w: drive with empty ID (AZ %q)", ErrInvalidDrives, d.AZ)
		case d.AZ == "":
			return nil, nil, fmt.Errorf("%w: drive %q has no AZ", ErrInvalidDrives, d.ID)
		}
		if _, dup := ids[d.ID]; dup {
			return nil, nil, fmt.Errorf("%w: duplicate drive ID %q", ErrInvalidDrives, d.ID)
		}
		ids[d.ID] = struct{}{}
		byAZ[d.AZ]++
	}
	for az := range byAZ {
		azs = append(azs, az)
	}
	slices.Sort(azs)
	counts = make([]int, len(azs))
	for i, az := range azs {
		counts[i] = byAZ[az]
	}
	return azs, counts, nil
}

// checkAZRule reports whether drives grouped as counts (per AZ) can hold the
// layout with at most MaxPerAZ shards per AZ on distinct drives: that is
// possible exactly when sum over AZs of min(MaxPerAZ, drives in AZ) >= shards.
func checkAZRule(l Layout, azs []string, counts []int) error {
	limit := l.MaxPerAZ()
	capacity := 0
	for _, c := range counts {
		capacity += min(limit, c)
	}
	if capacity >= l.Shards() {
		return nil
	}
	desc := make([]string, len(azs))
	for i, c := range counts {
		desc[i] = fmt.Sprintf("%s:%d", azs[i], c)
	}
	where := fmt.Sprintf("%d drives in %d AZ(s) (%s)", sum(counts), len(azs), strings.Join(desc, " "))
	if l.IsErasure() {
		return fmt.Errorf("%w: %v has %d shards and may put at most M=%d in one AZ (so that losing an AZ leaves K=%d); %s can hold at most %d",
			ErrAZRule, l, l.Shards(), limit, l.Data, where, capacity)
	}
	return fmt.Errorf("%w: %v needs %d distinct AZs (one replica per AZ); %s", ErrAZRule, l, l.Replicas, where)
}

func sum(xs []int) int {
	t := 0
	for _, x := range xs {
		t += x
	}
	return t
}

// Validate reports whether layout is well formed and drives can hold it so
// that losing every drive of any one AZ leaves at least ReadQuorum shards of
// every object: replicas on distinct AZs, erasure shards at most M per AZ,
// every shard on its own drive. Place succeeds exactly when Validate does.
func Validate(l Layout, drives []Drive) error {
	if err := l.Check(); err != nil {
		return err
	}
	azs, counts, err := azCounts(drives)
	if err != nil {
		return err
	}
	return checkAZRule(l, azs, counts)
}

// erasureLadder is the order in which DefaultLayouts tries erasure layouts:
// lowest overhead first, then the widest stripe (most failures tolerated).
// RS(10,4) needs four AZs: with three, at most 4 shards per AZ hold only 12
// of its 14, so three-AZ regions get RS(8,4) from 12 drives (4 per AZ).
func erasureLadder() []Layout {
	return []Layout{
		ReedSolomon(10, 4), // 1.4x; >= 4 AZs, >= 14 usable drives
		ReedSolomon(8, 4),  // 1.5x; e.g. 3 AZs x 4 drives
		ReedSolomon(6, 3),  // 1.5x; e.g. 3 AZs x 3 drives
		ReedSolomon(4, 2),  // 1.5x; e.g. 3 AZs x 2 drives (the all-in-one default)
		ReedSolomon(2, 1),  // 1.5x; 3 AZs x 1 drive
		ReedSolomon(2, 2),  // 2.0x; 2 AZs x 2 drives
		ReedSolomon(1, 1),  // 2.0x; 2 AZs x 1 drive (a mirror, in erasure form)
	}
}

// DefaultLayouts returns the layout of each storage class for a drive set:
// STANDARD keeps min(3, AZs) replicas, one per AZ; STANDARD_IA and GLACIER_IR
// use the first erasure layout of the ladder RS(10,4), RS(8,4), RS(6,3),
// RS(4,2), RS(2,1), RS(2,2), RS(1,1) that Validate accepts. It fails when no
// layout can survive the loss of an AZ (fewer than two AZs).
func DefaultLayouts(drives []Drive) (map[string]Layout, error) {
	azs, counts, err := azCounts(drives)
	if err != nil {
		return nil, err
	}
	if len(azs) < 2 {
		return nil, fmt.Errorf("%w: all %d drives are in AZ %q; no layout survives the loss of the only AZ (configure at least two AZs)",
			ErrAZRule, len(drives), azs[0])
	}
	hot := Replicated(min(DefaultReplicas, len(azs)))
	for _, cold := range erasureLadder() {
		if checkAZRule(cold, azs, counts) == nil {
			return map[string]Layout{
				ClassStandard:   hot,
				ClassStandardIA: cold,
				ClassGlacierIR:  cold,
			}, nil
		}
	}
	// Unreachable: RS(1,1) fits any two AZs with a drive each.
	return nil, fmt.Errorf("%w: no default erasure layout fits", ErrAZRule)
}

// DefaultDriveCount is how many drives the all-in-one server creates for a
// region with azCount AZs: two per AZ. Over three AZs that is 6 drives, which
// gives RS(4,2) with 2 shards per AZ (losing an AZ leaves exactly K=4) and
// three replicas for STANDARD. More drive directories on one disk would buy a
// wider stripe but no protection against that disk, at the cost of a file and
// an fsync more per shard on every PUT.
func DefaultDriveCount(azCount int) int {
	if azCount <= 0 {
		return 0
	}
	return 2 * azCount
}

// DefaultDrives returns n drives ("d01", "d02", ...) dealt round-robin over
// azs, so AZ sizes differ by at most one; n <= 0 means DefaultDriveCount.
func DefaultDrives(azs []string, n int) []Drive {
	if len(azs) == 0 {
		return nil
	}
	if n <= 0 {
		n = DefaultDriveCount(len(azs))
	}
	width := max(2, len(strconv.Itoa(n)))
	drives := make([]Drive, n)
	for i := range drives {
		drives[i] = Drive{ID: fmt.Sprintf("d%0*d", width, i+1), AZ: azs[i%len(azs)]}
	}
	return drives
}
