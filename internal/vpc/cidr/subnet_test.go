package cidr

import (
	"errors"
	"net/netip"
	"slices"
	"testing"

	"pgregory.net/rapid"
)

func addr(s string) netip.Addr { return netip.MustParseAddr(s) }

// usedSet is the used predicate of a set of addresses.
func usedSet(addrs ...string) func(netip.Addr) bool {
	set := map[netip.Addr]bool{}
	for _, a := range addrs {
		set[addr(a)] = true
	}
	return func(a netip.Addr) bool { return set[a] }
}

func TestCheckSubnet(t *testing.T) {
	vpc := pfxs("10.0.0.0/16", "10.1.0.0/24")
	others := pfxs("10.0.1.0/24", "10.0.64.0/18")
	tests := []struct {
		name   string
		blocks []netip.Prefix
		subnet string
		code   string
	}{
		{"inside primary", vpc, "10.0.2.0/24", ""},
		{"inside secondary", vpc, "10.1.0.0/28", ""},
		{"whole secondary", vpc, "10.1.0.0/24", ""},
		{"adjacent to another", vpc, "10.0.0.0/24", ""},
		{"too big", pfxs("10.0.0.0/16", "10.1.0.0/16"), "10.0.0.0/15", CodeInvalidSubnetRange},
		{"too small", vpc, "10.0.2.0/29", CodeInvalidSubnetRange},
		{"a /32", vpc, "10.0.2.5/32", CodeInvalidSubnetRange},
		{"outside the VPC", vpc, "10.8.0.0/24", CodeInvalidSubnetRange},
		{"larger than its block", vpc, "10.1.0.0/23", CodeInvalidSubnetRange},
		{"straddles two blocks", pfxs("10.0.0.0/25", "10.0.0.128/25"), "10.0.0.0/24", CodeInvalidSubnetRange},
		{"no VPC blocks", nil, "10.0.2.0/24", CodeInvalidSubnetRange},
		{"same as another", vpc, "10.0.1.0/24", CodeInvalidSubnetConflict},
		{"inside another", vpc, "10.0.1.16/28", CodeInvalidSubnetConflict},
		{"contains another", vpc, "10.0.0.0/23", CodeInvalidSubnetConflict},
		{"overlaps a big one", vpc, "10.0.100.0/24", CodeInvalidSubnetConflict},
		{"ipv6", vpc, "2001:db8::/64", CodeInvalidParameterValue},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			checkCode(t, CheckSubnet(tt.blocks, others, pfx(tt.subnet)), tt.code)
		})
	}
	checkCode(t, CheckSubnet(vpc[:1], nil, pfx("10.0.0.0/16")), "") // the whole block, no other subnet
	e := checkCode(t, CheckSubnet(vpc, others, pfx("10.0.1.0/24")), CodeInvalidSubnetConflict)
	if want := "The CIDR '10.0.1.0/24' conflicts with another subnet"; e.Message != want {
		t.Fatalf("message %q, want %q", e.Message, want)
	}
	e = checkCode(t, CheckSubnet(vpc, others, pfx("10.8.0.0/24")), CodeInvalidSubnetRange)
	if want := "The CIDR '10.8.0.0/24' is invalid."; e.Message != want {
		t.Fatalf("message %q, want %q", e.Message, want)
	}
}

