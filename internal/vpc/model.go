package vpc

import (
	"context"
	"fmt"
	"net/netip"
	"strconv"

	"github.com/nimbuscloud/nimbus/internal/store"
	"github.com/nimbuscloud/nimbus/internal/vpc/netmodel"
)

// Model reads the region's whole network model (every account) in one
// snapshot, for the planner and the reachability evaluator.
func (s *Service) Model(ctx context.Context) (*netmodel.Model, error) {
	var m *netmodel.Model
	err := s.st.View(ctx, func(tx store.Tx) error {
		var err error
		m, err = buildModel(ctx, tx)
		return err
	})
	return m, err
}

func buildModel(ctx context.Context, tx store.Tx) (*netmodel.Model, error) {
	m := &netmodel.Model{}
	vpcs, err := listAll[VPC](ctx, tx, kindVPC)
	if err != nil {
		return nil, err
	}
	for _, v := range vpcs {
		mv := netmodel.VPC{ID: v.ID, Account: v.Account, VNI: v.VNI}
		for _, c := range v.CIDRs {
			p, err := netip.ParsePrefix(c.Block)
			if err != nil {
				return nil, fmt.Errorf("vpc: %s: stored block %q: %w", v.ID, c.Block, err)
			}
			mv.CIDRs = append(mv.CIDRs, p)
		}
		m.VPCs = append(m.VPCs, mv)
	}
	mainRT := map[string]string{}
	for _, v := range vpcs {
		mainRT[v.ID] = v.MainRouteTable
	}
	rts, err := listAll[RouteTable](ctx, tx, kindRTB)
	if err != nil {
		return nil, err
	}
	subnetRT := map[string]string{}
	for _, rt := range rts {
		mr := netmodel.RouteTable{ID: rt.ID, VPC: rt.VPC, Main: rt.Main}
		for _, r := range rt.Routes {
			mroute, err := modelRoute(r)
			if err != nil {
				return nil, fmt.Errorf("vpc: %s: %w", rt.ID, err)
			}
			mr.Routes = append(mr.Routes, mroute)
		}
		for _, a := range rt.Subnets {
			subnetRT[a.Subnet] = rt.ID
		}
		m.RouteTables = append(m.RouteTables, mr)
	}
	acls, err := listAll[NACL](ctx, tx, kindNACL)
	if err != nil {
		return nil, err
	}
	subnetACL := map[string]string{}
	for _, a := range acls {
		ma := netmodel.NACL{ID: a.ID, VPC: a.VPC}
		for _, e := range a.Entries {
			me, err := modelNACLEntry(e)
			if err != nil {
				return nil, fmt.Errorf("vpc: %s: %w", a.ID, err)
			}
			if e.Egress {
				ma.Egress = append(ma.Egress, me)
			} else {
				ma.Ingress = append(ma.Ingress, me)
			}
		}
		for _, x := range a.Subnets {
			subnetACL[x.Subnet] = a.ID
		}
		m.NACLs = append(m.NACLs, ma)
	}
	subnets, err := listAll[Subnet](ctx, tx, kindSubnet)
	if err != nil {
		return nil, err
	}
	for _, sn := range subnets {
		p, err := netip.ParsePrefix(sn.CIDR)
		if err != nil {
			return nil, fmt.Errorf("vpc: %s: stored block %q: %w", sn.ID, sn.CIDR, err)
		}
		rt := subnetRT[sn.ID]
		if rt == "" {
			rt = mainRT[sn.VPC]
		}
		m.Subnets = append(m.Subnets, netmodel.Subnet{ID: sn.ID, VPC: sn.VPC, AZ: sn.AZ, CIDR: p, RouteTable: rt, NACL: subnetACL[sn.ID]})
	}
	sgs, err := listAll[SecurityGroup](ctx, tx, kindSG)
	if err != nil {
		return nil, err
	}
	for _, g := range sgs {
		mg := netmodel.SecurityGroup{ID: g.ID, VPC: g.VPC}
		for _, dir := range []struct {
			in  []SGRule
			out *[]netmodel.SGRule
		}{{g.Ingress, &mg.Ingress}, {g.Egress, &mg.Egress}} {
			for _, r := range dir.in {
				mr, err := modelSGRule(r)
				if err != nil {
					return nil, fmt.Errorf("vpc: %s rule %s: %w", g.ID, r.ID, err)
				}
				*dir.out = append(*dir.out, mr)
			}
		}
		m.SecurityGroups = append(m.SecurityGroups, mg)
	}
	igws, err := listAll[InternetGateway](ctx, tx, kindIGW)
	if err != nil {
		return nil, err
	}
	for _, g := range igws {
		m.InternetGateways = append(m.InternetGateways, netmodel.InternetGateway{ID: g.ID, VPC: g.VPC})
	}
	return m, nil
}

// protoNumber is a stored protocol as a number (netmodel.All for "-1").
func protoNumber(p string) (int, error) {
	switch p {
	case "-1":
		return netmodel.All, nil
	case "tcp":
		return netmodel.TCP, nil
	case "udp":
		return netmodel.UDP, nil
	case "icmp":
		return netmodel.ICMP, nil
	case "icmpv6":
		return netmodel.ICMPv6, nil
	}
	n, err := strconv.Atoi(p)
	if err != nil || n < 0 || n > 255 {
		return 0, fmt.Errorf("stored protocol %q", p)
	}
	return n, nil
}

func modelSGRule(r SGRule) (netmodel.SGRule, error) {
	proto, err := protoNumber(r.Protocol)
	if err != nil {
		return netmodel.SGRule{}, err
	}
	out := netmodel.SGRule{Protocol: proto, FromPort: r.FromPort, ToPort: r.ToPort, Group: r.Group}
	for _, c := range []string{r.CIDRv4, r.CIDRv6} {
		if c != "" {
			if out.CIDR, err = netip.ParsePrefix(c); err != nil {
				return out, err
			}
		}
	}
	return out, nil
}

func modelNACLEntry(e NACLEntry) (netmodel.NACLEntry, error) {
	proto, err := protoNumber(e.Protocol)
	if err != nil {
		return netmodel.NACLEntry{}, err
	}
	val := func(p *int, def int) int {
		if p == nil {
			return def
		}
		return *p
	}
	out := netmodel.NACLEntry{Number: e.Number, Protocol: proto, Allow: e.Allow,
		FromPort: val(e.FromPort, 0), ToPort: val(e.ToPort, 65535), ICMPType: val(e.ICMPType, -1), ICMPCode: val(e.ICMPCode, -1)}
	c := e.CIDRv4
	if c == "" {
		c = e.CIDRv6
	}
	out.CIDR, err = netip.ParsePrefix(c)
	return out, err
}

func modelRoute(r Route) (netmodel.Route, error) {
	dest, err := netip.ParsePrefix(r.Dest)
	if err != nil {
		return netmodel.Route{}, fmt.Errorf("stored route %q: %w", r.Dest, err)
	}
	out := netmodel.Route{Dest: dest}
	switch {
	case r.Blackhole:
		out.Kind = netmodel.TargetBlackhole
	case r.Local:
		out.Kind = netmodel.TargetLocal
	case r.Gateway != "":
		out.Kind, out.Target = netmodel.TargetIGW, r.Gateway
	case r.NAT != "":
		out.Kind, out.Target = netmodel.TargetNAT, r.NAT
	case r.ENI != "":
		out.Kind, out.Target = netmodel.TargetENI, r.ENI
	default:
		out.Kind = netmodel.TargetBlackhole
	}
	return out, nil
}
