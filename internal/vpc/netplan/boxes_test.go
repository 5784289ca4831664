package netplan

import (
	"fmt"
	"math/rand/v2"
	"net/netip"
	"testing"

	"pgregory.net/rapid"

	"github.com/nimbuscloud/nimbus/internal/vpc/netmodel"
	"github.com/nimbuscloud/nimbus/internal/vpc/netplan/modeltext"
)

func genCell(dims int, maxV uint32) *rapid.Generator[cell] {
	return rapid.Custom(func(t *rapid.T) cell {
		c := make(cell, dims)
		for d := range c {
			a := rapid.Uint32Range(0, maxV).Draw(t, "a")
			b := rapid.Uint32Range(0, maxV).Draw(t, "b")
			c[d] = span{min(a, b), max(a, b)}
		}
		return c
	})
}

func inCell(c cell, p []uint32) bool {
	for d, s := range c {
		if p[d] < s.lo || p[d] > s.hi {
			return false
		}
	}
	return true
}

// Property: disjoint returns pairwise disjoint cells covering exactly the
// union of its input.
func TestDisjointProperty(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		const maxV = 9
		cells := rapid.SliceOfN(genCell(3, maxV), 0, 8).Draw(t, "cells")
		out := disjoint(cells)
		for x := uint32(0); x <= maxV; x++ {
			for y := uint32(0); y <= maxV; y++ {
				for z := uint32(0); z <= maxV; z++ {
					p := []uint32{x, y, z}
					want, got := false, 0
					for _, c := range cells {
						want = want || inCell(c, p)
					}
					for _, c := range out {
						if inCell(c, p) {
							got++
						}
					}
					if got > 1 || (got == 1) != want {
						t.Fatalf("point %v: in %d output cells, in input: %v\nin: %v\nout: %v", p, got, want, cells, out)
					}
				}
			}
		}
	})
}

// Property: a compiled group set admits exactly the packets the security
// group rules admit by netmodel's matcher (a packet matches an any-port
// box on (peer, protocol), or a port box on (peer, protocol, port or ICMP
// type<<8|code)), and no two boxes of a set overlap.
func TestCompiledGroupsMatchRules(t *testing.T) {
	protos := []int{netmodel.All, netmodel.TCP, netmodel.UDP, netmodel.ICMP, 47}
	rapid.Check(t, func(t *rapid.T) {
		m := modeltext.MustParse(`
vpc vpc-a vni=1 cidrs=10.0.0.0/16
sg sg-peer vpc=vpc-a
eni eni-p1 vpc=vpc-a ips=10.0.0.3 sgs=sg-peer
eni eni-p2 vpc=vpc-a ips=10.0.0.9,10.0.0.10 sgs=sg-peer
eni eni-other vpc=vpc-b ips=10.0.0.5 sgs=sg-peer
`)
		var rules []netmodel.SGRule
		for i := range rapid.IntRange(0, 6).Draw(t, "n") {
			r := netmodel.SGRule{Protocol: rapid.SampledFrom(protos).Draw(t, fmt.Sprint("proto", i))}
			r.FromPort = rapid.IntRange(-1, 5).Draw(t, "from")
			r.ToPort = rapid.IntRange(-1, 5).Draw(t, "to")
			if rapid.Bool().Draw(t, "group") {
				r.Group = "sg-peer"
			} else {
				bits := rapid.IntRange(28, 32).Draw(t, "bits")
				a := netip.AddrFrom4([4]byte{10, 0, 0, byte(rapid.IntRange(0, 15).Draw(t, "addr"))})
				r.CIDR = netip.PrefixFrom(a, bits).Masked()
			}
			rules = append(rules, r)
		}
		m.SecurityGroups = append(m.SecurityGroups, netmodel.SecurityGroup{ID: "sg-x", VPC: "vpc-a", Egress: rules})
		x := netmodel.NewIndex(m)
		gs := compileGroupSet(x, "vpc-a", []string{"sg-x"})
		checkDisjoint(t, gs.Egress.AnyPort)
		checkDisjoint(t, gs.Egress.Ports)
		for addr := range byte(16) {
			for _, proto := range []int{1, 6, 17, 47} {
				for port := range 7 {
					d := netip.AddrFrom4([4]byte{10, 0, 0, addr})
					// For ICMP, "port" is the type; try code 0 and 3.
					for _, code := range []int{0, 3} {
						want := naiveAllows(x, rules, d, proto, port, code)
						got := boxesAllow(gs.Egress, d, proto, port, code)
						if want != got {
							t.Fatalf("to %s proto %d port/type %d code %d: rules say %v, boxes %v\nrules %+v\nany %v\nports %v",
								d, proto, port, code, want, got, rules, gs.Egress.AnyPort, gs.Egress.Ports)
						}
					}
				}
			}
		}
	})
}

