package account

import (
	"context"
	"sync"
	"time"
)

// KeyLookup is what KeyCache wraps: the store-backed lookup.
type KeyLookup interface {
	LookupKey(ctx context.Context, accessKeyID string) (Key, error)
}

// KeyCache remembers successful key lookups for a short TTL so signature
// verification does not hit the store on every request. A key deactivated or
// deleted (through this server or another sharing the store) stops working
// within TTL — the same bounded staleness AWS documents for IAM changes.
// Misses and errors are never cached. The cache is bounded; when full, it is
// cleared, which is cheap and keeps the code obviously correct.
type KeyCache struct {
	next    KeyLookup
	ttl     time.Duration
	now     func() time.Time
	maxSize int

	mu      sync.RWMutex
	entries map[string]cachedKey
}

type cachedKey struct {
	key     Key
	expires time.Time
}

// NewKeyCache wraps next. ttl <= 0 disables caching.
func NewKeyCache(next KeyLookup, ttl time.Duration, now func() time.Time) *KeyCache {
	if now == nil {
		now = time.Now
	}
	return &KeyCache{next: next, ttl: ttl, now: now, maxSize: 65536, entries: map[string]cachedKey{}}
}

// LookupKey returns a cached key while fresh, else asks next.
func (c *KeyCache) LookupKey(ctx context.Context, accessKeyID string) (Key, error) {
	if c.ttl <= 0 {
		return c.next.LookupKey(ctx, accessKeyID)
	}
	now := c.now()
	c.mu.RLock()
	e, ok := c.entries[accessKeyID]
	c.mu.RUnlock()
	if ok && now.Before(e.expires) {
		return e.key, nil
	}
	k, err := c.next.LookupKey(ctx, accessKeyID)
	if err != nil {
		c.Forget(accessKeyID)
		return Key{}, err
	}
	c.mu.Lock()
	if len(c.entries) >= c.maxSize {
		clear(c.entries)
	}
	c.entries[accessKeyID] = cachedKey{key: k, expires: now.Add(c.ttl)}
	c.mu.Unlock()
	return k, nil
}

// Forget drops a key at once (this server changed it).
func (c *KeyCache) Forget(accessKeyID string) {
	c.mu.Lock()
	delete(c.entries, accessKeyID)
	c.mu.Unlock()
}
