package retry

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/nimbuscloud/nimbus/internal/store"
)

var errTransient = errors.New("transient")

func isTransient(err error) bool { return errors.Is(err, errTransient) }

func TestDo(t *testing.T) {
	p := store.Retry{MaxAttempts: 4, BaseDelay: time.Microsecond, MaxDelay: time.Millisecond}
	permanent := errors.New("permanent")
	tests := []struct {
		name      string
		fails     []error // error returned by each run; nil once exhausted
		wantRuns  int
		wantIs    []error
		wantNoErr bool
	}{
		{"first run succeeds", nil, 1, nil, true},
		{"transient then success", []error{errTransient, errTransient}, 3, nil, true},
		{"permanent is not retried", []error{permanent}, 1, []error{permanent}, false},
		{"budget exhausted", []error{errTransient, errTransient, errTransient, errTransient, errTransient}, 4, []error{store.ErrBusy, errTransient}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			runs := 0
			err := Do(context.Background(), p, isTransient, func() error {
				runs++
				if runs <= len(tt.fails) {
					return tt.fails[runs-1]
				}
				return nil
			})
			if runs != tt.wantRuns {
				t.Errorf("runs = %d, want %d", runs, tt.wantRuns)
			}
			if tt.wantNoErr != (err == nil) {
				t.Fatalf("err = %v", err)
			}
			for _, want := range tt.wantIs {
				if !errors.Is(err, want) {
					t.Errorf("err = %v, want it to wrap %v", err, want)
				}
			}
		})
	}
}

func TestDoHonoursContext(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	runs := 0
	p := store.Retry{MaxAttempts: 1000, BaseDelay: time.Hour, MaxDelay: time.Hour}
	go func() { time.Sleep(10 * time.Millisecond); cancel() }()
	err := Do(ctx, p, isTransient, func() error { runs++; return errTransient })
	if !errors.Is(err, context.Canceled) || !errors.Is(err, errTransient) {
		t.Fatalf("err = %v, want canceled wrapping the last failure", err)
	}
	if runs != 1 {
		t.Errorf("runs = %d, want 1", runs)
	}
}
