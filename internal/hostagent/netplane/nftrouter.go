package netplane

import (
	"fmt"
	"net/netip"

	"github.com/google/nftables"
	"github.com/google/nftables/expr"
	"golang.org/x/sys/unix"

	"github.com/nimbuscloud/nimbus/internal/vpc/netplan"
)

// Names of the router table's sets and maps.
const (
	setRouteMark = "rt_mark"    // ifname -> mark (route table of the port's subnet)
	setSDCIf     = "sdc_if"     // ports with source/dest check
	setENISrc    = "eni_src"    // ifname . saddr a port may send from
	setSDCHop    = "sdc_nh"     // next hops that are ENIs with source/dest check
	setSDCPair   = "sdc_pair"   // next hop . daddr such a next hop accepts
	setPubSrc    = "pub_src"    // private addresses with a public one
	mapPubDNAT   = "pub_dnat"   // public -> private
	mapPubSNAT   = "pub_snat"   // private -> public
	setNATIf     = "natgw_if"   // ports of NAT gateways
	setIGWRefuse = "igw_refuse" // address ranges the internet gateway refuses (interval)
	vmapNACLFrom = "nacl_from"  // ifname -> subnet entry chain
	vmapNACLTo   = "nacl_to"    // next hop (interval) -> NACL ingress chain
	vmapSGOut    = "sg_out"     // ifname -> group set egress chain
	vmapSGIn     = "sg_in"      // ifname -> group set ingress chain
	mapRxMark    = "rx_mark"    // dst MAC -> mark (netdev table)
)

// routerTable is the router's inet table:
//
//	chain pre     (prerouting, mangle): meta mark set iifname map @rt_mark
//	chain dnat    (prerouting, dstnat): iifname igw dnat to ip daddr map @pub_dnat
//	chain snat    (postrouting, srcnat): oifname igw snat to ip saddr map @pub_snat
//	chain input   (policy drop): the router itself answers nothing
//	chain forward (policy drop):
//	  ipv6 drop; vxlan->vxlan and uplink->uplink drop
//	  from the uplink with a source, or to it with a destination, in @igw_refuse drop
//	  to the uplink: ct state invalid drop (no connection, no translation)
//	  source/dest check (sender side, then next-hop side)
//	  to the uplink only from addresses with a public one
//	  iifname vmap @nacl_from      NACLs, stateless, in the router where the packet enters
//	  ct state established,related accept
//	  NAT gateways start flows only towards the uplink
//	  iifname vmap @sg_out; oifname vmap @sg_in    security groups (new and ct-invalid packets)
//	  accept
func routerTable(f *netplan.Filter) *tableSpec {
	s := &tableSpec{table: &nftables.Table{Name: f.Table, Family: nftables.TableFamilyINet}}
	routerSets(s, f)

	s.addChain(baseChain("pre", nftables.ChainTypeFilter, *nftables.ChainHookPrerouting, *nftables.ChainPriorityMangle, nftables.ChainPolicyAccept),
		rule("meta mark set iifname map @"+setRouteMark,
			ex(metaLoad(expr.MetaKeyIIFNAME, reg), mapTo(setRouteMark, reg, reg),
				&expr.Meta{Key: expr.MetaKeyMARK, SourceRegister: true, Register: reg})))
	if f.Uplink != "" {
		s.addChain(baseChain("dnat", nftables.ChainTypeNAT, *nftables.ChainHookPrerouting, *nftables.ChainPriorityNATDest, nftables.ChainPolicyAccept),
			rule("iifname "+f.Uplink+" dnat ip to ip daddr map @"+mapPubDNAT, isIPv4(),
				ex(metaLoad(expr.MetaKeyIIFNAME, reg), cmpEq(reg, ifname(f.Uplink)), ipDaddr(reg), mapTo(mapPubDNAT, reg, reg),
					&expr.NAT{Type: expr.NATTypeDestNAT, Family: unix.NFPROTO_IPV4, RegAddrMin: reg})))
		s.addChain(baseChain("snat", nftables.ChainTypeNAT, *nftables.ChainHookPostrouting, *nftables.ChainPriorityNATSource, nftables.ChainPolicyAccept),
			rule("oifname "+f.Uplink+" snat ip to ip saddr map @"+mapPubSNAT, isIPv4(),
				ex(metaLoad(expr.MetaKeyOIFNAME, reg), cmpEq(reg, ifname(f.Uplink)), ipSaddr(reg), mapTo(mapPubSNAT, reg, reg),
					&expr.NAT{Type: expr.NATTypeSourceNAT, Family: unix.NFPROTO_IPV4, RegAddrMin: reg})))
	}
	s.addChain(baseChain("input", nftables.ChainTypeFilter, *nftables.ChainHookInput, *nftables.ChainPriorityFilter, nftables.ChainPolicyDrop))
	s.addChain(baseChain("forward", nftables.ChainTypeFilter, *nftables.ChainHookForward, *nftables.ChainPriorityFilter, nftables.ChainPolicyDrop),
		forwardRules(f)...)

	for _, sc := range f.Subnets {
		s.addChain(&nftables.Chain{Name: sc.Chain}, subnetRules(sc)...)
	}
	for _, nc := range f.NACLs {
		s.addChain(&nftables.Chain{Name: nc.Chain}, naclRules(nc)...)
	}
	for _, gs := range f.GroupSets {
		for _, c := range []struct {
			sg     netplan.SGChain
			egress bool
		}{{gs.Egress, true}, {gs.Ingress, false}} {
			addGroupChain(s, c.sg, c.egress)
		}
	}
	return s
}

