package vpc

import (
	"context"
	"errors"
	"path/filepath"
	"strconv"
	"sync"
	"testing"

	"github.com/nimbuscloud/nimbus/internal/caller"
	"github.com/nimbuscloud/nimbus/internal/store"
	"github.com/nimbuscloud/nimbus/internal/store/sqlite"
	"github.com/nimbuscloud/nimbus/internal/vpc/netmodel"
)

func netmodelIndex(m *netmodel.Model) *netmodel.Index { return netmodel.NewIndex(m) }

// allowAll authorizes everything and records the actions asked.
type allowAll struct {
	mu   sync.Mutex
	asks []string
}

func (a *allowAll) Authorize(_ context.Context, action, resource string, _ map[string][]string) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.asks = append(a.asks, action+" "+resource)
	return nil
}

const (
	acctA = "111111111111"
	acctB = "222222222222"
)

func newTestService(t *testing.T) *Service {
	t.Helper()
	ctx := context.Background()
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "meta.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	s := New(st, &allowAll{}, Options{Region: "us-east-1", AZs: []string{"us-east-1a", "us-east-1b", "us-east-1c"}})
	if err := s.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	return s
}

func as(acct string) context.Context {
	return caller.With(context.Background(), &caller.Caller{Principal: caller.Principal{Type: caller.Root, AccountID: acct, ARN: "arn:aws:iam::" + acct + ":root"}})
}

// code is the EC2 code of err ("" for nil, "?" for a non-client error).
func code(err error) string {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return "?" + err.Error()
}

func TestDefaultVPC(t *testing.T) {
	s := newTestService(t)
	vpcs, err := s.DescribeVpcs(as(acctA), nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(vpcs) != 1 || !vpcs[0].IsDefault || vpcs[0].CIDRs[0].Block != "172.31.0.0/16" || !vpcs[0].DNSHostnames {
		t.Fatalf("default VPC: %+v", vpcs)
	}
	subnets, err := s.DescribeSubnets(as(acctA), nil, []Filter{{Name: "default-for-az", Values: []string{"true"}}})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"us-east-1a": "172.31.0.0/20", "us-east-1b": "172.31.16.0/20", "us-east-1c": "172.31.32.0/20"}
	if len(subnets) != 3 {
		t.Fatalf("%d default subnets", len(subnets))
	}
	for _, sn := range subnets {
		if want[sn.AZ] != sn.CIDR || !sn.MapPublicIP || sn.Available != 4091 {
			t.Errorf("default subnet %+v", sn)
		}
	}
	// Made once per account, also when asked concurrently.
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s2 := New(s.st, s.authz, s.opt) // a fresh cache, as another server
			if _, err := s2.DescribeVpcs(as(acctB), nil, nil); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	vpcs, _ = s.DescribeVpcs(as(acctB), nil, nil)
	if len(vpcs) != 1 {
		t.Fatalf("account B has %d VPCs after concurrent first use", len(vpcs))
	}
}

func TestCreateVpcValidation(t *testing.T) {
	s := newTestService(t)
	ctx := as(acctA)
	for _, tc := range []struct {
		in   CreateVPCInput
		want string
	}{
		{CreateVPCInput{CIDR: "10.0.0.0/16"}, ""},
		{CreateVPCInput{CIDR: "10.0.0.0/8"}, "InvalidVpc.Range"},
		{CreateVPCInput{CIDR: "10.0.0.0/29"}, "InvalidVpc.Range"},
		{CreateVPCInput{CIDR: "nonsense"}, "InvalidParameterValue"},
		{CreateVPCInput{CIDR: ""}, "MissingParameter"},
		{CreateVPCInput{CIDR: "10.1.0.0/16", Tenancy: "dedicated"}, "InvalidParameterCombination"},
		{CreateVPCInput{CIDR: "10.1.0.0/16", Tags: map[string]string{"aws:x": "y"}}, "InvalidParameterValue"},
	} {
		_, err := s.CreateVpc(ctx, tc.in)
		if code(err) != tc.want {
			t.Errorf("%+v: got %q, want %q", tc.in, code(err), tc.want)
		}
	}
	// Overlapping CIDRs across VPCs are allowed; the quota (5, the default
	// VPC included) is not.
	for i := 0; i < 3; i++ {
		if _, err := s.CreateVpc(ctx, CreateVPCInput{CIDR: "10.0.0.0/16"}); err != nil {
			t.Fatalf("VPC %d: %v", i+3, err)
		}
	}
	if _, err := s.CreateVpc(ctx, CreateVPCInput{CIDR: "10.0.0.0/16"}); code(err) != "VpcLimitExceeded" {
		t.Fatalf("sixth VPC: %v", err)
	}
}

