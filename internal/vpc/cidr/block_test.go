package cidr

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strconv"
	"strings"
	"testing"
)

func pfx(s string) netip.Prefix { return netip.MustParsePrefix(s) }

func pfxs(ss ...string) []netip.Prefix {
	out := make([]netip.Prefix, len(ss))
	for i, s := range ss {
		out[i] = pfx(s)
	}
	return out
}

// checkCode fails t unless err is nil (code "") or an *Error with code.
func checkCode(t *testing.T, err error, code string) *Error {
	t.Helper()
	if code == "" {
		if err != nil {
			t.Fatalf("got %v, want no error", err)
		}
		return nil
	}
	var e *Error
	if !errors.As(err, &e) {
		t.Fatalf("got %v (%T), want *Error %s", err, err, code)
	}
	if e.Code != code {
		t.Fatalf("got code %s (%s), want %s", e.Code, e.Message, code)
	}
	return e
}

func TestParseBlock(t *testing.T) {
	tests := []struct {
		in   string
		want string // canonical prefix; "" means InvalidParameterValue
	}{
		{"10.0.0.0/16", "10.0.0.0/16"},
		{"192.168.0.0/28", "192.168.0.0/28"},
		{"0.0.0.0/0", "0.0.0.0/0"}, // parses; the size checks refuse it
		{"1.2.3.4/32", "1.2.3.4/32"},
		// EC2 puts a block in canonical form (VPC user guide).
		{"100.68.0.18/18", "100.68.0.0/18"},
		{"10.0.0.1/16", "10.0.0.0/16"},
		{"10.0.1.0/16", "10.0.0.0/16"},
		{"", ""},
		{"10.0.0.0", ""},
		{"10.0.0.0/", ""},
		{"/16", ""},
		{"garbage", ""},
		{"10.0.0.0/33", ""},
		{"10.0.0.0/-1", ""},
		{"10.0.0.0/016", ""},
		{"10.0.0.0/+16", ""},
		{"010.0.0.0/16", ""},
		{"10.0.0/16", ""},
		{"10.0.0.256/24", ""},
		{" 10.0.0.0/16", ""},
		{"10.0.0.0/16 ", ""},
		{"10.0.0.0/16\n", ""},
		{"10.0.0.0%eth0/16", ""},
		{"2001:db8::/56", ""},
		{"::ffff:10.0.0.0/112", ""},
		{"::/0", ""},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := ParseBlock(tt.in)
			if tt.want == "" {
				e := checkCode(t, err, CodeInvalidParameterValue)
				want := "Value (" + tt.in + ") for parameter cidrBlock is invalid. This is not a valid CIDR block."
				if e.Message != want {
					t.Fatalf("message %q, want %q", e.Message, want)
				}
				return
			}
			checkCode(t, err, "")
			if got.String() != tt.want {
				t.Fatalf("ParseBlock(%q) = %s, want %s", tt.in, got, tt.want)
			}
		})
	}
}

func TestOverlaps(t *testing.T) {
	tests := []struct {
		a, b string
		want bool
	}{
		{"10.0.0.0/16", "10.0.0.0/16", true},
		{"10.0.0.0/16", "10.0.255.0/24", true},
		{"10.0.255.0/24", "10.0.0.0/16", true},
		{"10.0.0.0/16", "10.1.0.0/16", false},
		{"10.0.0.0/25", "10.0.0.128/25", false},
		{"10.0.0.0/24", "10.0.0.255/32", true},
		{"10.0.0.0/8", "2001:db8::/32", false},
	}
	for _, tt := range tests {
		if got := Overlaps(pfx(tt.a), pfx(tt.b)); got != tt.want {
			t.Errorf("Overlaps(%s, %s) = %v, want %v", tt.a, tt.b, got, tt.want)
		}
	}
	if Overlaps(netip.Prefix{}, pfx("0.0.0.0/0")) {
		t.Error("the zero Prefix overlaps 0.0.0.0/0")
	}
}

