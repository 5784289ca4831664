// Package drive stores shard files on one drive. A Drive is the small
// interface the object engine writes and reads shards through: create
// under a temporary name and commit, open for ranged reads, stat, delete,
// list (for scrub and heal), list old temporaries (for orphan GC) and a
// health probe. Local implements it over a directory; a remote storage
// node client will implement the same interface later.
//
// # What it owns
//
// The directory layout of a drive and the fsync discipline that makes a
// committed shard durable. Shard contents are opaque bytes here (package
// shard gives them a format); names are opaque engine IDs.
//
// # What it must never do
//
// Accept a user-controlled key as a name (names are engine IDs, checked by
// ValidateName: two lowercase hex chars then [0-9A-Za-z._-], no "..", no
// '/'); expose a shard before it is fsynced and renamed; interpret shard
// contents; hold package-level mutable state.
//
// # Layout of a Local drive
//
//	<root>/shards/<first two chars of name>/<name>   committed shards
//	<root>/tmp/<name>.<16 hex random>.tmp            writes in progress
//
// All 256 fan-out directories are created (and their parent fsynced) when
// the drive is first opened, so a commit never creates a directory and
// only ever syncs one; each directory holds 1/256 of the shards. tmp/ is on
// the same filesystem as shards/, so the commit rename is atomic.
//
// # Crash safety (what kill -9 or power loss can leave, and who cleans it)
//
//	step                              state after a crash here
//	1 Create: open tmp/<name>.<r>.tmp  empty temp file, or none
//	2 Write...                         partial temp file (maybe not on disk)
//	3 Commit: fsync(file)              complete temp file, invisible
//	4 rename(tmp, shards/xx/name)      either the temp or the final name
//	                                   (rename is atomic), not yet durable
//	5 fsync(shards/xx)                 final name durable; Commit returns
//	6 engine commits metadata row      object visible
//
// A crash in steps 1-5 leaves at most a temporary file: it is invisible to
// Open and List, and ListTemp reports it once its mtime is older than the
// GC cutoff; CleanTemp removes it. The cutoff must exceed the longest gap
// between two writes of a live upload (a live writer's mtime advances with
// every write), e.g. one hour. A temp file that reappears after a crash
// because its removal (Abort) was not synced is just more garbage for the
// same GC. A crash after step 5 but before step 6 leaves a committed shard
// with no metadata: the engine's orphan GC walks List, and deletes shards
// whose object/version ID has no committed metadata row and whose ModTime
// is older than the same cutoff (so it never races an in-flight PUT). Since
// the metadata commit is the only point of visibility and happens after
// every shard's step 5, an acknowledged object never references a shard
// that is not durable, and an unacknowledged one is never visible.
//
// Commit replaces an existing shard of the same name atomically (heal
// rewrites damaged shards this way): a reader sees the old or the new
// file, never a mix. If the directory fsync fails after the rename, Commit
// reports the error and the engine must not count the shard as durable.
// Delete removes the file and fsyncs its directory before returning.
package drive
