package account

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"time"

	"github.com/nimbuscloud/nimbus/internal/store"
)

// Usage records when access keys were last used (GetAccessKeyLastUsed)
// without a write per request: uses are coalesced in memory per key and
// flushed in one transaction every interval.
type Usage struct {
	st       store.Store
	log      *slog.Logger
	interval time.Duration

	mu      sync.Mutex
	pending map[string]KeyUse
}

// KeyUse is one key's most recent use.
type KeyUse struct {
	At      time.Time
	Service string
	Region  string
}

// NewUsage returns a recorder; call Run to flush.
func NewUsage(st store.Store, log *slog.Logger, interval time.Duration) *Usage {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Usage{st: st, log: log, interval: interval, pending: map[string]KeyUse{}}
}

// Record notes a use of accessKeyID. It never blocks on the store.
func (u *Usage) Record(accessKeyID, service, region string, at time.Time) {
	u.mu.Lock()
	if len(u.pending) < 100000 {
		u.pending[accessKeyID] = KeyUse{At: at, Service: service, Region: region}
	}
	u.mu.Unlock()
}

// Run flushes every interval until ctx ends, then once more.
func (u *Usage) Run(ctx context.Context) {
	t := time.NewTicker(u.interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			u.Flush(context.Background())
			return
		case <-t.C:
			u.Flush(ctx)
		}
	}
}

// Flush writes the pending uses.
func (u *Usage) Flush(ctx context.Context) {
	u.mu.Lock()
	batch := u.pending
	u.pending = make(map[string]KeyUse, len(batch))
	u.mu.Unlock()
	if len(batch) == 0 {
		return
	}
	err := u.st.Update(ctx, func(tx store.Tx) error {
		for akid, use := range batch {
			if _, err := tx.Exec(ctx, `UPDATE account_keys SET last_used_at = ?, last_used_service = ?, last_used_region = ?
				WHERE access_key_id = ? AND last_used_at < ?`, use.At.UnixMilli(), use.Service, use.Region, akid, use.At.UnixMilli()); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil && !errors.Is(err, context.Canceled) {
		u.log.Warn("recording access key use failed", "keys", len(batch), "err", err)
	}
}

// KeyLastUsedTx returns a key's last use; At is zero when never used.
func KeyLastUsedTx(ctx context.Context, tx store.Tx, accountID, accessKeyID string) (KeyUse, error) {
	var at int64
	var use KeyUse
	err := tx.QueryRow(ctx, `SELECT last_used_at, last_used_service, last_used_region FROM account_keys
		WHERE account_id = ? AND access_key_id = ?`, accountID, accessKeyID).Scan(&at, &use.Service, &use.Region)
	if errors.Is(err, store.ErrNotFound) {
		return KeyUse{}, ErrKeyNotFound
	}
	if err != nil {
		return KeyUse{}, err
	}
	if at > 0 {
		use.At = time.UnixMilli(at).UTC()
	}
	return use, nil
}
