package netmodel

// What a security group rule or a NACL entry matches besides its peer
// address. This is the one definition: the planner compiles it into the
// data plane, the reachability evaluator applies it to packets.
//
//   - Protocol All matches every packet, whatever its ports.
//   - TCP and UDP match destination ports FromPort..ToPort (inclusive). A
//     range that holds no port of 0-65535 (-1/-1 among them) matches
//     nothing.
//   - ICMP: type -1 matches any type and any code; otherwise the type must
//     be the packet's, and code -1 matches any code, else the code must be
//     the packet's. A type or code below -1 or above 255 matches nothing.
//   - Any other protocol (ICMPv6 included: this model's data plane is
//     IPv4) matches on the protocol alone.
//   - A protocol that is neither All nor 0-255 matches nothing.

// Match is that definition for one rule or entry, as a range: a packet
// matches when its protocol is Protocol (any, for All) and its key is in
// Lo..Hi. The key (MatchKey) is the destination port for TCP and UDP,
// type<<8|code for ICMP, and 0 for other protocols; it is 16 bits.
type Match struct {
	Protocol int
	// Lo..Hi, inclusive, within 0-0xffff; Lo > Hi matches nothing.
	Lo, Hi int
}

// MaxKey is the largest key: every key is in 0..MaxKey.
const MaxKey = 0xffff

// MatchKey is the key of a packet of protocol proto: its destination port
// for TCP and UDP (portOrType), type<<8|code for ICMP (portOrType is the
// type), 0 otherwise.
func MatchKey(proto, portOrType, code int) int {
	switch proto {
	case TCP, UDP:
		return portOrType
	case ICMP:
		return portOrType<<8 | code
	}
	return 0
}

func newMatch(proto, from, to int) Match {
	none := Match{Protocol: proto, Lo: 1, Hi: 0}
	all := Match{Protocol: proto, Lo: 0, Hi: MaxKey}
	switch {
	case proto == All:
		return all
	case proto < 0 || proto > 255:
		return none
	case proto == TCP || proto == UDP:
		lo, hi := max(from, 0), min(to, MaxKey)
		if lo > hi {
			return none
		}
		return Match{Protocol: proto, Lo: lo, Hi: hi}
	case proto == ICMP:
		typ, code := from, to
		switch {
		case typ == -1:
			return all
		case typ < 0 || typ > 255 || code < -1 || code > 255:
			return none
		case code == -1:
			return Match{Protocol: proto, Lo: typ << 8, Hi: typ<<8 | 0xff}
		}
		k := typ<<8 | code
		return Match{Protocol: proto, Lo: k, Hi: k}
	}
	return all
}

// Empty reports whether m matches no packet.
func (m Match) Empty() bool { return m.Lo > m.Hi }

// Matches reports whether a packet of protocol proto with destination port
// (TCP, UDP) or ICMP type portOrType, and ICMP code code, matches.
func (m Match) Matches(proto, portOrType, code int) bool {
	switch {
	case m.Protocol == All:
		return true
	case m.Protocol != proto:
		return false
	}
	k := MatchKey(proto, portOrType, code)
	return m.Lo <= k && k <= m.Hi
}

// Match is what the rule matches besides its peer.
func (r SGRule) Match() Match { return newMatch(r.Protocol, r.FromPort, r.ToPort) }

// Matches reports whether the rule matches a packet of protocol proto
// with destination port (TCP, UDP) or ICMP type portOrType and ICMP code
// code, its peer aside (see Match).
func (r SGRule) Matches(proto, portOrType, code int) bool {
	return r.Match().Matches(proto, portOrType, code)
}

// Match is what the entry matches besides its CIDR: ICMP entries use
// ICMPType and ICMPCode, TCP and UDP entries FromPort and ToPort.
func (e NACLEntry) Match() Match {
	if e.Protocol == ICMP {
		return newMatch(e.Protocol, e.ICMPType, e.ICMPCode)
	}
	return newMatch(e.Protocol, e.FromPort, e.ToPort)
}

// Matches reports whether the entry matches a packet, its CIDR aside
// (arguments as for SGRule.Matches).
func (e NACLEntry) Matches(proto, portOrType, code int) bool {
	return e.Match().Matches(proto, portOrType, code)
}
