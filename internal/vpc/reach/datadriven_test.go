package reach

import (
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/cockroachdb/datadriven"

	"github.com/nimbuscloud/nimbus/internal/vpc/netmodel"
)

// TestDataDriven runs testdata/*.txt. Directives:
//
//	topology
//	<statements, see parseTopology>
//	----
//	ok | error: <message>
//
//	add
//	<more statements, appended to the current topology>
//	----
//	ok | error: <message>
//
//	query from=<endpoint> to=<endpoint> proto=tcp|udp|icmp [port=<n>] [sport=<n>] [trace]
//	----
//	reachable | unreachable
//	  <explanation>...
//	[forward: / return: hop lists, with trace]
//
// An endpoint is eni-<id>, eni-<id>@<address> or an address. Run with
// -rewrite to regenerate expected output.
func TestDataDriven(t *testing.T) {
	files, err := filepath.Glob("testdata/*.txt")
	if err != nil || len(files) == 0 {
		t.Fatalf("no testdata: %v", err)
	}
	for _, path := range files {
		t.Run(filepath.Base(path), func(t *testing.T) {
			var text string
			var m *netmodel.Model
			datadriven.RunTest(t, path, func(t *testing.T, td *datadriven.TestData) string {
				switch td.Cmd {
				case "topology", "add":
					next := td.Input
					if td.Cmd == "add" {
						next = text + "\n" + td.Input
					}
					nm, err := parseTopology(next)
					if err != nil {
						return "error: " + err.Error() + "\n"
					}
					text, m = next, nm
					return "ok\n"
				case "query":
					if m == nil {
						t.Fatalf("%s: query before topology", td.Pos)
					}
					return runQuery(t, td, m)
				}
				t.Fatalf("%s: unknown directive %q", td.Pos, td.Cmd)
				return ""
			})
		})
	}
}

func runQuery(t *testing.T, td *datadriven.TestData, m *netmodel.Model) string {
	var from, to, proto string
	td.ScanArgs(t, "from", &from)
	td.ScanArgs(t, "to", &to)
	td.ScanArgs(t, "proto", &proto)
	var q Query
	var err error
	if q.Source, err = parseEndpoint(from); err != nil {
		t.Fatalf("%s: from: %v", td.Pos, err)
	}
	if q.Destination, err = parseEndpoint(to); err != nil {
		t.Fatalf("%s: to: %v", td.Pos, err)
	}
	if _, err := parseMatch([]string{proto, "0"}, &q.Protocol, new(int), new(int)); err != nil {
		t.Fatalf("%s: proto: %v", td.Pos, err)
	}
	td.MaybeScanArgs(t, "port", &q.DestinationPort)
	td.MaybeScanArgs(t, "sport", &q.SourcePort)

	before := cloneModel(m)
	r, err := Evaluate(m, q)
	if !reflect.DeepEqual(before, m) {
		t.Fatalf("%s: Evaluate changed the model", td.Pos)
	}
	if err != nil {
		return "error: " + err.Error() + "\n"
	}
	checkInvariants(t, r)
	out := r.String()
	if td.HasArg("trace") {
		out += r.Trace()
	}
	return out
}

// fatalf is what checkInvariants needs of *testing.T and *rapid.T.
type fatalf interface {
	Helper()
	Fatalf(format string, args ...any)
}

// checkInvariants holds for every Result.
func checkInvariants(t fatalf, r Result) {
	t.Helper()
	if r.Reachable != (len(r.Explanations) == 0) {
		t.Fatalf("Reachable=%v with %d explanations:\n%s%s", r.Reachable, len(r.Explanations), r, r.Trace())
	}
	sawReturn := false
	for _, h := range r.Hops {
		if sawReturn && !h.Return {
			t.Fatalf("forward hop after return hops:\n%s", r.Trace())
		}
		sawReturn = sawReturn || h.Return
	}
	for _, e := range r.Explanations {
		if strings.TrimSpace(string(e.Code)) == "" || e.Component.ID == "" {
			t.Fatalf("explanation without code or component: %+v", e)
		}
	}
}

// cloneModel deep-copies the slices Evaluate could write through.
func cloneModel(m *netmodel.Model) *netmodel.Model {
	c := *m
	c.VPCs = cloneEach(m.VPCs, func(v netmodel.VPC) netmodel.VPC {
		v.CIDRs = slices.Clone(v.CIDRs)
		return v
	})
	c.Subnets = slices.Clone(m.Subnets)
	c.ENIs = cloneEach(m.ENIs, func(e netmodel.ENI) netmodel.ENI {
		e.PrivateIPs = slices.Clone(e.PrivateIPs)
		e.Groups = slices.Clone(e.Groups)
		return e
	})
	c.SecurityGroups = cloneEach(m.SecurityGroups, func(g netmodel.SecurityGroup) netmodel.SecurityGroup {
		g.Ingress = slices.Clone(g.Ingress)
		g.Egress = slices.Clone(g.Egress)
		return g
	})
	c.NACLs = cloneEach(m.NACLs, func(a netmodel.NACL) netmodel.NACL {
		a.Ingress = slices.Clone(a.Ingress)
		a.Egress = slices.Clone(a.Egress)
		return a
	})
	c.RouteTables = cloneEach(m.RouteTables, func(r netmodel.RouteTable) netmodel.RouteTable {
		r.Routes = slices.Clone(r.Routes)
		return r
	})
	c.InternetGateways = slices.Clone(m.InternetGateways)
	c.NATGateways = slices.Clone(m.NATGateways)
	c.Hosts = slices.Clone(m.Hosts)
	return &c
}

func cloneEach[T any](s []T, f func(T) T) []T {
	if s == nil {
		return nil
	}
	out := make([]T, len(s))
	for i, v := range s {
		out[i] = f(v)
	}
	return out
}
