//go:build race

package engine

// raceEnabled: the race detector makes sync.Pool drop items, inflating allocations.
const raceEnabled = true
