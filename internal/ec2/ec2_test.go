package ec2

import (
	"context"
	"errors"
	"testing"

	"github.com/nimbuscloud/nimbus/internal/caller"
)

type allow struct{ denyAll bool }

func (a allow) Authorize(context.Context, string, string, map[string][]string) error {
	if a.denyAll {
		return errors.New("denied")
	}
	return nil
}

func ctx() context.Context {
	return caller.With(context.Background(), &caller.Caller{Principal: caller.Principal{Type: caller.Root, AccountID: "123456789012"}})
}

func TestDescribeAvailabilityZones(t *testing.T) {
	s := New(Region{Name: "us-east-1", Endpoint: "ec2.us-east-1.localhost", AZs: []string{"us-east-1a", "us-east-1b", "us-east-1c"}}, allow{})
	tests := []struct {
		names, ids []string
		filters    []Filter
		want       []string
		wantErr    error
	}{
		{nil, nil, nil, []string{"us-east-1a", "us-east-1b", "us-east-1c"}, nil},
		{[]string{"us-east-1b"}, nil, nil, []string{"us-east-1b"}, nil},
		{nil, []string{"use1-az3"}, nil, []string{"us-east-1c"}, nil},
		{nil, nil, []Filter{{Name: "zone-name", Values: []string{"*-1a", "us-east-1c"}}}, []string{"us-east-1a", "us-east-1c"}, nil},
		{nil, nil, []Filter{{Name: "state", Values: []string{"available"}}, {Name: "zone-id", Values: []string{"use1-az?"}}}, []string{"us-east-1a", "us-east-1b", "us-east-1c"}, nil},
		{nil, nil, []Filter{{Name: "state", Values: []string{"impaired"}}}, nil, nil},
		{[]string{"us-east-1z"}, nil, nil, nil, ErrInvalidAZ},
		{nil, nil, []Filter{{Name: "bogus", Values: []string{"x"}}}, nil, ErrInvalidFilter},
	}
	for _, tt := range tests {
		got, err := s.DescribeAvailabilityZones(ctx(), tt.names, tt.ids, tt.filters)
		if !errors.Is(err, tt.wantErr) {
			t.Errorf("%v %v %v: err %v, want %v", tt.names, tt.ids, tt.filters, err, tt.wantErr)
			continue
		}
		var names []string
		for _, a := range got {
			names = append(names, a.Name)
		}
		if len(names) != len(tt.want) {
			t.Errorf("%v %v %v: got %v, want %v", tt.names, tt.ids, tt.filters, names, tt.want)
			continue
		}
		for i := range names {
			if names[i] != tt.want[i] {
				t.Errorf("%v %v %v: got %v, want %v", tt.names, tt.ids, tt.filters, names, tt.want)
			}
		}
	}
}

func TestDeniedAndAnonymous(t *testing.T) {
	s := New(Region{Name: "us-east-1", AZs: []string{"us-east-1a"}}, allow{denyAll: true})
	if _, err := s.DescribeRegions(ctx(), nil, nil); err == nil {
		t.Fatal("denied caller was answered")
	}
	if _, err := s.DescribeRegions(context.Background(), nil, nil); !errors.Is(err, ErrNoCaller) {
		t.Fatalf("no caller: %v", err)
	}
}
