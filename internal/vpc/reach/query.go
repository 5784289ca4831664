package reach

import (
	"errors"
	"fmt"
	"net/netip"
	"slices"

	"github.com/nimbuscloud/nimbus/internal/vpc/netmodel"
)

var (
	// ErrInvalidQuery: the query names something that does not exist or
	// cannot be a source or destination (the API answers InvalidParameter).
	ErrInvalidQuery = errors.New("reach: invalid query")
	// ErrInvalidModel: the model refers to an object it does not hold.
	ErrInvalidModel = errors.New("reach: invalid model")
)

// DefaultSourcePort is the TCP or UDP source port of a query that gives
// none: the first port of IANA's dynamic range.
const DefaultSourcePort = 49152

// Endpoint is one end of a flow (CreateNetworkInsightsPath's Source and
// SourceIp, Destination and DestinationIp).
type Endpoint struct {
	// ENI is an interface ID; empty for an address alone.
	ENI string
	// Addr, with ENI: which address of it to use. For a source, the address
	// it sends from (default its primary private IP; another address meets
	// the source/dest check). For a destination, one of its private IPs or
	// its public IP (default: its primary private IP, or its public IP when
	// the source is on the internet).
	//
	// Addr alone: as a source, a host on the internet; as a destination, a
	// private IP of the source's VPC, the public IP of an interface, or a
	// host on the internet.
	Addr netip.Addr
}

func (e Endpoint) String() string {
	switch {
	case e.ENI != "" && e.Addr.IsValid():
		return e.ENI + "@" + e.Addr.String()
	case e.ENI != "":
		return e.ENI
	}
	return e.Addr.String()
}

// Query is one flow to analyse.
type Query struct {
	Source, Destination Endpoint
	// Protocol is netmodel.TCP, netmodel.UDP or netmodel.ICMP (an echo
	// request, answered by an echo reply).
	Protocol int
	// DestinationPort (1-65535) and SourcePort (0: DefaultSourcePort), for
	// TCP and UDP only.
	DestinationPort, SourcePort int
}

// flow is a query resolved against the model.
type flow struct {
	src *netmodel.ENI // nil: the internet host first.Src
	// dst is the interface the packet must reach; nil with !dstInternet:
	// an address of the source's VPC nothing holds.
	dst         *netmodel.ENI
	dstInternet bool
	first       Header
	// blocked, when set, ends the analysis before any packet moves.
	blocked *Explanation
}

// addrs looks interfaces up by address, which netmodel.Index does not.
type addrs struct {
	private map[string]map[netip.Addr]*netmodel.ENI // VPC ID -> private IP
	public  map[netip.Addr]*netmodel.ENI
	igw     map[string]*netmodel.InternetGateway // VPC ID -> attached gateway
}

func indexAddrs(m *netmodel.Model) addrs {
	a := addrs{
		private: map[string]map[netip.Addr]*netmodel.ENI{},
		public:  map[netip.Addr]*netmodel.ENI{},
		igw:     map[string]*netmodel.InternetGateway{},
	}
	for i := range m.ENIs {
		e := &m.ENIs[i]
		if a.private[e.VPC] == nil {
			a.private[e.VPC] = map[netip.Addr]*netmodel.ENI{}
		}
		for _, ip := range e.PrivateIPs {
			if _, dup := a.private[e.VPC][ip]; !dup {
				a.private[e.VPC][ip] = e
			}
		}
		if e.PublicIP.IsValid() {
			if _, dup := a.public[e.PublicIP]; !dup {
				a.public[e.PublicIP] = e
			}
		}
	}
	for i := range m.InternetGateways {
		g := &m.InternetGateways[i]
		if _, dup := a.igw[g.VPC]; g.VPC != "" && !dup {
			a.igw[g.VPC] = g
		}
	}
	return a
}

func invalid(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrInvalidQuery, fmt.Sprintf(format, args...))
}

// usableAddr: an IPv4 unicast address a host can have.
func usableAddr(a netip.Addr) bool {
	return a.Is4() && !a.IsUnspecified() && !a.IsMulticast() && !a.IsLoopback() &&
		a != netip.AddrFrom4([4]byte{255, 255, 255, 255})
}

