package netplan

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"net"
	"regexp"
	"strings"
)

// Every name is a function of IDs, so planning twice gives the same names
// and a re-plan after a change renames nothing else. Interface names only
// need to be unique inside their namespace (veth peers are created
// directly in their target namespace), except where noted.

// OwnerMark is the ownership mark of everything nimbus creates for host
// with namespace prefix prefix (HostState.Owner): the alias of the
// loopback device of its namespaces and of its links in shared ones.
func OwnerMark(prefix, host string) string { return "nimbus:" + prefix + ":" + host }

// InternetMark is the mark of the internet segment's namespace, shared by
// the hosts planned with prefix rather than owned by one of them.
func InternetMark(prefix string) string { return OwnerMark(prefix, "internet") }

// VXLANPrefix starts the name of every VXLAN device: the only links nimbus
// creates in the host namespace (for a moment, see VXLAN).
const VXLANPrefix = "nbvx"

// Fixed names inside namespaces nimbus owns.
const (
	FilterTable   = "nimbus"     // inet table in routers
	RxTable       = "nimbus-vx"  // netdev table on a router's VXLAN device
	NATTable      = "nimbus-nat" // inet table in a NAT gateway's namespace
	UplinkName    = "igw"        // router end of the uplink
	BridgeName    = "br0"        // the internet segment's bridge
	InternetChain = "sn-inet"    // NACL entry chain for packets from the uplink
)

// Link-local next hops of every uplink (never assigned as addresses, only
// used as on-link gateways with permanent neighbours, so every uplink can
// use the same pair).
var (
	uplinkRouterAddr = mustAddr("169.254.0.2")
	uplinkPeerAddr   = mustAddr("169.254.0.1")
)

// Policy routing: each mark looks up its table (marks are all distinct);
// a marked packet whose table threw it back falls through to main; one
// that main has no route for either is dropped silently, as a VPC router
// does, rather than answered with an ICMP error by the default rules.
const (
	rulePriority     = 1000
	ruleMainPriority = 1500
	ruleDropPriority = 2000
	tableBase        = 0x10000000 // tables (and marks) are tableBase + 24 bits
	tableMask        = 0xff000000
)

func hash(parts ...string) []byte {
	h := sha256.Sum256([]byte(strings.Join(parts, "\x00")))
	return h[:]
}

func hashHex(n int, parts ...string) string {
	return hex.EncodeToString(hash(parts...))[:n]
}

var tagRE = regexp.MustCompile(`^[a-z0-9]{1,12}$`)

// hostTag is a short form of the host ID without '-', so that
// "<prefix>-<tag>-" prefixes of different hosts never nest.
func hostTag(host string) string {
	if tagRE.MatchString(host) {
		return host
	}
	return "h" + hashHex(8, "host", host)
}

var idRE = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{0,47}$`)

// namespaceName is "<prefix>-<host tag>-<id>" (the ID hashed when it is
// not a short lower-case name).
func namespaceName(prefix, host, id string) string {
	if !idRE.MatchString(id) {
		id = "x" + hashHex(12, "id", id)
	}
	return prefix + "-" + hostTag(host) + "-" + id
}

// portName names an ENI's router end: "e" + 10 hex digits.
func portName(eni string) string { return "e" + hashHex(10, "port", eni) }

// vxlanName names a VPC's VXLAN device. It exists for a moment in the
// host namespace, so it is unique per VNI and starts with VXLANPrefix.
func vxlanName(vni uint32) string { return fmt.Sprintf("%s%06x", VXLANPrefix, vni) }

// uplinkPeerName names the internet end of a router's uplink; it is
// unique in the shared internet namespace.
func uplinkPeerName(host, vpc string) string { return "nbu" + hashHex(10, "uplink", host, vpc) }

// mac derives a locally administered unicast MAC: ee:xx:xx:xx:xx:xx.
func mac(parts ...string) string {
	h := hash(parts...)
	return fmt.Sprintf("ee:%02x:%02x:%02x:%02x:%02x", h[0], h[1], h[2], h[3], h[4])
}

// routerMAC is the MAC of the VXLAN device of a VPC's router on a host;
// remote hosts compute it to reach that router.
func routerMAC(host, vpc string) string { return mac("router", host, vpc) }

// chainName is prefix + 8 hex digits of the ID.
func chainName(prefix, id string) string { return prefix + hashHex(8, prefix, id) }

// tables assigns routing table numbers (also used as packet marks) to IDs:
// a hash of the ID, probing upwards on a collision in sorted-ID order, so
// numbers are stable unless a collision appears.
type tables struct {
	used map[uint32]bool
	byID map[string]uint32
}

func newTables() *tables { return &tables{used: map[uint32]bool{}, byID: map[string]uint32{}} }

// assign must be called in sorted ID order.
func (t *tables) assign(id string) uint32 {
	if n, ok := t.byID[id]; ok {
		return n
	}
	n := binary.BigEndian.Uint32(hash("table", id)) & 0xffffff
	for t.used[tableBase+n] {
		n = (n + 1) & 0xffffff
	}
	t.used[tableBase+n] = true
	t.byID[id] = tableBase + n
	return tableBase + n
}

// parseMAC returns a 6-byte MAC in canonical lower-case form.
func parseMAC(s string) (string, error) {
	hw, err := net.ParseMAC(s)
	if err != nil {
		return "", err
	}
	if len(hw) != 6 {
		return "", fmt.Errorf("MAC %q is not 6 bytes", s)
	}
	return hw.String(), nil
}
