// Package storetest is the conformance suite every store.Store backend passes,
// and the benchmarks every backend reports. A backend's tests call Run with a
// function that creates a fresh database; its benchmarks call Bench.
//
// The suite checks behaviour services rely on and that differs most between
// engines: migrations (once, in order, transactional, concurrent-safe), error
// mapping (ErrNotFound, ErrConflict, ErrForeignKey), rollback, aborted
// transactions, snapshot reads, visibility across Stores sharing one database,
// no lost updates under contention, context cancellation, placeholders in
// literals, binary and large values, and a model-based property test.
//
// It must never depend on a particular backend or skip a check for one: a
// backend that cannot pass a check does not satisfy store.Store.
package storetest