func TestVPCDefaultsAndDelete(t *testing.T) {
	s := newTestService(t)
	ctx := as(acctA)
	v, err := s.CreateVpc(ctx, CreateVPCInput{CIDR: "10.0.0.0/16", Tags: map[string]string{"Name": "main"}})
	if err != nil {
		t.Fatal(err)
	}
	got, err := s.DescribeVpcs(ctx, nil, []Filter{{Name: "tag:Name", Values: []string{"main"}}})
	if err != nil || len(got) != 1 || got[0].ID != v.ID || got[0].VNI == 0 || got[0].VNI >= 1<<24 {
		t.Fatalf("by tag: %+v %v", got, err)
	}
	sgs, err := s.DescribeSecurityGroups(ctx, nil, nil, []Filter{{Name: "vpc-id", Values: []string{v.ID}}})
	if err != nil || len(sgs) != 1 || sgs[0].Name != "default" || sgs[0].Ingress[0].Group != sgs[0].ID || sgs[0].Egress[0].CIDRv4 != "0.0.0.0/0" {
		t.Fatalf("default SG: %+v %v", sgs, err)
	}
	sn, err := s.CreateSubnet(ctx, CreateSubnetInput{VPC: v.ID, CIDR: "10.0.1.0/24", AZ: "us-east-1b"})
	if err != nil || sn.Available != 251 {
		t.Fatalf("subnet: %+v %v", sn, err)
	}
	for _, tc := range []struct {
		in   CreateSubnetInput
		want string
	}{
		{CreateSubnetInput{VPC: v.ID, CIDR: "10.0.1.128/25"}, "InvalidSubnet.Conflict"},
		{CreateSubnetInput{VPC: v.ID, CIDR: "10.1.0.0/24"}, "InvalidSubnet.Range"},
		{CreateSubnetInput{VPC: v.ID, CIDR: "10.0.2.0/24", AZ: "us-west-2a"}, "InvalidParameterValue"},
		{CreateSubnetInput{VPC: "vpc-0000000000000000a", CIDR: "10.0.2.0/24"}, "InvalidVpcID.NotFound"},
	} {
		if _, err := s.CreateSubnet(ctx, tc.in); code(err) != tc.want {
			t.Errorf("%+v: got %q, want %q", tc.in, code(err), tc.want)
		}
	}
	if err := s.DeleteVpc(ctx, v.ID); code(err) != "DependencyViolation" {
		t.Fatalf("delete with a subnet: %v", err)
	}
	if err := s.DeleteSubnet(ctx, sn.ID); err != nil {
		t.Fatal(err)
	}
	// Another account sees nothing of it.
	if err := s.DeleteVpc(as(acctB), v.ID); code(err) != "InvalidVpcID.NotFound" {
		t.Fatalf("other account: %v", err)
	}
	if err := s.DeleteVpc(ctx, v.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := s.DescribeVpcs(ctx, []string{v.ID}, nil); code(err) != "InvalidVpcID.NotFound" {
		t.Fatalf("deleted VPC described: %v", err)
	}
	tags, err := s.DescribeTags(ctx, []Filter{{Name: "resource-id", Values: []string{v.ID}}})
	if err != nil || len(tags) != 0 {
		t.Fatalf("tags outlive their VPC: %+v %v", tags, err)
	}
}

func TestSecurityGroupRules(t *testing.T) {
	s := newTestService(t)
	ctx := as(acctA)
	v, err := s.CreateVpc(ctx, CreateVPCInput{CIDR: "10.0.0.0/16"})
	if err != nil {
		t.Fatal(err)
	}
	web, err := s.CreateSecurityGroup(ctx, CreateSecurityGroupInput{Name: "web", Description: "web", VPC: v.ID})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.CreateSecurityGroup(ctx, CreateSecurityGroupInput{Name: "web", Description: "again", VPC: v.ID}); code(err) != "InvalidGroup.Duplicate" {
		t.Fatalf("duplicate name: %v", err)
	}
	p := func(proto string, from, to int, cidrs ...string) Permission {
		pm := Permission{Protocol: proto, FromPort: &from, ToPort: &to}
		for _, c := range cidrs {
			pm.IPv4 = append(pm.IPv4, Peer{CIDR: c})
		}
		return pm
	}
	rules, err := s.AuthorizeRules(ctx, RuleChange{GroupID: web.ID, Permissions: []Permission{p("tcp", 22, 22, "10.0.0.0/8", "192.168.0.0/16"), p("6", 80, 81, "0.0.0.0/0")}})
	if err != nil || len(rules) != 3 || rules[2].Protocol != "tcp" {
		t.Fatalf("authorize: %+v %v", rules, err)
	}
	for _, tc := range []struct {
		name string
		perm Permission
		want string
	}{
		{"duplicate", p("tcp", 22, 22, "10.0.0.0/8"), "InvalidPermission.Duplicate"},
		{"port order", p("tcp", 90, 80, "10.0.0.0/8"), "InvalidParameterValue"},
		{"port range", p("udp", 0, 70000, "10.0.0.0/8"), "InvalidParameterValue"},
		{"bad protocol", p("tcpx", 1, 1, "10.0.0.0/8"), "InvalidParameterValue"},
		{"host bits", p("tcp", 1, 1, "10.0.0.1/8"), "InvalidParameterValue"},
		{"icmp code without type", p("icmp", -1, 3, "10.0.0.0/8"), "InvalidParameterValue"},
		{"no peer", Permission{Protocol: "-1"}, "MissingParameter"},
		{"missing group", Permission{Protocol: "-1", Groups: []GroupPeer{{GroupID: "sg-00000000000000000"}}}, "InvalidGroup.NotFound"},
		{"other account's group", Permission{Protocol: "-1", Groups: []GroupPeer{{GroupID: v.DefaultSG, UserID: acctB}}}, "InvalidGroup.NotFound"},
	} {
		if _, err := s.AuthorizeRules(ctx, RuleChange{GroupID: web.ID, Permissions: []Permission{tc.perm}}); code(err) != tc.want {
			t.Errorf("%s: got %q, want %q", tc.name, code(err), tc.want)
		}
	}
	// Nothing of the failed requests was stored.
	all, err := s.DescribeSecurityGroupRules(ctx, nil, []Filter{{Name: "group-id", Values: []string{web.ID}}})
	if err != nil || len(all) != 4 { // 3 ingress + the default egress
		t.Fatalf("rules after refusals: %d %v", len(all), err)
	}
	// A group referenced by a rule cannot be deleted; the default group never.
	if _, err := s.AuthorizeRules(ctx, RuleChange{GroupID: v.DefaultSG, Permissions: []Permission{{Protocol: "tcp", FromPort: ptr(443), ToPort: ptr(443), Groups: []GroupPeer{{GroupID: web.ID}}}}}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.DeleteSecurityGroup(ctx, web.ID, ""); code(err) != "DependencyViolation" {
		t.Fatalf("delete referenced group: %v", err)
	}
	if _, err := s.DeleteSecurityGroup(ctx, v.DefaultSG, ""); code(err) != "CannotDelete" {
		t.Fatalf("delete default group: %v", err)
	}
	if _, err := s.RevokeRules(ctx, RuleChange{GroupID: v.DefaultSG, Permissions: []Permission{{Protocol: "tcp", FromPort: ptr(443), ToPort: ptr(443), Groups: []GroupPeer{{GroupID: web.ID}}}}}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.RevokeRules(ctx, RuleChange{GroupID: web.ID, Permissions: []Permission{p("tcp", 23, 23, "10.0.0.0/8")}}); code(err) != "InvalidPermission.NotFound" {
		t.Fatalf("revoke absent rule: %v", err)
	}
	if _, err := s.RevokeRules(ctx, RuleChange{GroupID: web.ID, RuleIDs: []string{rules[0].ID}}); err != nil {
		t.Fatal(err)
	}
	if err := s.ModifySecurityGroupRules(ctx, web.ID, []RuleUpdate{{RuleID: rules[1].ID, Permission: p("tcp", 2222, 2222, "192.168.0.0/16")}}); err != nil {
		t.Fatal(err)
	}
	got, _ := s.DescribeSecurityGroupRules(ctx, []string{rules[1].ID}, nil)
	if len(got) != 1 || got[0].FromPort != 2222 {
		t.Fatalf("modified rule: %+v", got)
	}
	// The rule limit counts each peer.
	var many []Peer
	for i := range maxRulesPerDirection {
		many = append(many, Peer{CIDR: "10." + strconv.Itoa(i) + ".0.0/16"})
	}
	if _, err := s.AuthorizeRules(ctx, RuleChange{GroupID: web.ID, Permissions: []Permission{{Protocol: "udp", FromPort: ptr(1), ToPort: ptr(1), IPv4: many}}}); code(err) != "RulesPerSecurityGroupLimitExceeded" {
		t.Fatalf("over the rule limit: %v", err)
	}
	if id, err := s.DeleteSecurityGroup(ctx, "", "web"); err == nil || id != "" {
		t.Fatalf("deleted a non-default-VPC group by name: %s %v", id, err) // names select default-VPC groups
	}
	if id, err := s.DeleteSecurityGroup(ctx, web.ID, ""); err != nil || id != web.ID {
		t.Fatalf("delete: %s %v", id, err)
	}
}

func ptr(i int) *int { return &i }

func TestTags(t *testing.T) {
	s := newTestService(t)
	ctx := as(acctA)
	v, err := s.CreateVpc(ctx, CreateVPCInput{CIDR: "10.0.0.0/16"})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.CreateTags(ctx, []string{v.ID, v.DefaultSG}, map[string]string{"env": "prod", "Name": "x"}); err != nil {
		t.Fatal(err)
	}
	if err := s.CreateTags(ctx, []string{"vpc-0000000000000000b"}, map[string]string{"a": "b"}); code(err) != "InvalidVpcID.NotFound" {
		t.Fatalf("tag a missing VPC: %v", err)
	}
	if err := s.CreateTags(as(acctB), []string{v.ID}, map[string]string{"a": "b"}); code(err) != "InvalidVpcID.NotFound" {
		t.Fatalf("tag another account's VPC: %v", err)
	}
	prod := "prod"
	if err := s.DeleteTags(ctx, []string{v.ID}, map[string]*string{"env": &prod, "Name": nil}); err != nil {
		t.Fatal(err)
	}
	tags, err := s.DescribeTags(ctx, nil)
	if err != nil || len(tags) != 2 || tags[0].ResourceID != v.DefaultSG {
		t.Fatalf("tags: %+v %v", tags, err)
	}
}

func TestModel(t *testing.T) {
	s := newTestService(t)
	ctx := as(acctA)
	v, err := s.CreateVpc(ctx, CreateVPCInput{CIDR: "10.0.0.0/16"})
	if err != nil {
		t.Fatal(err)
	}
	sn, err := s.CreateSubnet(ctx, CreateSubnetInput{VPC: v.ID, CIDR: "10.0.1.0/24"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.AuthorizeRules(ctx, RuleChange{GroupID: v.DefaultSG, Permissions: []Permission{{Protocol: "tcp", FromPort: ptr(22), ToPort: ptr(22), IPv4: []Peer{{CIDR: "0.0.0.0/0"}}}}}); err != nil {
		t.Fatal(err)
	}
	m, err := s.Model(ctx)
	if err != nil {
		t.Fatal(err)
	}
	x := netmodelIndex(m)
	if len(m.VPCs) != 2 { // the default VPC and v
		t.Fatalf("%d VPCs", len(m.VPCs))
	}
	msn := x.Subnet[sn.ID]
	if msn == nil || msn.RouteTable != v.MainRouteTable || msn.NACL != v.DefaultNACL || msn.Router().String() != "10.0.1.1" {
		t.Fatalf("subnet in the model: %+v", msn)
	}
	g := x.SecurityGroup[v.DefaultSG]
	if g == nil || len(g.Ingress) != 2 || g.Ingress[1].Protocol != 6 || g.Ingress[1].FromPort != 22 || g.Ingress[0].Group != v.DefaultSG {
		t.Fatalf("default SG in the model: %+v", g)
	}
	acl := x.NACL[v.DefaultNACL]
	if acl == nil || len(acl.Ingress) != 2 || acl.Ingress[0].Number != 100 || !acl.Ingress[0].Allow || acl.Ingress[1].Allow {
		t.Fatalf("default NACL in the model: %+v", acl)
	}
	rt := x.RouteTable[v.MainRouteTable]
	if rt == nil || len(rt.Routes) != 1 || rt.Routes[0].Kind != "local" || rt.Routes[0].Dest.String() != "10.0.0.0/16" {
		t.Fatalf("main route table in the model: %+v", rt)
	}
}

func TestDescribeRulesAuthorizesItsOwnAction(t *testing.T) {
	s := newTestService(t)
	rec := &allowAll{}
	s.authz = rec
	if _, err := s.DescribeSecurityGroupRules(as(acctA), nil, nil); err != nil {
		t.Fatal(err)
	}
	if len(rec.asks) != 1 || rec.asks[0] != "ec2:DescribeSecurityGroupRules *" {
		t.Fatalf("asked %q", rec.asks)
	}
}

// denyOnly authorizes everything but one action.
type denyOnly struct{ action string }

func (d denyOnly) Authorize(_ context.Context, action, _ string, _ map[string][]string) error {
	if action == d.action {
		return errors.New("denied " + action)
	}
	return nil
}

func TestDryRun(t *testing.T) {
	s := newTestService(t)
	dry := WithDryRun(as(acctA))
	// Under a dry run the account's default VPC is not made either.
	if _, err := s.CreateVpc(dry, CreateVPCInput{CIDR: "10.0.0.0/16"}); !errors.Is(err, ErrDryRun) {
		t.Fatalf("dry CreateVpc: %v", err)
	}
	var n int64
	if err := s.st.View(context.Background(), func(tx store.Tx) error {
		return tx.QueryRow(context.Background(), `SELECT COUNT(*) FROM vpc_objects`).Scan(&n)
	}); err != nil || n != 0 {
		t.Fatalf("a dry run stored %d objects (%v)", n, err)
	}
	// A dry run validates in full: bad input is its error, not DryRunOperation.
	if _, err := s.CreateVpc(dry, CreateVPCInput{CIDR: "garbage"}); code(err) != "InvalidParameterValue" {
		t.Fatalf("dry CreateVpc of garbage: %v", err)
	}
	v, err := s.CreateVpc(as(acctA), CreateVPCInput{CIDR: "10.0.0.0/16"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.CreateSubnet(dry, CreateSubnetInput{VPC: v.ID, CIDR: "10.1.0.0/24"}); code(err) != "InvalidSubnet.Range" {
		t.Fatalf("dry CreateSubnet outside the VPC: %v", err)
	}
	if err := s.CreateTags(dry, []string{"acl-0000000000000000c"}, map[string]string{"a": "b"}); code(err) != "InvalidNetworkAclID.NotFound" {
		t.Fatalf("dry CreateTags of a missing NACL: %v", err)
	}
	if err := s.DeleteVpc(dry, v.ID); !errors.Is(err, ErrDryRun) {
		t.Fatalf("dry DeleteVpc: %v", err)
	}
	if got, err := s.DescribeVpcs(as(acctA), []string{v.ID}, nil); err != nil || len(got) != 1 {
		t.Fatalf("the dry DeleteVpc deleted: %v", err)
	}
	// The mutating action itself is authorized.
	s.authz = denyOnly{"ec2:DeleteVpc"}
	if err := s.DeleteVpc(dry, v.ID); err == nil || errors.Is(err, ErrDryRun) {
		t.Fatalf("dry DeleteVpc without ec2:DeleteVpc: %v", err)
	}
}

func TestModifySubnetAttribute(t *testing.T) {
	s := newTestService(t)
	ctx := as(acctA)
	subnets, err := s.DescribeSubnets(ctx, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	id := subnets[0].ID
	off := false
	for _, tc := range []struct {
		name string
		in   SubnetAttrs
		want string
	}{
		{"map public IP", SubnetAttrs{MapPublicIP: &off}, ""},
		{"fixed value asked", SubnetAttrs{Fixed: map[string]bool{"EnableDns64": false}}, ""},
		{"fixed value changed", SubnetAttrs{Fixed: map[string]bool{"EnableDns64": true}}, "InvalidParameterValue"},
		{"hostname type", SubnetAttrs{HostnameType: "resource-name"}, "InvalidParameterValue"},
		{"nothing", SubnetAttrs{}, "MissingParameter"},
	} {
		if err := s.ModifySubnetAttribute(ctx, id, tc.in); code(err) != tc.want {
			t.Errorf("%s: got %q, want %q", tc.name, code(err), tc.want)
		}
	}
	got, _ := s.DescribeSubnets(ctx, []string{id}, nil)
	if got[0].MapPublicIP {
		t.Fatal("MapPublicIpOnLaunch not turned off")
	}
	// Even a request that changes nothing needs ec2:ModifySubnetAttribute.
	s.authz = denyOnly{"ec2:ModifySubnetAttribute"}
	if err := s.ModifySubnetAttribute(ctx, id, SubnetAttrs{Fixed: map[string]bool{"EnableDns64": false}}); err == nil {
		t.Fatal("modified without ec2:ModifySubnetAttribute")
	}
}
