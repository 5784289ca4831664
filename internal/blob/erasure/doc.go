// Package erasure is streaming Reed-Solomon coding (klauspost/reedsolomon)
// of an object into k data + m parity shard streams, and back.
//
// # What it owns
//
// The stripe geometry and the coding: an object is cut into stripes of
// k*blockSize bytes; stripe s puts blockSize bytes on each shard at shard
// offset s*blockSize (data shard i holds stripe bytes [i*blockSize,
// (i+1)*blockSize)). The last, partial stripe of r bytes puts ceil(r/k)
// bytes on each shard, zero-padded, so a 4 KiB object costs (k+m)*ceil(4
// KiB/k) bytes, not k+m blocks. The object length is not stored in the
// shards: the caller records it (Encoder.Written) in the object's metadata
// and passes it to NewDecoder, which trims the padding; ShardSize gives the
// exact payload length of every shard.
//
// # Memory and work
//
// The Encoder holds one stripe plus its parity ((k+m)*blockSize) whatever
// the object size, and writes a stripe's shards in parallel. The Decoder
// reads, on the healthy path, only the data shards and bytes a range
// needs, with no coding at all; when one fails it rebuilds just that
// stripe from any k shards (preferring shards that have not failed), with
// one pooled stripe of buffers per concurrent call. Reconstruct rebuilds
// whole shards for heal, stripe by stripe, reusing damaged shards for the
// stripes they still serve.
//
// # What it must never do
//
// Know the shard file format, drives or metadata (it works on payload
// io.Readers/io.Writers/io.ReaderAt; package shard's integrity errors are
// just errors here, reported per shard in Faults so the engine can
// schedule a heal); buffer more than a stripe per stream; return bytes it
// could not read or reconstruct; keep mutable package state.
//
// Parity shards are not read by healthy reads, so their damage is found
// by the scrubber, not by GETs.
package erasure
