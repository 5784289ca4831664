package netplane

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"

	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netns"
	"golang.org/x/sys/unix"
)

// netnsDir is where named namespaces are bind-mounted (as by iproute2).
const netnsDir = "/run/netns"

// errNotOurs is returned when a name nimbus wants is taken by something
// nimbus did not create.
var errNotOurs = errors.New("netplane: exists and is not nimbus's")

// errRootNS is returned for a namespace that is the machine's own.
var errRootNS = errors.New("netplane: refusing the root network namespace")

// ns is an open network namespace with a netlink handle inside it.
type ns struct {
	name string
	fd   netns.NsHandle
	nl   *netlink.Handle
}

func (n *ns) close() {
	if n == nil {
		return
	}
	if n.nl != nil {
		n.nl.Close()
	}
	n.fd.Close()
}

// openNS opens a namespace by name (under /run/netns) or absolute path,
// refusing the root namespace (see isRootNS). Every namespace netplane
// works in is opened here.
func openNS(name string) (*ns, error) {
	var (
		fd  netns.NsHandle
		err error
	)
	if strings.HasPrefix(name, "/") {
		fd, err = netns.GetFromPath(name)
	} else {
		fd, err = netns.GetFromName(name)
	}
	if err != nil {
		return nil, fmt.Errorf("netplane: open namespace %s: %w", name, err)
	}
	root, err := isRootNS(fd)
	switch {
	case err != nil:
		err = fmt.Errorf("netplane: namespace %s: is it the root namespace? %w", name, err)
	case root:
		err = fmt.Errorf("%w: %s", errRootNS, name)
	}
	if err != nil {
		fd.Close()
		return nil, err
	}
	h, err := netlink.NewHandleAt(fd, unix.NETLINK_ROUTE)
	if err != nil {
		fd.Close()
		return nil, fmt.Errorf("netplane: netlink in %s: %w", name, err)
	}
	return &ns{name: name, fd: fd, nl: h}, nil
}

// inNS runs fn on a thread that has entered the namespace (fd not open:
// the thread's own namespace, for fn that unshares). The thread returns
// to its namespace before it is unlocked; if it cannot, it stays locked
// and the runtime retires it with its goroutine, so no other goroutine
// ever runs in a namespace it did not ask for.
func inNS(fd netns.NsHandle, fn func() error) error {
	errc := make(chan error, 1)
	go func() {
		runtime.LockOSThread()
		orig, err := netns.Get()
		if err != nil {
			errc <- fmt.Errorf("netplane: current namespace: %w", err)
			return
		}
		defer orig.Close()
		if fd.IsOpen() {
			if err := netns.Set(fd); err != nil {
				errc <- fmt.Errorf("netplane: setns: %w", err)
				return
			}
		}
		err = fn()
		if netns.Set(orig) == nil {
			runtime.UnlockOSThread()
		}
		errc <- err
	}()
	return <-errc
}

// createNS creates the named namespace, marks it as owned by owner (the
// alias of its loopback device) and brings lo up. An existing namespace
// with the name is reused if it carries the mark, refused otherwise.
func createNS(name, owner string) (n *ns, created bool, err error) {
	if _, err := os.Stat(filepath.Join(netnsDir, name)); err == nil {
		n, err := openNS(name)
		if err != nil {
			return nil, false, err
		}
		if mark, err := nsOwner(n); err != nil || mark != owner {
			n.close()
			return nil, false, fmt.Errorf("namespace %s (owner %q): %w", name, mark, errNotOurs)
		}
		return n, false, nil
	}
	if err := os.MkdirAll(netnsDir, 0o755); err != nil {
		return nil, false, err
	}
	err = inNS(netns.None(), func() error {
		h, err := netns.NewNamed(name)
		if err != nil {
			return err
		}
		return h.Close()
	})
	if err != nil {
		return nil, false, fmt.Errorf("netplane: create namespace %s: %w", name, err)
	}
	n, err = openNS(name)
	if err != nil {
		return nil, false, err
	}
	lo, err := n.nl.LinkByName("lo")
	if err == nil {
		err = n.nl.LinkSetAlias(lo, owner)
	}
	if err == nil {
		err = n.nl.LinkSetUp(lo)
	}
	if err != nil {
		n.close()
		_ = netns.DeleteNamed(name)
		return nil, false, fmt.Errorf("netplane: mark namespace %s: %w", name, err)
	}
	return n, true, nil
}

// nsOwner reads a namespace's ownership mark.
func nsOwner(n *ns) (string, error) {
	lo, err := n.nl.LinkByName("lo")
	if err != nil {
		return "", err
	}
	return lo.Attrs().Alias, nil
}

// ownedNamespaces lists the named namespaces whose name starts with
// prefix and whose mark is owner, except those in skip (known already).
func ownedNamespaces(prefix, owner string, skip map[string]bool) ([]string, error) {
	entries, err := os.ReadDir(netnsDir)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var out []string
	for _, e := range entries {
		if !strings.HasPrefix(e.Name(), prefix) || skip[e.Name()] {
			continue
		}
		n, err := openNS(e.Name())
		if err != nil {
			continue // being deleted, or not a namespace
		}
		mark, err := nsOwner(n)
		n.close()
		if err == nil && mark == owner {
			out = append(out, e.Name())
		}
	}
	return out, nil
}

// deleteNS deletes a namespace nimbus owns. Links with peers elsewhere
// (veth pairs) are deleted first, so the peers are gone when deleteNS
// returns rather than whenever the kernel gets round to the namespace.
func deleteNS(name, owner string) error {
	n, err := openNS(name)
	if err != nil {
		return err
	}
	mark, err := nsOwner(n)
	if err != nil || mark != owner {
		n.close()
		return fmt.Errorf("namespace %s (owner %q): %w", name, mark, errNotOurs)
	}
	links, err := n.nl.LinkList()
	if err == nil {
		for _, l := range links {
			if l.Type() == "veth" || l.Type() == "vxlan" {
				_ = n.nl.LinkDel(l)
			}
		}
	}
	n.close()
	if err := netns.DeleteNamed(name); err != nil {
		return fmt.Errorf("netplane: delete namespace %s: %w", name, err)
	}
	return nil
}

// isRootNS reports whether the namespace is the machine's own: the one
// this process started in, or PID 1's (when it is readable).
func isRootNS(fd netns.NsHandle) (bool, error) {
	for _, path := range []string{"/proc/self/ns/net", "/proc/1/ns/net"} {
		h, err := netns.GetFromPath(path)
		if err != nil {
			if path == "/proc/self/ns/net" {
				return false, err
			}
			continue
		}
		same := h.Equal(fd)
		h.Close()
		if same {
			return true, nil
		}
	}
	return false, nil
}