func TestReserved(t *testing.T) {
	tests := []struct {
		subnet string
		want   []string
	}{
		{"10.0.0.0/24", []string{"10.0.0.0", "10.0.0.1", "10.0.0.2", "10.0.0.3", "10.0.0.255"}},
		{"10.0.1.16/28", []string{"10.0.1.16", "10.0.1.17", "10.0.1.18", "10.0.1.19", "10.0.1.31"}},
		{"172.31.0.0/16", []string{"172.31.0.0", "172.31.0.1", "172.31.0.2", "172.31.0.3", "172.31.255.255"}},
		{"10.0.0.4/30", []string{"10.0.0.4", "10.0.0.5", "10.0.0.6", "10.0.0.7"}},
		{"10.0.0.9/32", []string{"10.0.0.9"}},
	}
	for _, tt := range tests {
		var got []string
		for _, a := range Reserved(pfx(tt.subnet)) {
			got = append(got, a.String())
			if !IsReserved(pfx(tt.subnet), a) {
				t.Errorf("IsReserved(%s, %s) = false", tt.subnet, a)
			}
		}
		if !slices.Equal(got, tt.want) {
			t.Errorf("Reserved(%s) = %v, want %v", tt.subnet, got, tt.want)
		}
	}
	if Reserved(pfx("2001:db8::/64")) != nil {
		t.Error("Reserved of an IPv6 prefix is not nil")
	}
	for _, a := range []string{"10.0.0.4", "10.0.0.254", "10.0.1.0", "2001:db8::1"} {
		if IsReserved(pfx("10.0.0.0/24"), addr(a)) {
			t.Errorf("IsReserved(10.0.0.0/24, %s) = true", a)
		}
	}
}

func TestUsableAndAvailable(t *testing.T) {
	tests := []struct {
		subnet string
		usable int
	}{
		{"10.0.0.0/16", 65531},
		{"10.0.0.0/24", 251},
		{"10.0.0.0/27", 27},
		{"10.0.0.0/28", 11},
		{"10.0.0.0/29", 3},
		{"10.0.0.0/30", 0},
		{"10.0.0.0/32", 0},
		{"2001:db8::/64", 0},
	}
	for _, tt := range tests {
		if got := Usable(pfx(tt.subnet)); got != tt.usable {
			t.Errorf("Usable(%s) = %d, want %d", tt.subnet, got, tt.usable)
		}
	}
	if got := Available(pfx("10.0.0.0/24"), 0); got != 251 {
		t.Errorf("Available(/24, 0) = %d, want 251", got)
	}
	if got := Available(pfx("10.0.0.0/24"), 10); got != 241 {
		t.Errorf("Available(/24, 10) = %d, want 241", got)
	}
	if got := Available(pfx("10.0.0.0/28"), 12); got != 0 {
		t.Errorf("Available(/28, 12) = %d, want 0", got)
	}
}

func TestCheckPrivateIP(t *testing.T) {
	subnet := pfx("10.0.1.0/24")
	used := usedSet("10.0.1.10", "10.0.1.254")
	tests := []struct {
		addr string
		code string
		msg  string
	}{
		{"10.0.1.4", "", ""},
		{"10.0.1.11", "", ""},
		{"10.0.1.253", "", ""},
		{"10.0.2.4", CodeInvalidParameterValue, "Address 10.0.2.4 does not fall within the subnet's address range"},
		{"10.0.0.255", CodeInvalidParameterValue, "Address 10.0.0.255 does not fall within the subnet's address range"},
		{"2001:db8::4", CodeInvalidParameterValue, "Address 2001:db8::4 does not fall within the subnet's address range"},
		{"::ffff:10.0.1.4", CodeInvalidParameterValue, "Address ::ffff:10.0.1.4 does not fall within the subnet's address range"},
		{"10.0.1.0", CodeInvalidParameterValue, "Address 10.0.1.0 is in subnet's reserved address range"},
		{"10.0.1.1", CodeInvalidParameterValue, "Address 10.0.1.1 is in subnet's reserved address range"},
		{"10.0.1.2", CodeInvalidParameterValue, "Address 10.0.1.2 is in subnet's reserved address range"},
		{"10.0.1.3", CodeInvalidParameterValue, "Address 10.0.1.3 is in subnet's reserved address range"},
		{"10.0.1.255", CodeInvalidParameterValue, "Address 10.0.1.255 is in subnet's reserved address range"},
		{"10.0.1.10", CodeInvalidIPAddressInUse, "Address 10.0.1.10 is in use."},
		{"10.0.1.254", CodeInvalidIPAddressInUse, "Address 10.0.1.254 is in use."},
	}
	for _, tt := range tests {
		t.Run(tt.addr, func(t *testing.T) {
			e := checkCode(t, CheckPrivateIP(subnet, addr(tt.addr), used), tt.code)
			if e != nil && e.Message != tt.msg {
				t.Fatalf("message %q, want %q", e.Message, tt.msg)
			}
		})
	}
	checkCode(t, CheckPrivateIP(subnet, addr("10.0.1.10"), nil), "")
	checkCode(t, CheckPrivateIP(subnet, netip.Addr{}, nil), CodeInvalidParameterValue)
}