func baseChain(name string, t nftables.ChainType, hook nftables.ChainHook, prio nftables.ChainPriority, policy nftables.ChainPolicy) *nftables.Chain {
	return &nftables.Chain{Name: name, Type: t, Hooknum: &hook, Priority: &prio, Policy: &policy}
}

func forwardRules(f *netplan.Filter) []ruleSpec {
	ifEq := func(key expr.MetaKey, name string) []expr.Any {
		return ex(metaLoad(key, reg), cmpEq(reg, ifname(name)))
	}
	drop, accept := ex(verdict(expr.VerdictDrop)), ex(verdict(expr.VerdictAccept))
	rs := []ruleSpec{
		rule("meta nfproto ipv6 drop", ex(metaLoad(expr.MetaKeyNFPROTO, reg), cmpEq(reg, []byte{unix.NFPROTO_IPV6})), drop),
		rule(fmt.Sprintf("iifname %s oifname %s drop", f.VXLAN, f.VXLAN), ifEq(expr.MetaKeyIIFNAME, f.VXLAN), ifEq(expr.MetaKeyOIFNAME, f.VXLAN), drop),
	}
	if f.Uplink != "" {
		rs = append(rs,
			rule(fmt.Sprintf("iifname %s oifname %s drop", f.Uplink, f.Uplink),
				ifEq(expr.MetaKeyIIFNAME, f.Uplink), ifEq(expr.MetaKeyOIFNAME, f.Uplink), drop),
			rule("iifname "+f.Uplink+" ip saddr @"+setIGWRefuse+" drop",
				ifEq(expr.MetaKeyIIFNAME, f.Uplink), ex(ipSaddr(reg), lookup(setIGWRefuse, reg, false)), drop),
			rule("oifname "+f.Uplink+" ip daddr @"+setIGWRefuse+" drop",
				ifEq(expr.MetaKeyOIFNAME, f.Uplink), ex(ipDaddr(reg), lookup(setIGWRefuse, reg, false)), drop),
			// Without a connection there is no 1:1 translation: such a
			// packet would leave with its private source.
			rule("oifname "+f.Uplink+" ct state invalid drop",
				ifEq(expr.MetaKeyOIFNAME, f.Uplink), ctState(expr.CtStateBitINVALID), drop))
	}
	rs = append(rs,
		rule("iifname @"+setSDCIf+" iifname . ip saddr != @"+setENISrc+" drop",
			ex(metaLoad(expr.MetaKeyIIFNAME, reg), lookup(setSDCIf, reg, false),
				metaLoad(expr.MetaKeyIIFNAME, regCat), ipSaddr(regCat+4), lookup(setENISrc, regCat, true)), drop),
		rule("rt ip nexthop @"+setSDCHop+" rt ip nexthop . ip daddr != @"+setSDCPair+" drop",
			ex(nexthop(reg), lookup(setSDCHop, reg, false),
				nexthop(regCat), ipDaddr(regCat+1), lookup(setSDCPair, regCat, true)), drop),
	)
	if f.Uplink != "" {
		rs = append(rs, rule("oifname "+f.Uplink+" ip saddr != @"+setPubSrc+" drop",
			ifEq(expr.MetaKeyOIFNAME, f.Uplink), ex(ipSaddr(reg), lookup(setPubSrc, reg, true)), drop))
	}
	rs = append(rs,
		rule("iifname vmap @"+vmapNACLFrom, ex(metaLoad(expr.MetaKeyIIFNAME, reg), mapTo(vmapNACLFrom, reg, 0))),
		// Not "ct state invalid drop": a router next to an appliance may
		// see one direction of a connection only (the client's ACK after
		// a SYN-ACK that went another way is invalid to it). Such packets
		// go on to the security groups, like new ones.
		rule("ct state established,related accept", ctState(expr.CtStateBitESTABLISHED|expr.CtStateBitRELATED), accept),
	)
	natOut := rule("iifname @"+setNATIf+" drop", ex(metaLoad(expr.MetaKeyIIFNAME, reg), lookup(setNATIf, reg, false)), drop)
	if f.Uplink != "" {
		natOut = rule("iifname @"+setNATIf+" oifname != "+f.Uplink+" drop",
			ex(metaLoad(expr.MetaKeyIIFNAME, reg), lookup(setNATIf, reg, false),
				metaLoad(expr.MetaKeyOIFNAME, reg), cmpNeq(reg, ifname(f.Uplink))), drop)
	}
	return append(rs, natOut,
		rule("iifname vmap @"+vmapSGOut, ex(metaLoad(expr.MetaKeyIIFNAME, reg), mapTo(vmapSGOut, reg, 0))),
		rule("oifname vmap @"+vmapSGIn, ex(metaLoad(expr.MetaKeyOIFNAME, reg), mapTo(vmapSGIn, reg, 0))),
		rule("accept", accept),
	)
}

