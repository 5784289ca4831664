// Package layout is the pure core of the object store's placement and
// durability: given a storage class's layout and the region's drives, it says
// which drive holds each shard of an object, whether a layout is safe on a
// drive set, which layouts to use by default, and how durable the result is.
//
// It owns no state and must never do I/O, read the clock, draw random
// numbers or start goroutines: data in, decision out. The blob engine
// (drives, shard files, bitrot hashes, scrub, heal) calls it; it imports
// nothing of the engine.
//
// # Model
//
// A Drive is one failure unit (a directory on its own disk, or a storage
// node's drive) with a stable ID and an AZ. A Layout makes an object
// redundant either by replication (N full copies; PUT acknowledged when the
// write quorum W, by default a majority, is durable) or by Reed-Solomon
// coding (K data + M parity shards, any K of which rebuild the object; the
// default write quorum is K, K+1 when K == M). Every shard lives on its own
// drive. Storage classes map to layouts: STANDARD to replicas, STANDARD_IA
// and GLACIER_IR to erasure coding (DefaultLayouts).
//
// # The AZ rule
//
// Losing every drive of any one AZ must leave every object readable: at
// least one replica, or at least K shards. Placement therefore puts replicas
// in distinct AZs and at most M erasure shards in one AZ (Layout.MaxPerAZ).
// Shards on distinct drives with at most L per AZ fit exactly when
//
//	Σ over AZs of min(L, drives in the AZ) >= shards
//
// which is what Validate checks (and explains when it fails). A consequence
// worth knowing: with three AZs at most 3·M shards fit, so K <= 2·M; RS(10,4)
// (14 shards, at most 12 placeable) needs four or more AZs, and a three-AZ
// region's widest default is RS(8,4) from 12 drives (4 per AZ, 1.5x).
// DefaultLayouts walks the ladder RS(10,4), RS(8,4), RS(6,3), RS(4,2),
// RS(2,1), RS(2,2), RS(1,1) and takes the first layout the drives allow;
// STANDARD gets min(3, AZs) replicas. A region with one AZ has no safe layout.
//
// The all-in-one server creates two drive directories per AZ (6 over a, b, c:
// RS(4,2) with 2 shards per AZ, and 3 replicas). On one machine the AZs are
// logical and the drives share a disk: the layout then protects against
// bitrot and bugs, not against losing the disk; real deployments point each
// drive at its own disk.
//
// # Why rendezvous hashing
//
// Placement is a function of (object key, drive set) alone, so there is no
// placement table to store, replicate or keep consistent, and every front end
// computes the same answer. Rendezvous (highest-random-weight) hashing scores
// each drive with mix(xxh3(key) ^ xxh3(driveID)) and takes the best drives.
// Compared with a consistent-hash ring it needs no virtual nodes to balance
// load and it takes "the best n subject to a constraint" naturally, which is
// how the AZ rule is enforced: drives are taken in score order, skipping a
// drive whose AZ already holds its limit. Its movement property is exact at
// the level of an object's drive set:
//
//   - removing a drive changes only the objects that used it, and each of
//     them swaps exactly that drive for one other;
//   - adding a drive changes only the objects that now choose it (about
//     shards/drives of them), each swapping one drive for the new one.
//
// Within the chosen set, shard i goes to the remaining drive with the best
// per-shard score, so the shard numbering is a function of the set too; a
// one-drive swap can renumber a few shards among drives that stay. The
// engine records each version's shard-to-drive assignment and heals towards
// Rebalance(current, Place(...)), which keeps every shard on a drive that
// stays and so moves exactly one shard per swapped drive.
//
// Cost: one 64-bit mix and compare per drive plus O(shards²) to number the
// shards; a DriveSet hashes drive IDs once. xxh3 and the SplitMix64 finalizer
// are part of the on-disk contract (changing them moves nearly every object);
// testdata/place.txt pins their output.
//
// # Durability
//
// Durability(layout, drives, azs, AFR, healTime) estimates the annual
// probability of losing one object with the usual independent-failure model
// (as in Backblaze's durability estimates):
//
//   - drives fail independently at a constant rate λ = AFR / 8766 h (AFR
//     defaults to 1.57%, Backblaze's 2024 fleet figure);
//   - a failed drive's shards are restored within the heal time T (measure
//     it: drive capacity divided by the heal rate);
//   - the object is lost when, after one of its n drives fails, at least t
//     more of its other n-1 drives fail within that window, where t is the
//     tolerance (M for erasure, N-1 for replicas): more than t concurrent
//     failures among its shards.
//
// So with p = 1 - exp(-λT), the chance that a first failure turns into a
// loss is the binomial tail W = P(Bin(n-1, p) >= t), loss events arrive at
// n·λ·W per hour, and P_year = 1 - exp(-8766·n·λ·W) ≈ n·C(n-1,t)·(λT)^t·AFR
// for small λT; nines = -log10(P_year). It leaves out correlated failures
// (a batch of bad drives, a whole AZ: reported separately as
// AZLossTolerance), latent sector errors (the scrubber's job) and operator
// error, so read it as an upper bound on what the layout alone can give.
package layout
