package sigv4

import (
	"crypto/hmac"
	"crypto/sha256"
	"sync"
)

// keyCache is a bounded map from (secret, day, region, service) to the
// derived signing key. Deriving a key costs four HMACs; a cache hit costs a
// map lookup under a mutex. When full, an arbitrary entry is evicted: keys
// roll over daily, so a stale entry is as likely a victim as any.
type keyCache struct {
	mu   sync.RWMutex
	max  int
	keys map[keyID][]byte
}

type keyID struct{ secret, day, region, service string }

func (c *keyCache) get(secret, day, region, service string) []byte {
	id := keyID{secret, day, region, service}
	c.mu.RLock()
	k, ok := c.keys[id]
	c.mu.RUnlock()
	if ok {
		return k
	}
	k = deriveKey(secret, day, region, service)
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.keys == nil {
		c.keys = make(map[keyID][]byte)
	}
	if len(c.keys) >= c.max {
		for old := range c.keys {
			delete(c.keys, old)
			break
		}
	}
	c.keys[id] = k
	return k
}

func (c *keyCache) len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.keys)
}

// deriveKey computes HMAC(HMAC(HMAC(HMAC("AWS4"+secret, day), region), service), "aws4_request").
func deriveKey(secret, day, region, service string) []byte {
	k := hmacSHA256([]byte("AWS4"+secret), day)
	k = hmacSHA256(k, region)
	k = hmacSHA256(k, service)
	return hmacSHA256(k, scopeTerminal)
}

func hmacSHA256(key []byte, data string) []byte {
	h := hmac.New(sha256.New, key)
	h.Write([]byte(data))
	return h.Sum(nil)
}
