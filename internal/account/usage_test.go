package account

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/nimbuscloud/nimbus/internal/store"
)

func TestUsageIsCoalescedAndFlushed(t *testing.T) {
	s, _ := newService(t)
	ctx := context.Background()
	_, k, err := s.Create(ctx, "x")
	if err != nil {
		t.Fatal(err)
	}
	u := NewUsage(s.st, nil, time.Hour)
	t0 := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	u.Record(k.AccessKeyID, "sts", "us-east-1", t0)
	u.Record(k.AccessKeyID, "iam", "us-east-1", t0.Add(time.Second))
	read := func() KeyUse {
		var use KeyUse
		if err := s.st.View(ctx, func(tx store.Tx) error {
			var err error
			use, err = KeyLastUsedTx(ctx, tx, k.AccountID, k.AccessKeyID)
			return err
		}); err != nil {
			t.Fatal(err)
		}
		return use
	}
	if got := read(); !got.At.IsZero() {
		t.Fatalf("recorded before a flush: %+v", got)
	}
	u.Flush(ctx)
	if got := read(); !got.At.Equal(t0.Add(time.Second)) || got.Service != "iam" {
		t.Fatalf("after flush: %+v", got)
	}
	// An older use never overwrites a newer one.
	u.Record(k.AccessKeyID, "ec2", "us-east-1", t0)
	u.Flush(ctx)
	if got := read(); got.Service != "iam" {
		t.Fatalf("older use won: %+v", got)
	}
	err = s.st.View(ctx, func(tx store.Tx) error {
		_, err := KeyLastUsedTx(ctx, tx, k.AccountID, "AKIANOPE")
		return err
	})
	if !errors.Is(err, ErrKeyNotFound) {
		t.Fatalf("unknown key: %v", err)
	}
}
