package netplane

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"

	"github.com/nimbuscloud/nimbus/internal/vpc/netplan"
)

// Config says which host a Plane wires.
type Config struct {
	// Host is the host's ID; Prefix is the namespace name prefix the
	// planner used (default "nb"). Together they make the ownership mark.
	Host   string
	Prefix string
	// HostNetns is the host's namespace (netplan.Config.HostNetns), never
	// the root namespace; InternetNetns the internet segment's, if any.
	HostNetns     string
	InternetNetns string
	Logger        *slog.Logger
}

// Plane makes one host's data plane match its planned state.
type Plane struct {
	host, prefix, owner  string
	hostNetns, inetNetns string
	log                  *slog.Logger

	mu      sync.Mutex
	changes []string
}

// New returns the Plane of a host.
func New(cfg Config) *Plane {
	if cfg.Prefix == "" {
		cfg.Prefix = netplan.DefaultPrefix
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Plane{
		host: cfg.Host, prefix: cfg.Prefix,
		owner:     netplan.OwnerMark(cfg.Prefix, cfg.Host),
		hostNetns: cfg.HostNetns, inetNetns: cfg.InternetNetns,
		log: log.With("component", "netplane", "host", cfg.Host),
	}
}

// Changes lists what the last Apply or Teardown changed, one line per
// kernel object (empty when the host already matched).
func (p *Plane) Changes() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return slices.Clone(p.changes)
}

// changed records a change.
func (p *Plane) changed(where, format string, args ...any) {
	line := where + ": " + fmt.Sprintf(format, args...)
	p.changes = append(p.changes, line)
	p.log.Debug("changed", "what", line)
}

// Apply makes the host match hs: it creates what is missing, fixes what
// drifted and deletes what nimbus created for this host that hs no longer
// has. Applying the same state twice changes nothing the second time.
func (p *Plane) Apply(ctx context.Context, hs *netplan.HostState) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.changes = nil
	if hs.Host != p.host || hs.Owner != p.owner || hs.HostNetns != p.hostNetns {
		return fmt.Errorf("netplane: state of host %q (owner %q, namespace %q) given to the plane of %q", hs.Host, hs.Owner, hs.HostNetns, p.host)
	}
	if hs.Internet != nil && hs.Internet.Netns != p.inetNetns {
		return fmt.Errorf("netplane: internet segment %q is not the plane's (%q)", hs.Internet.Netns, p.inetNetns)
	}
	host, err := openNS(hs.HostNetns)
	if err != nil {
		return err
	}
	defer host.close()

	// 1. The internet segment, which uplinks plug into.
	var inet *ns
	if hs.Internet != nil {
		if inet, err = p.applyInternet(hs); err != nil {
			return err
		}
		defer inet.close()
	}
	// 2. Namespaces nimbus creates for guests (veth peers go into them).
	guests := map[string]*ns{}
	defer func() {
		for _, g := range guests {
			g.close()
		}
	}()
	for _, g := range hs.Guests {
		if err := ctx.Err(); err != nil {
			return err
		}
		n, err := p.openGuest(g)
		if err != nil {
			return err
		}
		guests[g.ENI] = n
	}
	// 3. Routers: links, addresses, routing, filter.
	for i := range hs.Routers {
		if err := ctx.Err(); err != nil {
			return err
		}
		if err := p.applyRouter(ctx, hs, &hs.Routers[i], host, inet, guests); err != nil {
			return fmt.Errorf("router %s: %w", hs.Routers[i].VPC, err)
		}
	}
	// 4. Guest ends: addresses, default route, NAT.
	for _, g := range hs.Guests {
		if err := ctx.Err(); err != nil {
			return err
		}
		if err := p.applyGuest(g, guests[g.ENI]); err != nil {
			return fmt.Errorf("guest %s: %w", g.ENI, err)
		}
	}
	// 5. The internet segment's routes to this host's public addresses.
	if inet != nil {
		if err := p.applyInternetRoutes(hs, inet); err != nil {
			return err
		}
	}
	// 6. Whatever nimbus created for this host that is no longer wanted.
	return p.collect(hs, host)
}

// collect deletes this host's namespaces, uplinks and leftover links that
// hs does not have.
func (p *Plane) collect(hs *netplan.HostState, host *ns) error {
	want := map[string]bool{}
	for _, r := range hs.Routers {
		want[r.Netns] = true
	}
	for _, g := range hs.Guests {
		if g.Owned {
			want[g.Netns] = true
		}
	}
	// The wanted ones were opened (and their marks checked) already.
	errs := []error{p.deleteNamespaces(want), p.deleteStrayVXLANs(host)}
	if hs.Internet == nil {
		errs = append(errs, p.collectUplinks())
	}
	return errors.Join(errs...)
}

// Teardown removes everything nimbus created for this host: its
// namespaces (with their links; veth peers in other namespaces go with
// them) and links left in the host and internet namespaces.
func (p *Plane) Teardown(ctx context.Context) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.changes = nil
	if err := ctx.Err(); err != nil {
		return err
	}
	errs := []error{p.collectUplinks(), p.deleteNamespaces(nil)}
	if p.hostNetns != "" {
		// A host namespace that cannot be opened has no strays; one that
		// is the root namespace is a mistake the caller should know of.
		host, err := openNS(p.hostNetns)
		switch {
		case err == nil:
			errs = append(errs, p.deleteStrayVXLANs(host))
			host.close()
		case errors.Is(err, errRootNS):
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// deleteNamespaces deletes the namespaces nimbus created for this host,
// except those in keep.
func (p *Plane) deleteNamespaces(keep map[string]bool) error {
	names, err := ownedNamespaces(p.prefix+"-", p.owner, keep)
	if err != nil {
		return err
	}
	var errs []error
	for _, name := range names {
		if err := deleteNS(name, p.owner); err != nil {
			errs = append(errs, err)
			continue
		}
		p.changed(name, "delete namespace")
	}
	return errors.Join(errs...)
}

// deleteStrayVXLANs deletes VXLAN devices of this host left in the host
// namespace (created there and not yet moved into their router).
func (p *Plane) deleteStrayVXLANs(host *ns) error {
	links, err := host.nl.LinkList()
	if err != nil {
		return err
	}
	for _, l := range links {
		if strings.HasPrefix(l.Attrs().Name, netplan.VXLANPrefix) && l.Attrs().Alias == p.owner {
			if err := host.nl.LinkDel(l); err != nil {
				return err
			}
			p.changed(host.name, "delete stray %s", l.Attrs().Name)
		}
	}
	return nil
}