func TestNext(t *testing.T) {
	subnet := pfx("10.0.1.16/28") // usable .20 to .30
	all := func(from, to int) []string {
		var out []string
		for i := from; i <= to; i++ {
			out = append(out, netip.AddrFrom4([4]byte{10, 0, 1, byte(i)}).String())
		}
		return out
	}
	tests := []struct {
		name string
		hint string // "" is the zero Addr
		used []string
		want string // "" means InsufficientFreeAddressesInSubnet
	}{
		{"no hint", "", nil, "10.0.1.20"},
		{"hint is the first usable", "10.0.1.20", nil, "10.0.1.20"},
		{"hint in the middle", "10.0.1.25", nil, "10.0.1.25"},
		{"hint is the last usable", "10.0.1.30", nil, "10.0.1.30"},
		{"hint is the network address", "10.0.1.16", nil, "10.0.1.20"},
		{"hint is the router", "10.0.1.17", nil, "10.0.1.20"},
		{"hint is broadcast: wraps", "10.0.1.31", nil, "10.0.1.20"},
		{"hint outside the subnet", "10.0.2.25", nil, "10.0.1.20"},
		{"hint is ipv6", "2001:db8::25", nil, "10.0.1.20"},
		{"skips used", "10.0.1.25", []string{"10.0.1.25", "10.0.1.26"}, "10.0.1.27"},
		{"wraps past the end", "10.0.1.29", []string{"10.0.1.29", "10.0.1.30"}, "10.0.1.20"},
		{"wraps and skips", "10.0.1.29", []string{"10.0.1.29", "10.0.1.30", "10.0.1.20", "10.0.1.21"}, "10.0.1.22"},
		{"one left, before the hint", "10.0.1.28", append(all(20, 24), all(26, 30)...), "10.0.1.25"},
		{"full", "10.0.1.25", all(20, 30), ""},
		{"full, reserved used too", "", all(16, 31), ""},
		{"used reserved addresses change nothing", "", all(16, 19), "10.0.1.20"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var hint netip.Addr
			if tt.hint != "" {
				hint = addr(tt.hint)
			}
			got, err := Next("subnet-0abc", subnet, hint, usedSet(tt.used...))
			if tt.want == "" {
				e := checkCode(t, err, CodeInsufficientAddresses)
				want := "There are not enough free addresses in subnet 'subnet-0abc' to satisfy the requested number of instances."
				if e.Message != want {
					t.Fatalf("message %q, want %q", e.Message, want)
				}
				return
			}
			checkCode(t, err, "")
			if got.String() != tt.want {
				t.Fatalf("Next = %s, want %s", got, tt.want)
			}
		})
	}
	if got, err := Next("s", subnet, netip.Addr{}, nil); err != nil || got != addr("10.0.1.20") {
		t.Fatalf("Next with nil used = %v, %v", got, err)
	}
	checkCode(t, func() error { _, err := Next("s", pfx("10.0.0.0/30"), netip.Addr{}, nil); return err }(), CodeInsufficientAddresses)
	if _, err := Next("s", pfx("2001:db8::/64"), netip.Addr{}, nil); err == nil {
		t.Fatal("Next on an IPv6 prefix succeeded")
	} else if _, isClient := err.(*Error); isClient {
		t.Fatalf("Next on an IPv6 prefix: %v is a client error, want a plain one", err)
	}
}

