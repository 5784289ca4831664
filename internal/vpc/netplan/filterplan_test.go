package netplan

import (
	"fmt"
	"net/netip"
	"testing"

	"pgregory.net/rapid"

	"github.com/nimbuscloud/nimbus/internal/vpc/netmodel"
)

// Property: a compiled NACL entry matches exactly the packets its model
// entry matches by netmodel's matcher (protocol, then the destination
// port or ICMP type<<8|code in XLo..XHi), and entries that match nothing
// are left out.
func TestCompiledNACLMatchesEntries(t *testing.T) {
	protos := []int{netmodel.All, netmodel.TCP, netmodel.UDP, netmodel.ICMP, 47}
	rapid.Check(t, func(t *rapid.T) {
		var entries []netmodel.NACLEntry
		for i := range rapid.IntRange(1, 4).Draw(t, "n") {
			entries = append(entries, netmodel.NACLEntry{
				Number:   i + 1,
				Protocol: rapid.SampledFrom(protos).Draw(t, fmt.Sprint("proto", i)),
				FromPort: rapid.IntRange(-1, 5).Draw(t, "from"),
				ToPort:   rapid.IntRange(-1, 5).Draw(t, "to"),
				ICMPType: rapid.IntRange(-1, 5).Draw(t, "type"),
				ICMPCode: rapid.IntRange(-1, 5).Draw(t, "code"),
				CIDR:     netip.MustParsePrefix("0.0.0.0/0"),
			})
		}
		compiled := naclEntries(&netmodel.NACL{Ingress: entries}, false)
		byNumber := map[int]NACLRule{}
		for _, r := range compiled {
			byNumber[r.Number] = r
		}
		for _, e := range entries {
			r, ok := byNumber[e.Number]
			for _, proto := range []int{1, 6, 17, 47} {
				for port := range 7 {
					for _, code := range []int{0, 3} {
						want := e.Matches(proto, port, code)
						k := uint16(netmodel.MatchKey(proto, port, code))
						got := ok && (r.Proto == netmodel.All || (r.Proto == proto && r.XLo <= k && k <= r.XHi))
						if got != want {
							t.Fatalf("entry %+v compiled to %+v (present %v): packet proto %d port/type %d code %d: matcher %v, compiled %v",
								e, r, ok, proto, port, code, want, got)
						}
					}
				}
			}
		}
	})
}