// subnetRules: the NACL entry chain of a subnet (or of the internet).
func subnetRules(sc netplan.SubnetChain) []ruleSpec {
	var rs []ruleSpec
	if sc.Subnet != "" {
		rs = append(rs,
			rule("rt ip nexthop "+sc.CIDR.String()+" return", inPrefix(nexthop(reg), sc.CIDR), ex(verdict(expr.VerdictReturn))),
			rule("jump "+sc.Egress, ex(jump(sc.Egress))))
	}
	return append(rs, rule("rt ip nexthop vmap @"+vmapNACLTo, ex(nexthop(reg), mapTo(vmapNACLTo, reg, 0))))
}

// naclRules: one rule per entry in number order (allow returns to the
// caller, deny drops), then drop.
func naclRules(nc netplan.NACLChain) []ruleSpec {
	var rs []ruleSpec
	peer, dir := ipSaddr(reg), "ip saddr"
	if nc.Egress {
		peer, dir = ipDaddr(reg), "ip daddr"
	}
	for _, e := range nc.Entries {
		var m []expr.Any
		if e.Proto >= 0 {
			m = append(m, metaLoad(expr.MetaKeyL4PROTO, reg), cmpEq(reg, []byte{byte(e.Proto)}))
		}
		// The key of netmodel's matcher; other protocols have none.
		var key expr.Any
		switch e.Proto {
		case unix.IPPROTO_TCP, unix.IPPROTO_UDP:
			key = thDport(reg)
		case unix.IPPROTO_ICMP:
			key = icmpTypeCode(reg)
		}
		if key != nil && (e.XLo != 0 || e.XHi != 0xffff) {
			m = append(m, key)
			m = append(m, portRange(e.XLo, e.XHi)...)
		}
		m = append(m, inPrefix(peer, e.CIDR)...)
		v, vs := verdict(expr.VerdictReturn), "return"
		if !e.Allow {
			v, vs = verdict(expr.VerdictDrop), "drop"
		}
		rs = append(rs, rule(fmt.Sprintf("%s %s %s # %s", dir, e.CIDR, vs, e), m, ex(v)))
	}
	return append(rs, rule("drop", ex(verdict(expr.VerdictDrop))))
}