func naiveAllows(x *netmodel.Index, rules []netmodel.SGRule, d netip.Addr, proto, port, code int) bool {
	for _, r := range rules {
		peer := false
		if r.Group != "" {
			for _, e := range x.GroupMembers[r.Group] {
				for _, ip := range e.PrivateIPs {
					peer = peer || (e.VPC == "vpc-a" && ip == d)
				}
			}
		} else {
			peer = r.CIDR.Contains(d)
		}
		if !peer {
			continue
		}
		if r.Matches(proto, port, code) {
			return true
		}
	}
	return false
}

func boxesAllow(c SGChain, d netip.Addr, proto, port, code int) bool {
	x := uint16(port)
	if proto == netmodel.ICMP {
		x = uint16(port<<8 | code)
	}
	in := func(b Box, withX bool) bool {
		return b.AddrLo.Compare(d) <= 0 && d.Compare(b.AddrHi) <= 0 &&
			int(b.ProtoLo) <= proto && proto <= int(b.ProtoHi) &&
			(!withX || (b.XLo <= x && x <= b.XHi))
	}
	for _, b := range c.AnyPort {
		if in(b, false) {
			return true
		}
	}
	for _, b := range c.Ports {
		if in(b, true) {
			return true
		}
	}
	return false
}

func checkDisjoint(t *rapid.T, boxes []Box) {
	for i, a := range boxes {
		for _, b := range boxes[i+1:] {
			if a.AddrLo.Compare(b.AddrHi) <= 0 && b.AddrLo.Compare(a.AddrHi) <= 0 &&
				a.ProtoLo <= b.ProtoHi && b.ProtoLo <= a.ProtoHi && a.XLo <= b.XHi && b.XLo <= a.XHi {
				t.Fatalf("boxes overlap: %v and %v", a, b)
			}
		}
	}
}

// Planning is deterministic: the order of the model's slices does not
// change the plan.
func TestPlanIgnoresModelOrder(t *testing.T) {
	m := modeltext.MustParse(sampleTopology)
	cfg := Config{HostNetns: "nb-host", Internet: InternetConfig{Netns: "nb-inet", Gateway: netip.MustParsePrefix("198.18.0.1/15")}}
	want, err := Plan(m, "h1", cfg)
	if err != nil {
		t.Fatal(err)
	}
	r := rand.New(rand.NewPCG(1, 2))
	for range 20 {
		shuffle(r, m.ENIs)
		shuffle(r, m.Subnets)
		shuffle(r, m.SecurityGroups)
		shuffle(r, m.NACLs)
		shuffle(r, m.RouteTables)
		shuffle(r, m.Hosts)
		shuffle(r, m.VPCs)
		got, err := Plan(m, "h1", cfg)
		if err != nil {
			t.Fatal(err)
		}
		if got.String() != want.String() {
			t.Fatalf("plan changed with model order:\n%s\nvs\n%s", got, want)
		}
	}
}

func shuffle[T any](r *rand.Rand, s []T) {
	r.Shuffle(len(s), func(i, j int) { s[i], s[j] = s[j], s[i] })
}

const sampleTopology = `
host h1 192.0.2.1
host h2 192.0.2.2
vpc vpc-a vni=10 cidrs=10.0.0.0/16
vpc vpc-b vni=20 cidrs=10.0.0.0/16
igw igw-a vpc=vpc-a
rtb rtb-pub vpc=vpc-a main
  route 0.0.0.0/0 igw igw-a
rtb rtb-priv vpc=vpc-a
  route 0.0.0.0/0 nat nat-a
rtb rtb-b vpc=vpc-b main
nacl acl vpc=vpc-a
  in 100 allow all - 0.0.0.0/0
  out 100 allow all - 0.0.0.0/0
nacl acl-b vpc=vpc-b
  in 100 allow all - 0.0.0.0/0
  out 100 allow all - 0.0.0.0/0
subnet sn-pub vpc=vpc-a cidr=10.0.0.0/24 rtb=rtb-pub nacl=acl
subnet sn-priv vpc=vpc-a cidr=10.0.1.0/24 rtb=rtb-priv nacl=acl
subnet sn-b vpc=vpc-b cidr=10.0.0.0/24 rtb=rtb-b nacl=acl-b
sg sg-web vpc=vpc-a
  in tcp 80 0.0.0.0/0
  in all - sg-web
  out all - 0.0.0.0/0
sg sg-b vpc=vpc-b
  in all - sg-b
eni eni-web subnet=sn-pub host=h1 ips=10.0.0.10 sgs=sg-web public=198.18.1.10
eni eni-web2 subnet=sn-pub host=h2 ips=10.0.0.11 sgs=sg-web
eni eni-nat subnet=sn-pub host=h2 ips=10.0.0.5 public=198.18.1.5
natgw nat-a subnet=sn-pub eni=eni-nat
eni eni-app subnet=sn-priv host=h1 ips=10.0.1.10 sgs=sg-web
eni eni-b subnet=sn-b host=h1 ips=10.0.0.10 sgs=sg-b
eni eni-b2 subnet=sn-b host=h2 ips=10.0.0.12 sgs=sg-b
`
