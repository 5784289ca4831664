package netplane

import (
	"context"
	"testing"

	"github.com/nimbuscloud/nimbus/internal/vpc/netplan"
	"github.com/nimbuscloud/nimbus/internal/vpc/netplan/modeltext"
)

// BenchmarkApply times Apply on one host for a VPC with 10 subnets and
// 100 ENIs (modeltext.BenchTopology; netplan's BenchmarkPlan times the
// planner on it): from nothing (create), unchanged (noop: the cost of
// checking everything), and alternating between two plans one security
// group rule apart, web port 80 and 8080 (sg-change). Every plan is made
// before the timer starts: these time Apply only.
func BenchmarkApply(b *testing.B) {
	l := newLab(b, 1, false)
	ctx := context.Background()
	p := l.planes["h1"]
	plan := func(port int) *netplan.HostState {
		hs, err := netplan.Plan(modeltext.MustParse(modeltext.BenchTopology(port)), "h1", l.config("h1"))
		if err != nil {
			b.Fatal(err)
		}
		return hs
	}
	hs80, hs8080 := plan(80), plan(8080)

	b.Run("create", func(b *testing.B) {
		for b.Loop() {
			b.StopTimer()
			if err := p.Teardown(ctx); err != nil {
				b.Fatal(err)
			}
			b.StartTimer()
			if err := p.Apply(ctx, hs80); err != nil {
				b.Fatal(err)
			}
		}
	})
	if err := p.Apply(ctx, hs80); err != nil {
		b.Fatal(err)
	}
	b.Run("noop", func(b *testing.B) {
		for b.Loop() {
			if err := p.Apply(ctx, hs80); err != nil {
				b.Fatal(err)
			}
			if n := len(p.Changes()); n != 0 {
				b.Fatalf("noop apply made %d changes", n)
			}
		}
	})
	b.Run("sg-change", func(b *testing.B) {
		next := hs8080
		for b.Loop() {
			if err := p.Apply(ctx, next); err != nil {
				b.Fatal(err)
			}
			if n := len(p.Changes()); n == 0 || n > 4 {
				b.Fatalf("one-rule change made %d changes: %v", n, p.Changes())
			}
			if next == hs8080 {
				next = hs80
			} else {
				next = hs8080
			}
		}
	})
}