// addGroupChain adds a group set's chain and its two interval sets:
//
//	ip daddr . meta l4proto @<chain>_a return
//	meta l4proto icmp ip daddr . meta l4proto . @th,0,16 @<chain>_p return
//	meta l4proto != icmp ip daddr . meta l4proto . th dport @<chain>_p return
//	drop
func addGroupChain(s *tableSpec, c netplan.SGChain, egress bool) {
	anySet, portSet := c.Chain+"_a", c.Chain+"_p"
	peer, dir := ipSaddr, "ip saddr"
	if egress {
		peer, dir = ipDaddr, "ip daddr"
	}
	var anyElems, portElems []nftables.SetElement
	for _, b := range c.AnyPort {
		anyElems = append(anyElems, nftables.SetElement{
			Key:    cat(addr4(b.AddrLo), []byte{b.ProtoLo}),
			KeyEnd: cat(addr4(b.AddrHi), []byte{b.ProtoHi}),
		})
	}
	for _, b := range c.Ports {
		portElems = append(portElems, nftables.SetElement{
			Key:    cat(addr4(b.AddrLo), []byte{b.ProtoLo}, be16(b.XLo)),
			KeyEnd: cat(addr4(b.AddrHi), []byte{b.ProtoHi}, be16(b.XHi)),
		})
	}
	s.addSet(&nftables.Set{Name: anySet, KeyType: tAddrProto, Interval: true, Concatenation: true}, anyElems)
	s.addSet(&nftables.Set{Name: portSet, KeyType: tAddrPort, Interval: true, Concatenation: true}, portElems)
	ret, drop := ex(verdict(expr.VerdictReturn)), ex(verdict(expr.VerdictDrop))
	l4 := metaLoad(expr.MetaKeyL4PROTO, regCat+1)
	s.addChain(&nftables.Chain{Name: c.Chain},
		rule(dir+" . meta l4proto @"+anySet+" return", ex(peer(regCat), l4, lookup(anySet, regCat, false)), ret),
		rule("meta l4proto icmp "+dir+" . meta l4proto . @th,0,16 @"+portSet+" return",
			ex(metaLoad(expr.MetaKeyL4PROTO, reg), cmpEq(reg, []byte{unix.IPPROTO_ICMP}),
				peer(regCat), l4, icmpTypeCode(regCat+2), lookup(portSet, regCat, false)), ret),
		rule("meta l4proto != icmp "+dir+" . meta l4proto . th dport @"+portSet+" return",
			ex(metaLoad(expr.MetaKeyL4PROTO, reg), cmpNeq(reg, []byte{unix.IPPROTO_ICMP}),
				peer(regCat), l4, thDport(regCat+2), lookup(portSet, regCat, false)), ret),
		rule("drop", drop))
}

// routerSets adds the router table's sets and maps from the filter.
func routerSets(s *tableSpec, f *netplan.Filter) {
	var marks, sdcIf, eniSrc, sdcHop, sdcPair, pubSrc, dnat, snat, natIf, refuse, from, to, out, in []nftables.SetElement
	for _, m := range f.RouteMarks {
		marks = append(marks, nftables.SetElement{Key: ifname(m.If), Val: mark(m.Mark)})
	}
	seenIf := map[string]bool{}
	for _, a := range f.SourceCheck {
		if !seenIf[a.If] {
			seenIf[a.If] = true
			sdcIf = append(sdcIf, nftables.SetElement{Key: ifname(a.If)})
		}
		eniSrc = append(eniSrc, nftables.SetElement{Key: cat(ifname(a.If), addr4(a.Addr))})
	}
	seenHop := map[string]bool{}
	for _, d := range f.DestCheck {
		if !seenHop[d.NextHop.String()] {
			seenHop[d.NextHop.String()] = true
			sdcHop = append(sdcHop, nftables.SetElement{Key: addr4(d.NextHop)})
		}
		sdcPair = append(sdcPair, nftables.SetElement{Key: cat(addr4(d.NextHop), addr4(d.Dst))})
	}
	for _, n := range f.PublicNAT {
		pubSrc = append(pubSrc, nftables.SetElement{Key: addr4(n.Private)})
		dnat = append(dnat, nftables.SetElement{Key: addr4(n.Public), Val: addr4(n.Private)})
		snat = append(snat, nftables.SetElement{Key: addr4(n.Private), Val: addr4(n.Public)})
	}
	for _, p := range f.NATPorts {
		natIf = append(natIf, nftables.SetElement{Key: ifname(p)})
	}
	for _, r := range f.IGWRefused {
		refuse = append(refuse, intervalElems(r, nil)...)
	}
	vjump := func(key []byte, chain string) nftables.SetElement {
		return nftables.SetElement{Key: key, VerdictData: jump(chain)}
	}
	for _, c := range f.NACLFrom {
		from = append(from, vjump(ifname(c.If), c.Chain))
	}
	for _, c := range f.NACLTo {
		to = append(to, intervalElems(c.CIDR, jump(c.Chain))...)
	}
	for _, c := range f.SGOut {
		out = append(out, vjump(ifname(c.If), c.Chain))
	}
	for _, c := range f.SGIn {
		in = append(in, vjump(ifname(c.If), c.Chain))
	}
	verdictMap := func(name string, key nftables.SetDatatype, interval bool, elems []nftables.SetElement) {
		s.addSet(&nftables.Set{Name: name, KeyType: key, IsMap: true, DataType: nftables.TypeVerdict, Interval: interval}, elems)
	}
	s.addSet(&nftables.Set{Name: setRouteMark, KeyType: tIfname, IsMap: true, DataType: nftables.TypeMark}, marks)
	s.addSet(&nftables.Set{Name: setSDCIf, KeyType: tIfname}, sdcIf)
	s.addSet(&nftables.Set{Name: setENISrc, KeyType: tIfAddr, Concatenation: true}, eniSrc)
	s.addSet(&nftables.Set{Name: setSDCHop, KeyType: tAddr}, sdcHop)
	s.addSet(&nftables.Set{Name: setSDCPair, KeyType: tAddrAddr, Concatenation: true}, sdcPair)
	s.addSet(&nftables.Set{Name: setPubSrc, KeyType: tAddr}, pubSrc)
	s.addSet(&nftables.Set{Name: mapPubDNAT, KeyType: tAddr, IsMap: true, DataType: nftables.TypeIPAddr}, dnat)
	s.addSet(&nftables.Set{Name: mapPubSNAT, KeyType: tAddr, IsMap: true, DataType: nftables.TypeIPAddr}, snat)
	s.addSet(&nftables.Set{Name: setNATIf, KeyType: tIfname}, natIf)
	s.addSet(&nftables.Set{Name: setIGWRefuse, KeyType: tAddr, Interval: true}, refuse)
	verdictMap(vmapNACLFrom, tIfname, false, from)
	verdictMap(vmapNACLTo, tAddr, true, to)
	verdictMap(vmapSGOut, tIfname, false, out)
	verdictMap(vmapSGIn, tIfname, false, in)
}

