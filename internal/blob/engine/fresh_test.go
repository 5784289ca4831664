package engine

import (
	"testing"
	"time"
)

// A Put that left an object below full redundancy queues its heal before
// the caller has committed metadata; the heal must be retried for the
// grace period instead of being dropped as "not live".
func TestFreshHealIsRetriedWithinGrace(t *testing.T) {
	v := newEnv(t, 4096)
	ref := v.put(t, "STANDARD", []byte("hello"))
	v.e.enqueueFreshHeal(ref)
	if !v.e.retryFresh(ref) {
		t.Fatal("a just-written object's heal was dropped")
	}
	v.clock.Advance(v.e.grace + time.Second)
	if v.e.retryFresh(ref) {
		t.Fatal("an object never committed within the grace period is still retried")
	}
	// An object Put did not degrade is not retried.
	other := v.put(t, "STANDARD", []byte("world"))
	if v.e.retryFresh(other) {
		t.Fatal("retried an object that was never degraded")
	}
}
