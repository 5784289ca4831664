package account

import (
	"context"
	"errors"
	"testing"
	"time"
)

type countingLookup struct {
	calls int
	keys  map[string]Key
}

func (c *countingLookup) LookupKey(_ context.Context, id string) (Key, error) {
	c.calls++
	k, ok := c.keys[id]
	if !ok {
		return Key{}, ErrKeyNotFound
	}
	return k, nil
}

func TestKeyCache(t *testing.T) {
	now := time.Unix(1000, 0)
	clock := func() time.Time { return now }
	src := &countingLookup{keys: map[string]Key{"AKIA1": {AccessKeyID: "AKIA1", Status: Active}}}
	c := NewKeyCache(src, 2*time.Second, clock)
	ctx := context.Background()

	for i := 0; i < 3; i++ {
		if _, err := c.LookupKey(ctx, "AKIA1"); err != nil {
			t.Fatal(err)
		}
	}
	if src.calls != 1 {
		t.Fatalf("hits should be served from cache: %d calls", src.calls)
	}
	// A change in the store shows once the entry expires.
	src.keys["AKIA1"] = Key{AccessKeyID: "AKIA1", Status: Inactive}
	now = now.Add(2 * time.Second)
	k, _ := c.LookupKey(ctx, "AKIA1")
	if k.Status != Inactive || src.calls != 2 {
		t.Fatalf("after TTL: status %s, %d calls", k.Status, src.calls)
	}
	// Misses are not cached.
	for i := 0; i < 2; i++ {
		if _, err := c.LookupKey(ctx, "AKIA2"); !errors.Is(err, ErrKeyNotFound) {
			t.Fatal(err)
		}
	}
	if src.calls != 4 {
		t.Fatalf("misses must not be cached: %d calls", src.calls)
	}
	// Forget drops at once.
	c.Forget("AKIA1")
	c.LookupKey(ctx, "AKIA1")
	if src.calls != 5 {
		t.Fatalf("forget: %d calls", src.calls)
	}
	// Deleted keys stop working after the TTL.
	delete(src.keys, "AKIA1")
	now = now.Add(3 * time.Second)
	if _, err := c.LookupKey(ctx, "AKIA1"); !errors.Is(err, ErrKeyNotFound) {
		t.Fatalf("deleted key: %v", err)
	}
}