func TestCheckVPCBlock(t *testing.T) {
	tests := []struct {
		block string
		code  string
	}{
		{"10.0.0.0/16", ""},
		{"10.0.0.0/28", ""},
		{"172.31.0.0/16", ""},
		{"192.168.0.0/20", ""},
		{"100.64.0.0/16", ""},
		{"198.19.0.0/16", ""},
		{"203.0.113.0/24", ""}, // publicly routable is allowed
		{"10.0.0.0/8", CodeInvalidVpcRange},
		{"10.0.0.0/15", CodeInvalidVpcRange},
		{"10.0.0.0/29", CodeInvalidVpcRange},
		{"10.0.0.0/32", CodeInvalidVpcRange},
		{"0.0.0.0/16", CodeInvalidVpcRange},
		{"127.0.0.0/16", CodeInvalidVpcRange},
		{"127.255.255.0/24", CodeInvalidVpcRange},
		{"169.254.0.0/16", CodeInvalidVpcRange},
		{"169.254.10.0/24", CodeInvalidVpcRange},
		{"224.0.0.0/16", CodeInvalidVpcRange},
		{"239.255.255.240/28", CodeInvalidVpcRange},
		{"2001:db8::/56", CodeInvalidParameterValue},
	}
	for _, tt := range tests {
		t.Run(tt.block, func(t *testing.T) {
			checkCode(t, CheckVPCBlock(pfx(tt.block)), tt.code)
		})
	}
	e := checkCode(t, CheckVPCBlock(pfx("10.0.0.0/8")), CodeInvalidVpcRange)
	if want := "The CIDR '10.0.0.0/8' is invalid."; e.Message != want {
		t.Fatalf("message %q, want %q", e.Message, want)
	}
	checkCode(t, CheckVPCBlock(netip.Prefix{}), CodeInvalidParameterValue)
}

func TestCheckSecondaryBlockRules(t *testing.T) {
	primary10 := pfxs("10.2.0.0/16")
	tests := []struct {
		name  string
		vpc   VPC
		block string
		code  string
	}{
		{"ok", VPC{Blocks: primary10}, "10.3.0.0/16", ""},
		{"smallest", VPC{Blocks: primary10}, "10.3.0.0/28", ""},
		{"too big", VPC{Blocks: primary10}, "10.4.0.0/15", CodeInvalidVpcRange},
		{"too small", VPC{Blocks: primary10}, "10.3.0.0/29", CodeInvalidVpcRange},
		{"loopback", VPC{Blocks: primary10}, "127.0.0.0/16", CodeInvalidVpcRange},
		{"this network", VPC{Blocks: primary10}, "0.1.0.0/16", CodeInvalidVpcRange},
		{"link-local row", VPC{Blocks: primary10}, "169.254.0.0/16", CodeInvalidVpcRange},
		{"multicast", VPC{Blocks: primary10}, "230.0.0.0/16", CodeInvalidVpcRange},
		{"same as primary", VPC{Blocks: primary10}, "10.2.0.0/16", CodeInvalidVpcRange},
		{"inside primary", VPC{Blocks: primary10}, "10.2.3.0/24", CodeInvalidVpcRange},
		{"inside secondary", VPC{Blocks: pfxs("10.2.0.0/16", "10.5.0.0/20")}, "10.5.1.0/24", CodeInvalidVpcRange},
		{"quota 5 reached", VPC{Blocks: pfxs("10.2.0.0/16", "10.3.0.0/16", "10.4.0.0/16", "10.5.0.0/16", "10.6.0.0/16")}, "10.7.0.0/16", CodeCidrLimitExceeded},
		{"quota 5 not reached", VPC{Blocks: pfxs("10.2.0.0/16", "10.3.0.0/16", "10.4.0.0/16", "10.5.0.0/16")}, "10.7.0.0/16", ""},
		{"raised quota", VPC{Quota: 6, Blocks: pfxs("10.2.0.0/16", "10.3.0.0/16", "10.4.0.0/16", "10.5.0.0/16", "10.6.0.0/16")}, "10.7.0.0/16", ""},
		{"lowered quota", VPC{Quota: 1, Blocks: primary10}, "10.7.0.0/16", CodeCidrLimitExceeded},
		{"ipv6", VPC{Blocks: primary10}, "2001:db8::/56", CodeInvalidParameterValue},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			checkCode(t, CheckSecondaryBlock(tt.vpc, pfx(tt.block)), tt.code)
		})
	}
}

