package netmodel

import "testing"

// The matching rules of match.go, case by case.
func TestRuleMatches(t *testing.T) {
	type pkt struct{ proto, portOrType, code int }
	for _, tc := range []struct {
		name      string
		proto     int
		from, to  int
		match, no []pkt
	}{
		{"all matches everything", All, -1, -1,
			[]pkt{{TCP, 0, 0}, {UDP, 65535, 0}, {ICMP, 8, 0}, {47, 0, 0}}, nil},
		{"all ignores ports", All, 80, 80, []pkt{{TCP, 22, 0}, {ICMP, 3, 4}}, nil},
		{"tcp range", TCP, 1000, 2000,
			[]pkt{{TCP, 1000, 0}, {TCP, 2000, 0}}, []pkt{{TCP, 999, 0}, {TCP, 2001, 0}, {UDP, 1500, 0}}},
		{"udp single port", UDP, 53, 53, []pkt{{UDP, 53, 0}}, []pkt{{UDP, 54, 0}, {TCP, 53, 0}}},
		{"tcp every port", TCP, 0, 65535, []pkt{{TCP, 0, 0}, {TCP, 65535, 0}}, nil},
		{"tcp -1/-1 is no port", TCP, -1, -1, nil, []pkt{{TCP, 0, 0}, {TCP, 80, 0}, {TCP, 65535, 0}}},
		{"tcp -1/5 is 0-5", TCP, -1, 5, []pkt{{TCP, 0, 0}, {TCP, 5, 0}}, []pkt{{TCP, 6, 0}}},
		{"tcp 5/-1 is empty", TCP, 5, -1, nil, []pkt{{TCP, 5, 0}, {TCP, 65535, 0}}},
		{"tcp reversed range", TCP, 90, 80, nil, []pkt{{TCP, 85, 0}}},
		{"icmp any type, any code", ICMP, -1, -1, []pkt{{ICMP, 8, 0}, {ICMP, 3, 4}, {ICMP, 255, 255}}, []pkt{{TCP, 8, 0}}},
		{"icmp type -1 ignores the code", ICMP, -1, 3, []pkt{{ICMP, 8, 0}, {ICMP, 3, 3}}, nil},
		{"icmp type, any code", ICMP, 8, -1, []pkt{{ICMP, 8, 0}, {ICMP, 8, 9}}, []pkt{{ICMP, 0, 0}, {ICMP, 9, 8}}},
		{"icmp type and code", ICMP, 3, 4, []pkt{{ICMP, 3, 4}}, []pkt{{ICMP, 3, 1}, {ICMP, 4, 4}}},
		{"icmp type out of range", ICMP, 300, -1, nil, []pkt{{ICMP, 44, 0}, {ICMP, 300, 0}}},
		{"icmp code out of range", ICMP, 8, 256, nil, []pkt{{ICMP, 8, 0}, {ICMP, 9, 0}}},
		{"other protocols have no ports", 47, 5, 6, []pkt{{47, 0, 0}, {47, 80, 0}}, []pkt{{TCP, 5, 0}}},
		{"protocol out of range", 300, -1, -1, nil, []pkt{{TCP, 80, 0}, {44, 0, 0}}},
	} {
		r := SGRule{Protocol: tc.proto, FromPort: tc.from, ToPort: tc.to}
		e := NACLEntry{Protocol: tc.proto, FromPort: tc.from, ToPort: tc.to, ICMPType: -1, ICMPCode: -1}
		if tc.proto == ICMP {
			e.FromPort, e.ToPort, e.ICMPType, e.ICMPCode = 0, 0, tc.from, tc.to
		}
		check := func(p pkt, want bool) {
			t.Helper()
			if got := r.Matches(p.proto, p.portOrType, p.code); got != want {
				t.Errorf("%s: rule %+v matches %+v = %v, want %v", tc.name, r, p, got, want)
			}
			if got := e.Matches(p.proto, p.portOrType, p.code); got != want {
				t.Errorf("%s: entry %+v matches %+v = %v, want %v", tc.name, e, p, got, want)
			}
		}
		for _, p := range tc.match {
			check(p, true)
		}
		for _, p := range tc.no {
			check(p, false)
		}
	}
}

// Match is the range form the planner compiles: keys are ports, or ICMP
// type<<8|code.
func TestMatchRanges(t *testing.T) {
	for _, tc := range []struct {
		r    SGRule
		want Match
	}{
		{SGRule{Protocol: All, FromPort: 80, ToPort: 80}, Match{All, 0, MaxKey}},
		{SGRule{Protocol: TCP, FromPort: 80, ToPort: 90}, Match{TCP, 80, 90}},
		{SGRule{Protocol: UDP, FromPort: -1, ToPort: 70000}, Match{UDP, 0, MaxKey}},
		{SGRule{Protocol: ICMP, FromPort: 8, ToPort: -1}, Match{ICMP, 0x800, 0x8ff}},
		{SGRule{Protocol: ICMP, FromPort: 3, ToPort: 4}, Match{ICMP, 0x304, 0x304}},
		{SGRule{Protocol: ICMP, FromPort: -1, ToPort: 4}, Match{ICMP, 0, MaxKey}},
		{SGRule{Protocol: 47, FromPort: 1, ToPort: 2}, Match{47, 0, MaxKey}},
	} {
		if got := tc.r.Match(); got != tc.want {
			t.Errorf("%+v: Match() = %+v, want %+v", tc.r, got, tc.want)
		}
	}
	for _, r := range []SGRule{
		{Protocol: TCP, FromPort: -1, ToPort: -1},
		{Protocol: ICMP, FromPort: 256, ToPort: -1},
		{Protocol: -2},
	} {
		if !r.Match().Empty() {
			t.Errorf("%+v: Match() = %+v, want empty", r, r.Match())
		}
	}
}
