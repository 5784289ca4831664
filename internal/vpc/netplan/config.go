package netplan

import (
	"errors"
	"fmt"
	"net/netip"
	"regexp"
)

// Config is what Plan needs besides the model: host-local facts the
// model does not hold.
type Config struct {
	// Prefix starts every namespace name nimbus creates (default "nb").
	Prefix string
	// HostNetns is the host's network namespace (required). It is created
	// and owned by whoever sets up the underlay, never by netplane.
	HostNetns string
	// MTU of ENIs, VXLAN devices and uplinks (default 1450: a 1500-byte
	// underlay minus VXLAN's 50 bytes).
	MTU int
	// VXLANPort is the UDP port of the overlay (default 4789).
	VXLANPort int
	// Internet configures the region's internet segment; without it no
	// router gets an uplink and routes to internet gateways drop.
	Internet InternetConfig
	// Attachments say where an ENI's guest end goes, by ENI ID. ENIs
	// without one (tests, NAT gateways) get a namespace nimbus creates.
	Attachments map[string]Attachment
}

// InternetConfig names the internet segment.
type InternetConfig struct {
	// Netns is the segment's namespace (e.g. "nb-inet").
	Netns string
	// Gateway is the bridge's address in the public pool, e.g.
	// 198.18.0.1/15: internet hosts on the bridge use it as their router.
	Gateway netip.Prefix
}

// Attachment is a caller-provided place for an ENI's guest end.
type Attachment struct {
	// Netns is the instance's namespace: a name under /run/netns or an
	// absolute path (e.g. /proc/<pid>/ns/net).
	Netns string
	// IfName inside Netns (default "eth0").
	IfName string
	// NoDefaultRoute leaves the instance's default route alone (for a
	// second ENI of an instance).
	NoDefaultRoute bool
}

// Defaults.
const (
	DefaultPrefix    = "nb"
	DefaultMTU       = 1450
	DefaultVXLANPort = 4789
	DefaultIfName    = "eth0"
)

var prefixRE = regexp.MustCompile(`^[a-z][a-z0-9]{0,11}$`)

func (c Config) withDefaults() (Config, error) {
	if c.Prefix == "" {
		c.Prefix = DefaultPrefix
	}
	if c.MTU == 0 {
		c.MTU = DefaultMTU
	}
	if c.VXLANPort == 0 {
		c.VXLANPort = DefaultVXLANPort
	}
	switch {
	case !prefixRE.MatchString(c.Prefix):
		return c, fmt.Errorf("netplan: prefix %q: want 1-12 of [a-z0-9], starting with a letter", c.Prefix)
	case c.HostNetns == "":
		return c, errors.New("netplan: no host namespace configured")
	case c.MTU < 576 || c.MTU > 65000:
		return c, fmt.Errorf("netplan: MTU %d out of range", c.MTU)
	case c.Internet.Netns != "" && (!c.Internet.Gateway.IsValid() || !c.Internet.Gateway.Addr().Is4()):
		return c, errors.New("netplan: internet segment needs an IPv4 gateway prefix")
	}
	return c, nil
}