func TestCheckSecondaryBlockMessages(t *testing.T) {
	tests := []struct {
		vpc   VPC
		block string
		code  string
		want  string
	}{
		{VPC{Blocks: pfxs("192.168.0.0/16")}, "10.0.0.0/16", CodeInvalidVpcRange,
			"The CIDR '10.0.0.0/16' is restricted. Use a CIDR from the same private address range as the current VPC CIDR, " +
				"or use a publicly-routable CIDR. For additional restrictions, see https://docs.aws.amazon.com/vpc/latest/userguide/vpc-cidr-blocks.html"},
		{VPC{ID: "vpc-1a2b3c4d", Blocks: pfxs("10.0.0.0/24", "10.1.0.0/24", "10.2.0.0/24", "10.3.0.0/24", "10.4.0.0/24")}, "10.5.0.0/24",
			CodeCidrLimitExceeded, "This network 'vpc-1a2b3c4d' has met its maximum number of allowed CIDRs: 5"},
		// Host bits are cleared before anything is said about a block.
		{VPC{Blocks: pfxs("10.0.0.0/16")}, "10.1.0.0/8", CodeInvalidVpcRange, "The CIDR '10.0.0.0/8' is invalid."},
	}
	for _, tt := range tests {
		e := checkCode(t, CheckSecondaryBlock(tt.vpc, pfx(tt.block)), tt.code)
		if e.Message != tt.want {
			t.Errorf("CheckSecondaryBlock(%v, %s): message %q, want %q", tt.vpc.Blocks, tt.block, e.Message, tt.want)
		}
	}
}