// resolve checks q against the model and works out the first packet and
// the endpoint it must reach.
func resolve(x *netmodel.Index, a addrs, q Query) (flow, error) {
	var f flow
	h := Header{Protocol: q.Protocol}
	switch q.Protocol {
	case netmodel.TCP, netmodel.UDP:
		if q.DestinationPort < 1 || q.DestinationPort > 65535 {
			return f, invalid("destination port %d out of 1-65535", q.DestinationPort)
		}
		if q.SourcePort < 0 || q.SourcePort > 65535 {
			return f, invalid("source port %d out of 0-65535 (0: the default)", q.SourcePort)
		}
		h.DstPort, h.SrcPort = q.DestinationPort, q.SourcePort
		if h.SrcPort == 0 {
			h.SrcPort = DefaultSourcePort
		}
	case netmodel.ICMP:
		if q.DestinationPort != 0 || q.SourcePort != 0 {
			return f, invalid("icmp has no ports")
		}
		h.ICMPType, h.ICMPCode = icmpEchoRequest, 0
	default:
		return f, invalid("protocol %d: want tcp (6), udp (17) or icmp (1)", q.Protocol)
	}

	// Source.
	switch {
	case q.Source.ENI != "":
		e, ok := x.ENI[q.Source.ENI]
		if !ok {
			return f, invalid("unknown source network interface %s", q.Source.ENI)
		}
		if e.Kind == netmodel.ENINAT {
			return f, invalid("source %s is a NAT gateway's interface", e.ID)
		}
		if len(e.PrivateIPs) == 0 {
			return f, invalid("source %s has no private IP", e.ID)
		}
		f.src = e
		h.Src = e.Primary()
		if q.Source.Addr.IsValid() {
			if !usableAddr(q.Source.Addr) {
				return f, invalid("source address %s is not an IPv4 unicast address", q.Source.Addr)
			}
			h.Src = q.Source.Addr
		}
	case q.Source.Addr.IsValid():
		if !usableAddr(q.Source.Addr) {
			return f, invalid("source address %s is not an IPv4 unicast address", q.Source.Addr)
		}
		if e, ok := a.public[q.Source.Addr]; ok {
			return f, invalid("source address %s is the public IP of %s: use the interface", q.Source.Addr, e.ID)
		}
		h.Src = q.Source.Addr
	default:
		return f, invalid("no source")
	}

	// Destination.
	d := q.Destination
	switch {
	case d.ENI != "":
		e, ok := x.ENI[d.ENI]
		if !ok {
			return f, invalid("unknown destination network interface %s", d.ENI)
		}
		if e == f.src {
			return f, invalid("source and destination are the same interface %s", e.ID)
		}
		f.dst = e
		switch {
		case d.Addr.IsValid():
			if !slices.Contains(e.PrivateIPs, d.Addr) && d.Addr != e.PublicIP {
				return f, invalid("%s is not an address of %s", d.Addr, e.ID)
			}
			h.Dst = d.Addr
		case f.src == nil && e.PublicIP.IsValid():
			h.Dst = e.PublicIP
		default:
			h.Dst = e.Primary()
			if !h.Dst.IsValid() {
				return f, invalid("destination %s has no private IP", e.ID)
			}
		}
	case d.Addr.IsValid():
		if !usableAddr(d.Addr) {
			return f, invalid("destination address %s is not an IPv4 unicast address", d.Addr)
		}
		h.Dst = d.Addr
		if f.src != nil {
			if slices.Contains(f.src.PrivateIPs, d.Addr) || d.Addr == f.src.PublicIP {
				return f, invalid("destination %s is an address of the source %s", d.Addr, f.src.ID)
			}
			vpc, ok := x.VPC[f.src.VPC]
			if !ok {
				return f, fmt.Errorf("%w: %s: VPC %s not in model", ErrInvalidModel, f.src.ID, f.src.VPC)
			}
			if slices.ContainsFunc(vpc.CIDRs, func(p netip.Prefix) bool { return p.Contains(d.Addr) }) {
				f.dst = a.private[vpc.ID][d.Addr] // nil: nothing holds it
				break
			}
		}
		if e, ok := a.public[d.Addr]; ok {
			f.dst = e
			break
		}
		if f.src == nil {
			return f, invalid("from the internet, the destination must be an interface or its public IP, not %s", d.Addr)
		}
		f.dstInternet = true
	default:
		return f, invalid("no destination")
	}
	if f.dst != nil && f.dst.Kind == netmodel.ENINAT {
		return f, invalid("destination %s is a NAT gateway's address: NAT gateways accept no connections", q.Destination)
	}
	f.first = h

	// Flows that cannot start.
	switch {
	case f.src != nil && f.dst != nil && f.src.VPC != f.dst.VPC && slices.Contains(f.dst.PrivateIPs, h.Dst):
		f.blocked = &Explanation{
			Code: CodeDisconnectedVPCs, Component: Component{KindVPC, f.dst.VPC},
			Header: h, SourceVPC: f.src.VPC, DestinationVPC: f.dst.VPC,
		}
	case f.src == nil && f.dst != nil && h.Dst != f.dst.PublicIP:
		if g := a.igw[f.dst.VPC]; g != nil {
			f.blocked = &Explanation{
				Code: CodeIGWPrivateIPAssociationForIngress, Component: Component{KindInternetGateway, g.ID},
				Direction: Ingress, NetworkInterface: f.dst.ID, Header: h,
			}
		} else {
			f.blocked = &Explanation{Code: CodeNoPath, Component: Component{KindVPC, f.dst.VPC}, Direction: Ingress, Header: h}
		}
	}
	return f, nil
}
