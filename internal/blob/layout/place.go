package layout

import (
	"fmt"
	"slices"

	"github.com/zeebo/xxh3"
)

// DriveSet is a validated drive set prepared for placement: drive IDs are
// hashed once, AZs are indexed. It is immutable and safe for concurrent use;
// build a new one when drives join or leave.
type DriveSet struct {
	drives []Drive
	hashes []uint64 // xxh3(drive ID)
	az     []int    // index into azs, per drive
	azs    []string // sorted
	counts []int    // drives per AZ
}

// NewDriveSet validates drives (non-empty unique IDs, every drive in an AZ).
// The order of drives does not matter: placement depends only on the set.
func NewDriveSet(drives []Drive) (*DriveSet, error) {
	azs, counts, err := azCounts(drives)
	if err != nil {
		return nil, err
	}
	s := &DriveSet{
		drives: slices.Clone(drives),
		hashes: make([]uint64, len(drives)),
		az:     make([]int, len(drives)),
		azs:    azs,
		counts: counts,
	}
	for i, d := range drives {
		s.hashes[i] = xxh3.HashString(d.ID)
		s.az[i], _ = slices.BinarySearch(azs, d.AZ)
	}
	return s, nil
}

// Drives returns a copy of the set's drives.
func (s *DriveSet) Drives() []Drive { return slices.Clone(s.drives) }

// Validate is the package Validate against this set.
func (s *DriveSet) Validate(l Layout) error {
	if err := l.Check(); err != nil {
		return err
	}
	return checkAZRule(l, s.azs, s.counts)
}

// Place returns the drives holding objectKey's shards under layout l over
// drives: element i holds shard i (replica i, or RS data shards 0..K-1 then
// parity K..K+M-1). It is deterministic and fails exactly when Validate does.
// For repeated placements build a DriveSet once and call its Place.
func Place(objectKey string, l Layout, drives []Drive) ([]Drive, error) {
	s, err := NewDriveSet(drives)
	if err != nil {
		return nil, err
	}
	return s.Place(objectKey, l)
}

// candidate is a drive competing for a key: its rendezvous score and index.
type candidate struct {
	score uint64
	idx   int
}

// Place returns the drives holding objectKey's shards under layout l; see the
// package Place. Two stages:
//
//  1. Which drives: every drive gets the score mix(xxh3(key) ^ xxh3(ID)); in
//     descending score order a drive is taken unless its AZ already holds
//     MaxPerAZ shards, until Shards are taken. Equivalently: the top Shards
//     of the union of each AZ's top MaxPerAZ drives, which is how it is
//     computed, in one pass with a tiny buffer per AZ.
//  2. Which shard where: shard 0, 1, ... in turn takes the remaining chosen
//     drive with the highest per-shard score mix(key ^ ID ^ salt(shard)).
func (s *DriveSet) Place(objectKey string, l Layout) ([]Drive, error) {
	if err := s.Validate(l); err != nil {
		return nil, err
	}
	kh := xxh3.HashString(objectKey)
	n, limit := l.Shards(), l.MaxPerAZ()
	// Per-AZ buffers of the best `limit` candidates, sorted best first.
	var candArr [64]candidate
	var lenArr [16]int
	var floorArr [16]uint64
	var cand []candidate
	if need := len(s.azs) * limit; need <= len(candArr) {
		cand = candArr[:need]
	} else {
		cand = make([]candidate, need)
	}
	var lens []int
	var floor []uint64
	if len(s.azs) <= len(lenArr) {
		lens, floor = lenArr[:len(s.azs)], floorArr[:len(s.azs)]
	} else {
		lens, floor = make([]int, len(s.azs)), make([]uint64, len(s.azs))
	}
	for i, h := range s.hashes {
		score := mix(kh ^ h)
		a := s.az[i]
		if score < floor[a] {
			continue // the common case: below this AZ's current best `limit`
		}
		c := candidate{score: score, idx: i}
		buf := cand[a*limit : a*limit+limit]
		k := lens[a]
		if k == limit {
			if !s.better(c, buf[limit-1]) {
				continue
			}
			k--
		} else {
			lens[a]++
		}
		for k > 0 && s.better(c, buf[k-1]) {
			buf[k] = buf[k-1]
			k--
		}
		buf[k] = c
		if lens[a] == limit {
			floor[a] = buf[limit-1].score
		}
	}
	// Gather the AZ winners, best first, and keep the top n.
	pool := cand[:0]
	for a, k := range lens {
		pool = append(pool, cand[a*limit:a*limit+k]...)
	}
	for i := 1; i < len(pool); i++ { // insertion sort: pool is small
		for j := i; j > 0 && s.better(pool[j], pool[j-1]); j-- {
			pool[j], pool[j-1] = pool[j-1], pool[j]
		}
	}
	chosen := pool[:n]
	// Assign shard indexes by per-shard rendezvous within the chosen drives.
	out := make([]Drive, n)
	for shard := range n {
		salt := uint64(shard+1) * 0x9e3779b97f4a7c15
		best := shard
		for j := shard; j < n; j++ {
			chosen[j].score = mix(kh ^ s.hashes[chosen[j].idx] ^ salt)
			if j > shard && s.better(chosen[j], chosen[best]) {
				best = j
			}
		}
		chosen[shard], chosen[best] = chosen[best], chosen[shard]
		out[shard] = s.drives[chosen[shard].idx]
	}
	return out, nil
}

