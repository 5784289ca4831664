// Package retry re-runs a transaction attempt after transient failures with
// bounded, jittered exponential backoff. It owns only the loop; backends decide
// which errors are transient. It must never retry an error it was not told is
// transient, and never sleep past the context.
package retry

import (
	"context"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/nimbuscloud/nimbus/internal/store"
)

// Do calls attempt until it succeeds, fails with an error transient does not
// accept, the context ends, or p.MaxAttempts runs are used up. In the last case
// the error wraps store.ErrBusy and the last failure.
func Do(ctx context.Context, p store.Retry, transient func(error) bool, attempt func() error) error {
	if p.MaxAttempts < 1 {
		p.MaxAttempts = 1
	}
	var err error
	for i := 0; i < p.MaxAttempts; i++ {
		if i > 0 {
			if werr := wait(ctx, delay(p, i)); werr != nil {
				return fmt.Errorf("store: retry after %w: %w", err, werr)
			}
		}
		if err = ctx.Err(); err != nil {
			return fmt.Errorf("store: %w", err)
		}
		err = attempt()
		if err == nil || !transient(err) {
			return err
		}
	}
	return fmt.Errorf("%w: gave up after %d attempts: %w", store.ErrBusy, p.MaxAttempts, err)
}

// delay is full-jitter exponential backoff: uniform in [0, min(max, base*2^(i-1))].
func delay(p store.Retry, i int) time.Duration {
	d := p.BaseDelay
	for k := 1; k < i && d < p.MaxDelay; k++ {
		d *= 2
	}
	if p.MaxDelay > 0 && d > p.MaxDelay {
		d = p.MaxDelay
	}
	if d <= 0 {
		return 0
	}
	return rand.N(d + 1)
}

func wait(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