// TestRestrictionTable walks the table "IPv4 CIDR block association
// restrictions" of the VPC user guide, one case per entry of both columns.
func TestRestrictionTable(t *testing.T) {
	const ok, restricted = "", CodeInvalidVpcRange
	tests := []struct {
		row     string
		primary string
		add     string
		code    string
	}{
		// 10.0.0.0/8
		{"10/8: other RFC 1918 172.16.0.0/12", "10.2.0.0/16", "172.16.0.0/16", restricted},
		{"10/8: other RFC 1918 172.31.255.240/28", "10.2.0.0/16", "172.31.255.240/28", restricted},
		{"10/8: other RFC 1918 192.168.0.0/16", "10.2.0.0/16", "192.168.0.0/16", restricted},
		{"10/8: 198.19.0.0/16", "10.2.0.0/16", "198.19.0.0/16", restricted},
		{"10/8: 198.19.255.0/24", "10.2.0.0/16", "198.19.255.0/24", restricted},
		{"10/8: primary in 10.0.0.0/15, add 10.0.0.0/16 range", "10.1.0.0/16", "10.0.0.0/16", restricted},
		{"10/8: primary in 10.0.0.0/15, add inside 10.0.0.0/16", "10.1.0.0/16", "10.0.128.0/24", restricted},
		{"10/8: primary 10.0.0.0/24, add 10.0.1.0/24", "10.0.0.0/24", "10.0.1.0/24", restricted},
		{"10/8: primary in 10.0.0.0/15, 10.1/16 range still fine", "10.0.0.0/16", "10.1.0.0/16", ok},
		{"10/8: primary outside 10.0.0.0/15, add 10.0.0.0/16", "10.2.0.0/16", "10.0.0.0/16", ok},
		{"10/8: other 10/8 block", "10.2.0.0/16", "10.200.0.0/16", ok},
		{"10/8: 100.64.0.0/10", "10.2.0.0/16", "100.64.0.0/16", ok},
		{"10/8: 100.127.255.240/28", "10.2.0.0/16", "100.127.255.240/28", ok},
		{"10/8: publicly routable", "10.2.0.0/16", "203.0.113.0/24", ok},
		{"10/8: 198.18.0.0/16 is not 198.19", "10.2.0.0/16", "198.18.0.0/16", ok},
		// 172.16.0.0/12
		{"172.16/12: other RFC 1918 10.0.0.0/8", "172.20.0.0/16", "10.0.0.0/16", restricted},
		{"172.16/12: other RFC 1918 192.168.0.0/16", "172.20.0.0/16", "192.168.10.0/24", restricted},
		{"172.16/12: 172.31.0.0/16", "172.20.0.0/16", "172.31.0.0/16", restricted},
		{"172.16/12: inside 172.31.0.0/16", "172.20.0.0/16", "172.31.16.0/20", restricted},
		{"172.16/12: 198.19.0.0/16", "172.20.0.0/16", "198.19.0.0/16", restricted},
		{"172.16/12: other 172.16/12 block", "172.20.0.0/16", "172.30.0.0/16", ok},
		{"172.16/12: 172.16.0.0/16", "172.20.0.0/16", "172.16.0.0/16", ok},
		{"172.16/12: 100.64.0.0/10", "172.20.0.0/16", "100.100.0.0/16", ok},
		{"172.16/12: publicly routable", "172.20.0.0/16", "8.8.0.0/16", ok},
		// 192.168.0.0/16
		{"192.168/16: other RFC 1918 10.0.0.0/8", "192.168.0.0/20", "10.0.0.0/16", restricted},
		{"192.168/16: other RFC 1918 172.16.0.0/12", "192.168.0.0/20", "172.31.0.0/16", restricted},
		{"192.168/16: 198.19.0.0/16", "192.168.0.0/20", "198.19.0.0/20", restricted},
		{"192.168/16: other 192.168/16 block", "192.168.0.0/20", "192.168.128.0/20", ok},
		{"192.168/16: 100.64.0.0/10", "192.168.0.0/20", "100.64.0.0/16", ok},
		{"192.168/16: publicly routable", "192.168.0.0/20", "1.0.0.0/16", ok},
		// 198.19.0.0/16
		{"198.19/16: RFC 1918 10.0.0.0/8", "198.19.0.0/24", "10.0.0.0/16", restricted},
		{"198.19/16: RFC 1918 172.16.0.0/12", "198.19.0.0/24", "172.16.0.0/16", restricted},
		{"198.19/16: RFC 1918 192.168.0.0/16", "198.19.0.0/24", "192.168.0.0/16", restricted},
		{"198.19/16: 100.64.0.0/10", "198.19.0.0/24", "100.64.0.0/16", ok},
		{"198.19/16: publicly routable", "198.19.0.0/24", "203.0.113.0/24", ok},
		{"198.19/16: more of 198.19/16 is not restricted", "198.19.0.0/24", "198.19.1.0/24", ok},
		// Publicly routable, or 100.64.0.0/10
		{"public: RFC 1918 10.0.0.0/8", "203.0.113.0/24", "10.0.0.0/16", restricted},
		{"public: RFC 1918 172.16.0.0/12", "203.0.113.0/24", "172.16.0.0/16", restricted},
		{"public: RFC 1918 192.168.0.0/16", "203.0.113.0/24", "192.168.0.0/16", restricted},
		{"public: 198.19.0.0/16", "203.0.113.0/24", "198.19.0.0/16", restricted},
		{"public: other publicly routable", "203.0.113.0/24", "198.51.100.0/24", ok},
		{"public: 100.64.0.0/10", "203.0.113.0/24", "100.64.0.0/16", ok},
		{"100.64/10: RFC 1918 10.0.0.0/8", "100.64.0.0/16", "10.0.0.0/16", restricted},
		{"100.64/10: RFC 1918 172.16.0.0/12", "100.64.0.0/16", "172.16.0.0/16", restricted},
		{"100.64/10: RFC 1918 192.168.0.0/16", "100.64.0.0/16", "192.168.0.0/16", restricted},
		{"100.64/10: 198.19.0.0/16", "100.64.0.0/16", "198.19.0.0/16", restricted},
		{"100.64/10: other 100.64/10 block", "100.64.0.0/16", "100.65.0.0/16", ok},
		{"100.64/10: publicly routable", "100.64.0.0/16", "203.0.113.0/24", ok},
		{"198.18/16 primary is publicly routable: RFC 1918", "198.18.0.0/16", "10.0.0.0/16", restricted},
	}
	for _, tt := range tests {
		t.Run(tt.row, func(t *testing.T) {
			vpc := VPC{ID: "vpc-1", Blocks: pfxs(tt.primary)}
			if err := CheckVPCBlock(vpc.Blocks[0]); err != nil {
				t.Fatalf("primary %s: %v", tt.primary, err)
			}
			err := CheckSecondaryBlock(vpc, pfx(tt.add))
			checkCode(t, err, tt.code)
			if tt.code != "" && !strings.Contains(err.Error(), "is restricted") {
				t.Fatalf("got %v, want the restriction message", err)
			}
		})
	}
}

