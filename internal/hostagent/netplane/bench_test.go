package netplane

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/nimbuscloud/nimbus/internal/vpc/netmodel"
	"github.com/nimbuscloud/nimbus/internal/vpc/netplan"
	"github.com/nimbuscloud/nimbus/internal/vpc/netplan/modeltext"
)

// benchModel is one VPC with 10 subnets and 100 ENIs on host h1, under
// three security groups (one referencing another) and one NACL.
func benchModel(webPort int) *netmodel.Model {
	var b strings.Builder
	fmt.Fprintf(&b, `host h1 192.0.2.1
vpc vpc-a vni=100 cidrs=10.0.0.0/16
rtb rtb vpc=vpc-a main
nacl acl vpc=vpc-a
  in 100 deny tcp 23 0.0.0.0/0
  in 200 allow all - 0.0.0.0/0
  out 100 allow all - 0.0.0.0/0
sg sg-default vpc=vpc-a
  in all - sg-default
  out all - 0.0.0.0/0
sg sg-web vpc=vpc-a
  in tcp %d 0.0.0.0/0
  in tcp 443 0.0.0.0/0
  in tcp 22 10.0.0.0/16
  in icmp 8:-1 10.0.0.0/16
sg sg-db vpc=vpc-a
  in tcp 5432 sg-web
  in udp 5000-6000 10.0.3.0/24
`, webPort)
	for s := range 10 {
		fmt.Fprintf(&b, "subnet sn-%d vpc=vpc-a cidr=10.0.%d.0/24 rtb=rtb nacl=acl\n", s, s)
		for e := range 10 {
			sgs := "sg-default,sg-web"
			if e%2 == 1 {
				sgs = "sg-default,sg-db"
			}
			fmt.Fprintf(&b, "eni eni-%d-%d subnet=sn-%d host=h1 ips=10.0.%d.%d sgs=%s\n", s, e, s, s, 10+e, sgs)
		}
	}
	return modeltext.MustParse(b.String())
}

// BenchmarkApply times Apply on one host for a VPC with 10 subnets and
// 100 ENIs: from nothing (create), unchanged (noop: the cost of checking
// everything), and after changing one security group rule (sg-change).
func BenchmarkApply(b *testing.B) {
	l := newLab(b, 1, false)
	ctx := context.Background()
	p := l.planes["h1"]
	plan := func(port int) *netplan.HostState {
		hs, err := netplan.Plan(benchModel(port), "h1", l.config("h1"))
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
		port := 80
		for b.Loop() {
			port = 80 + 8000 - port // 80 <-> 8080
			hs, err := netplan.Plan(benchModel(port), "h1", l.config("h1"))
			if err != nil {
				b.Fatal(err)
			}
			if err := p.Apply(ctx, hs); err != nil {
				b.Fatal(err)
			}
			if n := len(p.Changes()); n == 0 || n > 4 {
				b.Fatalf("one-rule change made %d changes: %v", n, p.Changes())
			}
		}
	})
	_ = hs8080
}

// BenchmarkPlan times the pure planner on the same model.
func BenchmarkPlan(b *testing.B) {
	m := benchModel(80)
	cfg := netplan.Config{HostNetns: "nb-host"}
	for b.Loop() {
		if _, err := netplan.Plan(m, "h1", cfg); err != nil {
			b.Fatal(err)
		}
	}
}
