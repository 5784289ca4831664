package sts

import (
	"context"
	"errors"
	"testing"

	"github.com/nimbuscloud/nimbus/internal/caller"
)

func TestGetCallerIdentity(t *testing.T) {
	s := New()
	tests := []struct {
		name    string
		c       *caller.Caller
		want    Identity
		wantErr error
	}{
		{"root", &caller.Caller{Principal: caller.Principal{Type: caller.Root, AccountID: "123456789012", ARN: "arn:aws:iam::123456789012:root", UserID: "123456789012"}},
			Identity{Account: "123456789012", ARN: "arn:aws:iam::123456789012:root", UserID: "123456789012"}, nil},
		{"anonymous", &caller.Caller{Principal: caller.Principal{Type: caller.Anonymous}}, Identity{}, ErrNoCaller},
		{"no caller", nil, Identity{}, ErrNoCaller},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			if tt.c != nil {
				ctx = caller.With(ctx, tt.c)
			}
			got, err := s.GetCallerIdentity(ctx)
			if !errors.Is(err, tt.wantErr) || got != tt.want {
				t.Fatalf("got %+v, %v; want %+v, %v", got, err, tt.want, tt.wantErr)
			}
		})
	}
}
