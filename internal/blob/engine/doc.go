// Package engine is the object store engine: it turns a byte stream into a
// durable, verifiable, self-healing object on a set of drives, gluing
// together placement (package layout), drives (package drive), the shard
// format with keyed per-block hashes (package shard) and Reed-Solomon
// coding (package erasure).
//
// # API in one breath
//
// Open(ctx, Config) builds an Engine over drive directories
// <Root>/<az>/<driveID>/ and checks every storage class's layout against
// the drive set (every object must survive the loss of one AZ). Put
// streams a body into a new object and returns a Ref; the caller stores
// the Ref (MarshalBinary) in its metadata row and later passes it to Read,
// Delete and Heal. Scrub and RunScrubber keep the data healthy, using a
// Catalog the caller supplies to learn which objects are live.
//
// # What it owns
//
//   - Object IDs (16 random bytes) and shard naming: shard i of object X is
//     the file hex(X) + "." + i on the drive placement chose (e.g.
//     "3fa1…9c.4"; drive.ValidateName accepts it, the first two hex digits
//     pick the drive's fan-out directory).
//   - Shard IDs: the ID bound into shard i's header and block hashes is X
//     with i XORed into its last byte, so each shard of an object has its
//     own ID (layouts have at most 256 shards) and a block or a whole file
//     copied between shards, objects or deployments fails verification.
//     Reads also check the header's ID and payload length against the Ref.
//   - The Ref encoding (versioned, compact; see Ref.MarshalBinary).
//   - The write path: replicated classes (STANDARD) read the body once and
//     fan it out to N replica writers in parallel, double-buffered (block
//     n+1 is read while block n is written); erasure classes (STANDARD_IA,
//     GLACIER_IR) go through erasure.Encode into k+m shard writers. Memory
//     per Put is O(stripe): two blocks plus a small buffer per shard
//     (replicas), or (k+m) blocks (erasure). A Put of a few KiB writes one
//     block per shard, each shard in one write(2).
//   - Quorum: Put returns once the layout's write quorum of shards is
//     committed; the rest commit in the background (Close waits for them)
//     and a shard that failed anywhere is queued for heal. Reads, heals,
//     deletes and scrubs of an object with background commits wait for
//     them (or skip it), so nothing resurrects or double-heals a shard.
//   - The read path: only the blocks a range touches are read and
//     verified; shard files open lazily, so a healthy 4 KiB read of an
//     erasure-coded object opens one data shard. Replicas are tried in an
//     order starting at one chosen by the object ID (spreading load); a
//     replica that fails mid-read is abandoned at that block and the next
//     continues from the same offset. Erasure reads reconstruct any stripe
//     from any k shards. Every failed shard queues the object for heal.
//   - Heal: verify every shard, rebuild bad ones under a temporary name
//     (copy from a good replica, or erasure.Reconstruct), commit durably
//     (atomic replace). Shards are healed to their recorded drive; a
//     recorded drive that left the set is replaced by the one
//     layout.Rebalance(recorded, Place(today's set)) assigns, which Read
//     also uses, so the Ref never needs rewriting.
//   - Scrub: probe drives, verify every block of every live object (at
//     Config.ScrubRate), heal, collect orphans and old temp files.
//   - Status: drive health and counters (objects scanned, corruptions and
//     missing shards found, heals done, bytes at reduced redundancy,
//     orphans and temps removed, degraded reads and Puts).
//
// # What it never does
//
// Keep metadata of its own (the caller's store is the single source of
// truth for which objects exist), decide object inlining or ETags (the S3
// service does), buffer an object, return a byte it has not verified,
// acknowledge a Put before a write quorum of shards is durable, or keep
// mutable package-level state.
//
// # Crash safety: what kill -9 leaves, and who cleans it
//
//	step of a Put                               left on the drives after kill -9
//	1 drive.Create: tmp/<shard>.<rand>.tmp       empty temp files
//	2 body streamed into the temp files          partial temp files
//	3 body ends: r returned EOF, sizes checked   complete temp files, invisible
//	4 per shard: fsync, rename, fsync dir        some committed shards, some temps
//	5 quorum committed: Put returns the Ref      >= W committed shards, no metadata
//	6 caller commits its metadata row            a live object
//	7 remaining shards commit (background)       a live object at reduced
//	                                             redundancy until heal
//
// Before step 6 nothing references the shards: they are orphans. Scrub
// removes committed shards whose object the Catalog does not know and
// temp files, both once older than Config.Grace (default one hour; their
// mtime advances while a Put writes, so a live Put is never collected). A
// body that fails (short, long, or the gateway's verifier reporting a bad
// signature or checksum instead of EOF) aborts every temp file before
// anything is committed; a failed quorum deletes what did commit. After
// step 6 the object is acknowledged and at least W shards are durable,
// which is enough to read it (W >= the read quorum); shards lost in step 7
// or to a crash are found missing by the next scrub (or read) and healed.
// A heal writes a temp file and renames it over the damaged shard, so a
// crash during heal leaves the old shard or the new one plus a temp file.
// Delete removes shards one by one; a crash part-way leaves orphans of an
// object the caller has already (or not yet) un-referenced, collected by
// the same rule. A heal racing a delete may recreate a shard: also an
// orphan, also collected.
//
// On one machine the AZs are logical and every drive directory shares one
// disk: the layouts then protect against bitrot and bugs (every block is
// verified, every corruption healed), not against losing the disk. Real
// deployments put each drive on its own disk (Config.Drives, or a remote
// storage node through Config.OpenDrive).
package engine
