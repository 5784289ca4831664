package vpc

import (
	"fmt"
	"net/netip"
	"strconv"
	"strings"
)

// maxRulesPerDirection is EC2's default rules-per-group quota (each CIDR or
// group peer of a permission is one rule).
const maxRulesPerDirection = 60

// Permission is one IpPermission of a request: a protocol and port range
// with peers, each peer becoming one rule.
type Permission struct {
	Protocol         string
	FromPort, ToPort *int
	IPv4             []Peer // CIDR
	IPv6             []Peer // CIDR
	Groups           []GroupPeer
	PrefixLists      []string
}

// Peer is a CIDR peer.
type Peer struct {
	CIDR, Description string
}

// GroupPeer is a security-group peer.
type GroupPeer struct {
	GroupID, GroupName, UserID, Description string
}

// normProtocol turns a request's protocol into EC2's stored form: tcp, udp,
// icmp, icmpv6, -1, or another protocol's number.
func normProtocol(p string) (string, error) {
	switch q := strings.ToLower(strings.TrimSpace(p)); q {
	case "tcp", "6":
		return "tcp", nil
	case "udp", "17":
		return "udp", nil
	case "icmp", "1":
		return "icmp", nil
	case "icmpv6", "58":
		return "icmpv6", nil
	case "-1", "all":
		return "-1", nil
	case "":
		return "", missingParam("ipProtocol")
	default:
		n, err := strconv.Atoi(q)
		if err != nil || n < 0 || n > 255 {
			return "", invalidParam("Invalid value '%s' for IP protocol. Unknown protocol.", p)
		}
		return q, nil
	}
}

// portRange validates a permission's ports for its protocol and returns
// what is stored (-1, -1 where ports do not apply).
func portRange(proto string, from, to *int) (int, int, error) {
	get := func(p *int) int {
		if p == nil {
			return -1
		}
		return *p
	}
	f, t := get(from), get(to)
	switch proto {
	case "tcp", "udp":
		if from == nil || to == nil {
			return 0, 0, invalidParam("Invalid value 'null' for port range: both fromPort and toPort are required for %s", strings.ToUpper(proto))
		}
		if f < 0 || t > 65535 || f > t {
			return 0, 0, invalidParam("Invalid TCP/UDP port range: %d to %d", f, t)
		}
		return f, t, nil
	case "icmp", "icmpv6":
		if f < -1 || f > 255 || t < -1 || t > 255 {
			return 0, 0, invalidParam("Invalid ICMP type/code: type %d, code %d", f, t)
		}
		if f == -1 && t != -1 {
			return 0, 0, invalidParam("Invalid ICMP code %d: a code needs a type", t)
		}
		return f, t, nil
	}
	return -1, -1, nil
}

// parseRuleCIDR validates a peer CIDR (canonical, of the right family).
func parseRuleCIDR(s string, v6 bool) (string, error) {
	p, err := netip.ParsePrefix(strings.TrimSpace(s))
	if err != nil || p.Addr().Is6() != v6 || p.Addr().Is4In6() || p.Masked() != p {
		return "", invalidParam("CIDR block %s is malformed", s)
	}
	return p.String(), nil
}

// sameRule reports whether two rules allow the same thing (IDs and
// descriptions aside).
func sameRule(a, b SGRule) bool {
	return a.Protocol == b.Protocol && a.FromPort == b.FromPort && a.ToPort == b.ToPort &&
		a.CIDRv4 == b.CIDRv4 && a.CIDRv6 == b.CIDRv6 && a.Group == b.Group
}

// describeRule is EC2's text for a rule in InvalidPermission errors.
func describeRule(r SGRule) string {
	peer := r.CIDRv4 + r.CIDRv6 + r.Group
	proto := strings.ToUpper(r.Protocol)
	if r.Protocol == "-1" {
		proto = "ALL"
	}
	return fmt.Sprintf("peer: %s, %s, from port: %d, to port: %d, ALLOW", peer, proto, r.FromPort, r.ToPort)
}