// intervalElems are the elements of an IPv4 prefix in an interval set or
// map (v: the verdict of a verdict map, or nil): its first address, and
// the end of the interval after its last one, if there is an after.
func intervalElems(p netip.Prefix, v *expr.Verdict) []nftables.SetElement {
	p = p.Masked()
	out := []nftables.SetElement{{Key: addr4(p.Addr()), VerdictData: v}}
	if end := lastAddr(p).Next(); end.IsValid() {
		out = append(out, nftables.SetElement{Key: addr4(end), IntervalEnd: true})
	}
	return out
}

// rxTable is the netdev table on the VXLAN device's ingress: frames for
// the MAC of a local route target get its table's mark and are taken in
// (their destination MAC is not the device's).
func rxTable(f *netplan.Filter) *tableSpec {
	s := &tableSpec{table: &nftables.Table{Name: f.RxTable, Family: nftables.TableFamilyNetdev}}
	var elems []nftables.SetElement
	for _, m := range f.RxMarks {
		elems = append(elems, nftables.SetElement{Key: mustMAC(m.MAC), Val: mark(m.Mark)})
	}
	s.addSet(&nftables.Set{Name: mapRxMark, KeyType: nftables.TypeEtherAddr, IsMap: true, DataType: nftables.TypeMark}, elems)
	hook, prio, policy := *nftables.ChainHookIngress, nftables.ChainPriority(0), nftables.ChainPolicyAccept
	s.addChain(&nftables.Chain{Name: "rx", Type: nftables.ChainTypeFilter, Hooknum: &hook, Priority: &prio, Policy: &policy, Device: f.VXLAN},
		rule("meta mark set ether daddr map @"+mapRxMark,
			ex(&expr.Payload{DestRegister: reg, Base: expr.PayloadBaseLLHeader, Offset: 0, Len: 6},
				mapTo(mapRxMark, reg, reg), &expr.Meta{Key: expr.MetaKeyMARK, SourceRegister: true, Register: reg})),
		rule("meta mark != 0 meta pkttype set host",
			ex(metaLoad(expr.MetaKeyMARK, reg), cmpNeq(reg, []byte{0, 0, 0, 0}),
				&expr.Immediate{Register: reg, Data: []byte{unix.PACKET_HOST}},
				&expr.Meta{Key: expr.MetaKeyPKTTYPE, SourceRegister: true, Register: reg})))
	return s
}