// TestRestrictionRowIsPrimary: the row is chosen by the primary block, and
// the 10.0.0.0/15 condition by any block.
func TestRestrictionRowIsPrimary(t *testing.T) {
	// A 10/8 VPC that took a 100.64/10 block may still add 10/8 blocks.
	checkCode(t, CheckSecondaryBlock(VPC{Blocks: pfxs("10.2.0.0/16", "100.64.0.0/16")}, pfx("10.3.0.0/16")), "")
	// A secondary block in 10.0.0.0/15 blocks the 10.0.0.0/16 range too.
	checkCode(t, CheckSecondaryBlock(VPC{Blocks: pfxs("10.2.0.0/16", "10.1.0.0/16")}, pfx("10.0.0.0/16")), CodeInvalidVpcRange)
	// A public VPC never takes RFC 1918, whatever else it has.
	checkCode(t, CheckSecondaryBlock(VPC{Blocks: pfxs("203.0.113.0/24", "100.64.0.0/16")}, pfx("10.0.0.0/16")), CodeInvalidVpcRange)
}

// FuzzParseBlock: ParseBlock never panics, and anything it accepts is a
// canonical IPv4 prefix equal to the input with its host bits cleared, as
// computed here by hand and by the older net.ParseCIDR.
func FuzzParseBlock(f *testing.F) {
	for _, s := range []string{
		"10.0.0.0/16", "10.0.0.1/16", "100.68.0.18/18", "0.0.0.0/0", "255.255.255.255/32",
		"10.0.0.0", "10.0.0.0/33", "10.0.0.0/016", "010.0.0.0/16", "2001:db8::/56",
		"::ffff:10.0.0.0/112", "10.0.0.0%x/8", "", "/", "1.2.3.4/", " 1.2.3.4/8",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		p, err := ParseBlock(s)
		if err != nil {
			var e *Error
			if !errors.As(err, &e) || e.Code != CodeInvalidParameterValue {
				t.Fatalf("ParseBlock(%q): %v, want InvalidParameterValue", s, err)
			}
			if p.IsValid() {
				t.Fatalf("ParseBlock(%q) returned %s with an error", s, p)
			}
			return
		}
		if !p.IsValid() || !p.Addr().Is4() || p.Masked() != p {
			t.Fatalf("ParseBlock(%q) = %s: not a canonical IPv4 prefix", s, p)
		}
		want, ok := normalize(s)
		if !ok {
			t.Fatalf("ParseBlock(%q) accepted what is not a.b.c.d/n", s)
		}
		if p.String() != want {
			t.Fatalf("ParseBlock(%q) = %s, want %s", s, p, want)
		}
		if _, n, err := net.ParseCIDR(s); err != nil || n.String() != want {
			t.Fatalf("net.ParseCIDR(%q) = %v, %v; ParseBlock says %s", s, n, err, want)
		}
		if again, err := ParseBlock(p.String()); err != nil || again != p {
			t.Fatalf("ParseBlock(%s) = %v, %v: not a fixed point", p, again, err)
		}
	})
}

// normalize parses "a.b.c.d/n" with decimal fields by hand and clears the
// host bits; ok is false for anything else.
func normalize(s string) (string, bool) {
	addr, bitsText, found := strings.Cut(s, "/")
	if !found {
		return "", false
	}
	bits, err := strconv.Atoi(bitsText)
	if err != nil || bits < 0 || bits > 32 || strconv.Itoa(bits) != bitsText {
		return "", false
	}
	fields := strings.Split(addr, ".")
	if len(fields) != 4 {
		return "", false
	}
	var v uint32
	for _, field := range fields {
		n, err := strconv.Atoi(field)
		if err != nil || n < 0 || n > 255 || strconv.Itoa(n) != field {
			return "", false
		}
		v = v<<8 | uint32(n)
	}
	if bits < 32 {
		v &^= 1<<(32-bits) - 1
	}
	return fmt.Sprintf("%d.%d.%d.%d/%d", v>>24, v>>16&0xff, v>>8&0xff, v&0xff, bits), true
}
