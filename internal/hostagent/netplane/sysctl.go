package netplane

import (
	"bytes"
	"fmt"
	"os"
	"strings"
)

// sysctl is one setting: a path under /proc/sys/net with dots, e.g.
// "ipv4.conf.all.rp_filter".
type sysctl struct {
	key, value string
}

// Settings of namespaces nimbus owns, set before any link is created so
// that new links inherit the defaults.
var (
	// Routers forward, never send redirects (a router end can receive and
	// send on the same port), never filter by reverse path (marks select
	// routes), and carry no IPv6.
	routerSysctls = []sysctl{
		{"ipv4.ip_forward", "1"},
		{"ipv4.conf.all.rp_filter", "0"},
		{"ipv4.conf.default.rp_filter", "0"},
		{"ipv4.conf.all.send_redirects", "0"},
		{"ipv4.conf.default.send_redirects", "0"},
		{"ipv6.conf.all.disable_ipv6", "1"},
		{"ipv6.conf.default.disable_ipv6", "1"},
	}
	// Guests nimbus creates carry no IPv6; NAT gateways also forward.
	guestSysctls = []sysctl{
		{"ipv6.conf.all.disable_ipv6", "1"},
		{"ipv6.conf.default.disable_ipv6", "1"},
	}
	natSysctls = []sysctl{
		{"ipv4.ip_forward", "1"},
		{"ipv4.conf.all.rp_filter", "0"},
		{"ipv4.conf.default.rp_filter", "0"},
		{"ipv4.conf.all.send_redirects", "0"},
		{"ipv4.conf.default.send_redirects", "0"},
	}
	// The internet segment routes between its bridge and the uplinks as a
	// router does (it answers ARP on the bridge for public addresses
	// behind uplinks: portSysctls).
	internetSysctls = routerSysctls
)

// portSysctls are the per-link settings of a router's port (proxy ARP
// answers the guest for its router and its neighbours).
func portSysctls(dev string) []sysctl {
	return []sysctl{
		{"ipv4.conf." + dev + ".proxy_arp", "1"},
		{"ipv4.neigh." + dev + ".proxy_delay", "0"},
		{"ipv4.conf." + dev + ".rp_filter", "0"},
		{"ipv4.conf." + dev + ".send_redirects", "0"},
	}
}

// linkSysctls are the per-link settings of other routed links (a VXLAN
// device moved in from the host namespace keeps that namespace's values).
func linkSysctls(dev string) []sysctl {
	return []sysctl{
		{"ipv4.conf." + dev + ".rp_filter", "0"},
		{"ipv4.conf." + dev + ".send_redirects", "0"},
	}
}

// applySysctls sets the values that differ, in the namespace, and returns
// the keys it changed.
func applySysctls(n *ns, want []sysctl) (changed []string, err error) {
	if len(want) == 0 {
		return nil, nil
	}
	err = inNS(n.fd, func() error {
		for _, s := range want {
			path := "/proc/sys/net/" + strings.ReplaceAll(s.key, ".", "/")
			cur, err := os.ReadFile(path)
			if err != nil {
				return fmt.Errorf("netplane: sysctl %s in %s: %w", s.key, n.name, err)
			}
			if string(bytes.TrimSpace(cur)) == s.value {
				continue
			}
			if err := os.WriteFile(path, []byte(s.value), 0o644); err != nil {
				return fmt.Errorf("netplane: sysctl %s=%s in %s: %w", s.key, s.value, n.name, err)
			}
			changed = append(changed, s.key+"="+s.value)
		}
		return nil
	})
	return changed, err
}