// better orders candidates: higher score first; equal scores (two IDs with
// the same 64-bit hash) by ID, so the result never depends on input order.
func (s *DriveSet) better(a, b candidate) bool {
	if a.score != b.score {
		return a.score > b.score
	}
	return s.drives[a.idx].ID < s.drives[b.idx].ID
}

// mix is the SplitMix64 finalizer: a bijection on 64-bit words with full
// avalanche, so scores of one key over distinct drive hashes are distinct and
// look independent across keys. Changing it (or the hash, or the salts)
// moves nearly every object: testdata/place.txt pins its outputs.
func mix(x uint64) uint64 {
	x ^= x >> 30
	x *= 0xbf58476d1ce4e5b9
	x ^= x >> 27
	x *= 0x94d049bb133111eb
	x ^= x >> 31
	return x
}

// Rebalance maps an object's current shard assignment onto its desired one
// (Place's answer after drives joined or left) while moving as few shards as
// possible: every shard whose current drive is in desired stays where it is,
// and the shards on drives that left desired take desired's newcomers in
// shard order. It returns the assignment to converge to and the indexes of
// the shards that must be rebuilt or copied. Place alone may renumber shards
// among drives that stay (its second stage is per-key rendezvous over the
// chosen drives); the engine records each version's assignment and heals
// towards Rebalance's answer, so a one-drive change moves one shard.
// Both slices must have the same length (a layout change moves everything).
func Rebalance(current, desired []Drive) (next []Drive, moved []int, err error) {
	if len(current) != len(desired) {
		return nil, nil, fmt.Errorf("%w: rebalance from %d to %d shards is a layout change, not a rebalance",
			ErrInvalidLayout, len(current), len(desired))
	}
	want := make(map[string]bool, len(desired))
	for _, d := range desired {
		want[d.ID] = true
	}
	next = make([]Drive, len(current))
	kept := make(map[string]bool, len(current))
	for i, d := range current {
		if want[d.ID] && !kept[d.ID] {
			next[i] = d
			kept[d.ID] = true
		} else {
			moved = append(moved, i)
		}
	}
	newcomers := make([]Drive, 0, len(moved))
	for _, d := range desired {
		if !kept[d.ID] {
			newcomers = append(newcomers, d)
		}
	}
	for j, i := range moved {
		next[i] = newcomers[j]
	}
	return next, moved, nil
}