// TestNextProperties: allocating over and over from a subnet, with random
// addresses already used and random hints, never hands out a reserved or a
// used address or the same one twice, always hands out the lowest free
// address at or after the hint (wrapping), and fails exactly when every
// usable address is taken.
func TestNextProperties(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		bits := rapid.IntRange(24, 30).Draw(t, "bits")
		base := rapid.Uint32().Draw(t, "base")
		subnet := netip.PrefixFrom(addrOf(base), bits).Masked()
		size := 1 << (32 - bits)
		first := u32(subnet.Addr())
		at := func(off int) netip.Addr { return addrOf(first + uint32(off)) }

		used := map[netip.Addr]bool{}
		usedUsable := 0
		for _, off := range rapid.SliceOfDistinct(rapid.IntRange(0, size-1), rapid.ID).Draw(t, "preused") {
			used[at(off)] = true
			if off >= 4 && off < size-1 {
				usedUsable++
			}
		}
		if got, want := Available(subnet, usedUsable), max(size-5, 0)-usedUsable; got != want {
			t.Fatalf("Available = %d, want %d", got, want)
		}

		handed := 0
		for {
			var hint netip.Addr
			switch rapid.IntRange(0, 3).Draw(t, "hintKind") {
			case 0: // none
			case 1: // anywhere in IPv4
				hint = addrOf(rapid.Uint32().Draw(t, "hint"))
			default: // inside the subnet, reserved addresses included
				hint = at(rapid.IntRange(0, size-1).Draw(t, "hintOffset"))
			}
			got, err := Next("subnet-1", subnet, hint, func(a netip.Addr) bool { return used[a] })
			want, free := modelNext(subnet, hint, used)
			if err != nil {
				var e *Error
				if !errors.As(err, &e) || e.Code != CodeInsufficientAddresses {
					t.Fatalf("Next: %v", err)
				}
				if free {
					t.Fatalf("Next failed with %s free", want)
				}
				if usedUsable != max(size-5, 0) {
					t.Fatalf("Next failed with %d of %d usable addresses used", usedUsable, max(size-5, 0))
				}
				break
			}
			if !free {
				t.Fatalf("Next = %s with every usable address used", got)
			}
			if off := int(u32(got) - first); !subnet.Contains(got) || off < 4 || off == size-1 || IsReserved(subnet, got) {
				t.Fatalf("Next = %s: outside %s or reserved", got, subnet)
			}
			if used[got] {
				t.Fatalf("Next = %s, which is used", got)
			}
			if got != want {
				t.Fatalf("Next(hint %s) = %s, want the lowest free at or after it, %s", hint, got, want)
			}
			if err := CheckPrivateIP(subnet, got, func(a netip.Addr) bool { return used[a] }); err != nil {
				t.Fatalf("CheckPrivateIP(%s) after Next: %v", got, err)
			}
			used[got] = true
			usedUsable++
			handed++
			if handed > size {
				t.Fatalf("handed out %d addresses from a subnet of %d", handed, size)
			}
		}
		if Available(subnet, usedUsable) != 0 {
			t.Fatalf("Available = %d after the subnet filled", Available(subnet, usedUsable))
		}
	})
}

// modelNext is Next written the slow way: walk the subnet from the hint
// (or its start), wrapping once, and take the first address that is
// neither reserved (one of the first four or the last) nor used.
func modelNext(subnet netip.Prefix, hint netip.Addr, used map[netip.Addr]bool) (netip.Addr, bool) {
	var all []netip.Addr
	for a := subnet.Addr(); a.IsValid() && subnet.Contains(a); a = a.Next() {
		all = append(all, a)
	}
	start := max(slices.Index(all, hint), 0)
	for i := range all {
		j := (start + i) % len(all)
		if reserved := j < 4 || j == len(all)-1; !reserved && !used[all[j]] {
			return all[j], true
		}
	}
	return netip.Addr{}, false
}
