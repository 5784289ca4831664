package ec2_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	sdkec2 "github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/smithy-go"

	apiec2 "github.com/nimbuscloud/nimbus/internal/api/ec2"
	"github.com/nimbuscloud/nimbus/internal/api/protocol"
	"github.com/nimbuscloud/nimbus/internal/caller"
	"github.com/nimbuscloud/nimbus/internal/ec2"
	"github.com/nimbuscloud/nimbus/internal/store/sqlite"
	"github.com/nimbuscloud/nimbus/internal/vpc"
)

// allow is an allow-all Authorizer (authorization has its own tests).
type allow struct{}

func (allow) Authorize(context.Context, string, string, map[string][]string) error { return nil }

// region serves EC2 over HTTP on a real SQLite store. The access key ID a
// client signs with is its account ID, so tests can act as several
// accounts.
type region struct {
	url string
}

var credRE = regexp.MustCompile(`Credential=(\d{12})/`)

func newRegion(t *testing.T) *region {
	t.Helper()
	ctx := context.Background()
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "meta.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	azs := []string{"us-east-1a", "us-east-1b", "us-east-1c"}
	net := vpc.New(st, allow{}, vpc.Options{Region: "us-east-1", AZs: azs})
	if err := net.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	svc := ec2.New(ec2.Region{Name: "us-east-1", Endpoint: "127.0.0.1", AZs: azs}, allow{})
	ep, err := protocol.NewEndpoint(apiec2.Service(svc, net), slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(io.LimitReader(r.Body, protocol.MaxBodyBytes+1))
		if err != nil {
			t.Errorf("read body: %v", err)
		}
		m := credRE.FindStringSubmatch(r.Header.Get("Authorization"))
		if m == nil {
			http.Error(w, "unsigned", http.StatusForbidden)
			return
		}
		ctx := caller.With(r.Context(), &caller.Caller{RequestID: "req-1",
			Principal: caller.Principal{Type: caller.Root, AccountID: m[1], ARN: "arn:aws:iam::" + m[1] + ":root"}})
		ep.Serve(ctx, w, r, body)
	}))
	t.Cleanup(srv.Close)
	return &region{url: srv.URL}
}

// client signs as account.
func (r *region) client(account string) *sdkec2.Client {
	cfg := aws.Config{Region: "us-east-1", RetryMaxAttempts: 1,
		Credentials: credentials.NewStaticCredentialsProvider(account, "secret", "")}
	return sdkec2.NewFromConfig(cfg, func(o *sdkec2.Options) { o.BaseEndpoint = aws.String(r.url) })
}

// raw posts a form as account and returns the status and body.
func (r *region) raw(t *testing.T, account string, form url.Values) (int, string) {
	t.Helper()
	form.Set("Version", "2016-11-15")
	req, _ := http.NewRequest(http.MethodPost, r.url, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential="+account+"/20260101/us-east-1/ec2/aws4_request")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

const acctA, acctB = "111111111111", "222222222222"

func apiError(t *testing.T, err error, code string) {
	t.Helper()
	var ae smithy.APIError
	if !errors.As(err, &ae) || ae.ErrorCode() != code {
		t.Fatalf("want %s, got %v", code, err)
	}
}

func tagged(k, v string, rt types.ResourceType) []types.TagSpecification {
	return []types.TagSpecification{{ResourceType: rt, Tags: []types.Tag{{Key: aws.String(k), Value: aws.String(v)}}}}
}

func TestVPCShapes(t *testing.T) {
	r := newRegion(t)
	c := r.client(acctA)
	ctx := context.Background()

	cv, err := c.CreateVpc(ctx, &sdkec2.CreateVpcInput{CidrBlock: aws.String("10.0.0.0/16"), TagSpecifications: tagged("Name", "main", types.ResourceTypeVpc)})
	if err != nil {
		t.Fatal(err)
	}
	v := cv.Vpc
	if !strings.HasPrefix(aws.ToString(v.VpcId), "vpc-") || aws.ToString(v.OwnerId) != acctA || v.State != types.VpcStateAvailable ||
		aws.ToString(v.CidrBlock) != "10.0.0.0/16" || aws.ToString(v.DhcpOptionsId) != "default" || v.InstanceTenancy != types.TenancyDefault ||
		aws.ToBool(v.IsDefault) || len(v.CidrBlockAssociationSet) != 1 || len(v.Tags) != 1 || aws.ToString(v.Tags[0].Value) != "main" {
		t.Fatalf("CreateVpc = %+v", v)
	}
	if a := v.CidrBlockAssociationSet[0]; !strings.HasPrefix(aws.ToString(a.AssociationId), "vpc-cidr-assoc-") ||
		aws.ToString(a.CidrBlock) != "10.0.0.0/16" || a.CidrBlockState.State != types.VpcCidrBlockStateCodeAssociated {
		t.Fatalf("association = %+v", a)
	}

	// A tag specification of another type is refused.
	_, err = c.CreateVpc(ctx, &sdkec2.CreateVpcInput{CidrBlock: aws.String("10.1.0.0/16"), TagSpecifications: tagged("a", "b", types.ResourceTypeSubnet)})
	apiError(t, err, "InvalidParameterValue")

	// DryRun answers without creating anything.
	_, err = c.CreateVpc(ctx, &sdkec2.CreateVpcInput{CidrBlock: aws.String("10.2.0.0/16"), DryRun: aws.Bool(true)})
	apiError(t, err, "DryRunOperation")
	all, err := c.DescribeVpcs(ctx, &sdkec2.DescribeVpcsInput{})
	if err != nil || len(all.Vpcs) != 2 {
		t.Fatalf("DescribeVpcs after a dry run: %d VPCs, %v", len(all.Vpcs), err)
	}
	_, err = c.DeleteVpc(ctx, &sdkec2.DeleteVpcInput{VpcId: v.VpcId, DryRun: aws.Bool(true)})
	apiError(t, err, "DryRunOperation")
	_, err = c.DeleteVpc(ctx, &sdkec2.DeleteVpcInput{VpcId: aws.String("vpc-0123456789abcdef0"), DryRun: aws.Bool(true)})
	apiError(t, err, "InvalidVpcID.NotFound")

	got, err := c.DescribeVpcs(ctx, &sdkec2.DescribeVpcsInput{Filters: []types.Filter{{Name: aws.String("tag:Name"), Values: []string{"main"}}}})
	if err != nil || len(got.Vpcs) != 1 || aws.ToString(got.Vpcs[0].VpcId) != aws.ToString(v.VpcId) {
		t.Fatalf("DescribeVpcs by tag = %+v, %v", got, err)
	}

	attr, err := c.DescribeVpcAttribute(ctx, &sdkec2.DescribeVpcAttributeInput{VpcId: v.VpcId, Attribute: types.VpcAttributeNameEnableDnsSupport})
	if err != nil || aws.ToString(attr.VpcId) != aws.ToString(v.VpcId) || attr.EnableDnsSupport == nil || !aws.ToBool(attr.EnableDnsSupport.Value) || attr.EnableDnsHostnames != nil {
		t.Fatalf("DescribeVpcAttribute = %+v, %v", attr, err)
	}
	_, err = c.ModifyVpcAttribute(ctx, &sdkec2.ModifyVpcAttributeInput{VpcId: v.VpcId,
		EnableDnsSupport: &types.AttributeBooleanValue{Value: aws.Bool(true)}, EnableDnsHostnames: &types.AttributeBooleanValue{Value: aws.Bool(true)}})
	apiError(t, err, "InvalidParameterCombination")
	if _, err := c.ModifyVpcAttribute(ctx, &sdkec2.ModifyVpcAttributeInput{VpcId: v.VpcId, EnableDnsHostnames: &types.AttributeBooleanValue{Value: aws.Bool(true)}}); err != nil {
		t.Fatal(err)
	}
	attr, err = c.DescribeVpcAttribute(ctx, &sdkec2.DescribeVpcAttributeInput{VpcId: v.VpcId, Attribute: types.VpcAttributeNameEnableDnsHostnames})
	if err != nil || attr.EnableDnsHostnames == nil || !aws.ToBool(attr.EnableDnsHostnames.Value) {
		t.Fatalf("DescribeVpcAttribute(hostnames) = %+v, %v", attr, err)
	}

	// Subnets.
	cs, err := c.CreateSubnet(ctx, &sdkec2.CreateSubnetInput{VpcId: v.VpcId, CidrBlock: aws.String("10.0.1.0/24"), AvailabilityZone: aws.String("us-east-1b"),
		TagSpecifications: tagged("tier", "web", types.ResourceTypeSubnet)})
	if err != nil {
		t.Fatal(err)
	}
	sn := cs.Subnet
	if aws.ToString(sn.SubnetArn) != "arn:aws:ec2:us-east-1:"+acctA+":subnet/"+aws.ToString(sn.SubnetId) || aws.ToString(sn.AvailabilityZoneId) != "use1-az2" ||
		aws.ToInt32(sn.AvailableIpAddressCount) != 251 || sn.State != types.SubnetStateAvailable || aws.ToBool(sn.DefaultForAz) ||
		sn.Ipv6CidrBlockAssociationSet == nil || len(sn.Ipv6CidrBlockAssociationSet) != 0 || sn.PrivateDnsNameOptionsOnLaunch == nil ||
		sn.PrivateDnsNameOptionsOnLaunch.HostnameType != types.HostnameTypeIpName || len(sn.Tags) != 1 || aws.ToString(sn.OwnerId) != acctA {
		t.Fatalf("CreateSubnet = %+v", sn)
	}
	if _, err := c.ModifySubnetAttribute(ctx, &sdkec2.ModifySubnetAttributeInput{SubnetId: sn.SubnetId, MapPublicIpOnLaunch: &types.AttributeBooleanValue{Value: aws.Bool(true)}}); err != nil {
		t.Fatal(err)
	}
	_, err = c.ModifySubnetAttribute(ctx, &sdkec2.ModifySubnetAttributeInput{SubnetId: sn.SubnetId, EnableDns64: &types.AttributeBooleanValue{Value: aws.Bool(true)}})
	apiError(t, err, "InvalidParameterValue")
	ds, err := c.DescribeSubnets(ctx, &sdkec2.DescribeSubnetsInput{SubnetIds: []string{aws.ToString(sn.SubnetId)}})
	if err != nil || len(ds.Subnets) != 1 || !aws.ToBool(ds.Subnets[0].MapPublicIpOnLaunch) {
		t.Fatalf("DescribeSubnets = %+v, %v", ds, err)
	}
	_, err = c.DeleteVpc(ctx, &sdkec2.DeleteVpcInput{VpcId: v.VpcId})
	apiError(t, err, "DependencyViolation")
	if _, err := c.DeleteSubnet(ctx, &sdkec2.DeleteSubnetInput{SubnetId: sn.SubnetId}); err != nil {
		t.Fatal(err)
	}

	// Another account sees none of it.
	_, err = r.client(acctB).DescribeVpcs(ctx, &sdkec2.DescribeVpcsInput{VpcIds: []string{aws.ToString(v.VpcId)}})
	apiError(t, err, "InvalidVpcID.NotFound")
}

func TestVPCPagination(t *testing.T) {
	r := newRegion(t)
	c := r.client(acctA)
	ctx := context.Background()
	out, err := c.CreateVpc(ctx, &sdkec2.CreateVpcInput{CidrBlock: aws.String("10.0.0.0/16")})
	if err != nil {
		t.Fatal(err)
	}
	for i := range 7 {
		_, err := c.CreateSecurityGroup(ctx, &sdkec2.CreateSecurityGroupInput{GroupName: aws.String("g" + string(rune('a'+i))),
			Description: aws.String("d"), VpcId: out.Vpc.VpcId})
		if err != nil {
			t.Fatal(err)
		}
	}
	// 7 groups, and the default groups of both VPCs.
	seen := map[string]bool{}
	pages := 0
	p := sdkec2.NewDescribeSecurityGroupsPaginator(c, &sdkec2.DescribeSecurityGroupsInput{MaxResults: aws.Int32(5)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		pages++
		if len(page.SecurityGroups) > 5 {
			t.Fatalf("page of %d", len(page.SecurityGroups))
		}
		for _, g := range page.SecurityGroups {
			if seen[aws.ToString(g.GroupId)] {
				t.Fatalf("%s twice", aws.ToString(g.GroupId))
			}
			seen[aws.ToString(g.GroupId)] = true
		}
	}
	if len(seen) != 9 || pages != 2 {
		t.Fatalf("%d groups in %d pages", len(seen), pages)
	}
	_, err = c.DescribeSecurityGroups(ctx, &sdkec2.DescribeSecurityGroupsInput{MaxResults: aws.Int32(4)})
	apiError(t, err, "InvalidParameterValue")
	_, err = c.DescribeVpcs(ctx, &sdkec2.DescribeVpcsInput{NextToken: aws.String("!!")})
	apiError(t, err, "InvalidPaginationToken")
}

func TestSecurityGroupShapes(t *testing.T) {
	r := newRegion(t)
	c := r.client(acctA)
	ctx := context.Background()
	cv, err := c.CreateVpc(ctx, &sdkec2.CreateVpcInput{CidrBlock: aws.String("10.0.0.0/16")})
	if err != nil {
		t.Fatal(err)
	}
	vpcID := cv.Vpc.VpcId
	defs, err := c.DescribeSecurityGroups(ctx, &sdkec2.DescribeSecurityGroupsInput{Filters: []types.Filter{{Name: aws.String("vpc-id"), Values: []string{aws.ToString(vpcID)}}}})
	if err != nil || len(defs.SecurityGroups) != 1 {
		t.Fatalf("default group: %+v, %v", defs, err)
	}
	def := defs.SecurityGroups[0]
	in, eg := def.IpPermissions, def.IpPermissionsEgress
	if aws.ToString(def.GroupName) != "default" || len(in) != 1 || aws.ToString(in[0].IpProtocol) != "-1" || in[0].FromPort != nil ||
		len(in[0].UserIdGroupPairs) != 1 || aws.ToString(in[0].UserIdGroupPairs[0].GroupId) != aws.ToString(def.GroupId) ||
		aws.ToString(in[0].UserIdGroupPairs[0].UserId) != acctA || len(eg) != 1 || len(eg[0].IpRanges) != 1 ||
		aws.ToString(eg[0].IpRanges[0].CidrIp) != "0.0.0.0/0" || eg[0].Ipv6Ranges == nil || eg[0].PrefixListIds == nil {
		t.Fatalf("default group = %+v", def)
	}

	cg, err := c.CreateSecurityGroup(ctx, &sdkec2.CreateSecurityGroupInput{GroupName: aws.String("web"), Description: aws.String("web tier"), VpcId: vpcID,
		TagSpecifications: tagged("Name", "web", types.ResourceTypeSecurityGroup)})
	if err != nil {
		t.Fatal(err)
	}
	gid := aws.ToString(cg.GroupId)
	if aws.ToString(cg.SecurityGroupArn) != "arn:aws:ec2:us-east-1:"+acctA+":security-group/"+gid || len(cg.Tags) != 1 {
		t.Fatalf("CreateSecurityGroup = %+v", cg)
	}
	// Two CIDRs and a group on one port fold into one IpPermission.
	au, err := c.AuthorizeSecurityGroupIngress(ctx, &sdkec2.AuthorizeSecurityGroupIngressInput{GroupId: cg.GroupId, IpPermissions: []types.IpPermission{{
		IpProtocol: aws.String("tcp"), FromPort: aws.Int32(443), ToPort: aws.Int32(443),
		IpRanges:         []types.IpRange{{CidrIp: aws.String("10.0.0.0/8"), Description: aws.String("lan")}, {CidrIp: aws.String("192.168.0.0/16")}},
		Ipv6Ranges:       []types.Ipv6Range{{CidrIpv6: aws.String("2001:db8::/32")}},
		UserIdGroupPairs: []types.UserIdGroupPair{{GroupId: def.GroupId, Description: aws.String("from default")}},
	}}})
	if err != nil {
		t.Fatal(err)
	}
	if !aws.ToBool(au.Return) || len(au.SecurityGroupRules) != 4 {
		t.Fatalf("AuthorizeSecurityGroupIngress = %+v", au)
	}
	refs := 0
	for _, sr := range au.SecurityGroupRules {
		if sr.ReferencedGroupInfo != nil {
			refs++
		}
		if aws.ToString(sr.GroupId) != gid || aws.ToString(sr.GroupOwnerId) != acctA || aws.ToBool(sr.IsEgress) || aws.ToInt32(sr.FromPort) != 443 ||
			aws.ToString(sr.SecurityGroupRuleArn) != "arn:aws:ec2:us-east-1:"+acctA+":security-group-rule/"+aws.ToString(sr.SecurityGroupRuleId) {
			t.Fatalf("rule = %+v", sr)
		}
		if sr.ReferencedGroupInfo != nil && (aws.ToString(sr.ReferencedGroupInfo.GroupId) != aws.ToString(def.GroupId) || aws.ToString(sr.Description) != "from default") {
			t.Fatalf("group rule = %+v", sr.ReferencedGroupInfo)
		}
	}
	if refs != 1 {
		t.Fatalf("%d rules carry referencedGroupInfo, want the one group rule", refs)
	}
	// The older flat form (what SDK users of CidrIp/IpProtocol/FromPort send).
	if _, err := c.AuthorizeSecurityGroupIngress(ctx, &sdkec2.AuthorizeSecurityGroupIngressInput{GroupId: cg.GroupId,
		IpProtocol: aws.String("udp"), FromPort: aws.Int32(53), ToPort: aws.Int32(53), CidrIp: aws.String("0.0.0.0/0")}); err != nil {
		t.Fatal(err)
	}
	_, err = c.AuthorizeSecurityGroupIngress(ctx, &sdkec2.AuthorizeSecurityGroupIngressInput{GroupId: cg.GroupId,
		IpProtocol: aws.String("udp"), FromPort: aws.Int32(53), ToPort: aws.Int32(53), CidrIp: aws.String("0.0.0.0/0")})
	apiError(t, err, "InvalidPermission.Duplicate")
	_, err = c.AuthorizeSecurityGroupIngress(ctx, &sdkec2.AuthorizeSecurityGroupIngressInput{GroupId: cg.GroupId,
		SourceSecurityGroupName: aws.String("default"), IpProtocol: aws.String("tcp")})
	apiError(t, err, "InvalidParameterCombination")

	g, err := c.DescribeSecurityGroups(ctx, &sdkec2.DescribeSecurityGroupsInput{GroupIds: []string{gid}})
	if err != nil || len(g.SecurityGroups) != 1 {
		t.Fatalf("DescribeSecurityGroups = %+v, %v", g, err)
	}
	perms := g.SecurityGroups[0].IpPermissions
	if len(perms) != 2 {
		t.Fatalf("ingress = %+v", perms)
	}
	p := perms[0]
	if aws.ToString(p.IpProtocol) != "tcp" || aws.ToInt32(p.FromPort) != 443 || aws.ToInt32(p.ToPort) != 443 || len(p.IpRanges) != 2 ||
		aws.ToString(p.IpRanges[0].Description) != "lan" || len(p.Ipv6Ranges) != 1 || len(p.UserIdGroupPairs) != 1 || len(p.PrefixListIds) != 0 {
		t.Fatalf("tcp/443 = %+v", p)
	}
	if aws.ToString(perms[1].IpProtocol) != "udp" || len(perms[1].IpRanges) != 1 {
		t.Fatalf("udp/53 = %+v", perms[1])
	}

	rules, err := c.DescribeSecurityGroupRules(ctx, &sdkec2.DescribeSecurityGroupRulesInput{Filters: []types.Filter{{Name: aws.String("group-id"), Values: []string{gid}}}})
	if err != nil || len(rules.SecurityGroupRules) != 6 { // 4 + 1 ingress, 1 egress
		t.Fatalf("DescribeSecurityGroupRules = %d, %v", len(rules.SecurityGroupRules), err)
	}
	var egressID, v6ID string
	for _, sr := range rules.SecurityGroupRules {
		if aws.ToBool(sr.IsEgress) {
			egressID = aws.ToString(sr.SecurityGroupRuleId)
			if aws.ToString(sr.IpProtocol) != "-1" || aws.ToInt32(sr.FromPort) != -1 || aws.ToString(sr.CidrIpv4) != "0.0.0.0/0" {
				t.Fatalf("egress rule = %+v", sr)
			}
		}
		if sr.CidrIpv6 != nil {
			v6ID = aws.ToString(sr.SecurityGroupRuleId)
		}
	}
	if _, err := c.ModifySecurityGroupRules(ctx, &sdkec2.ModifySecurityGroupRulesInput{GroupId: cg.GroupId, SecurityGroupRules: []types.SecurityGroupRuleUpdate{{
		SecurityGroupRuleId: aws.String(egressID),
		SecurityGroupRule:   &types.SecurityGroupRuleRequest{IpProtocol: aws.String("tcp"), FromPort: aws.Int32(443), ToPort: aws.Int32(443), CidrIpv4: aws.String("0.0.0.0/0")},
	}}}); err != nil {
		t.Fatal(err)
	}
	one, err := c.DescribeSecurityGroupRules(ctx, &sdkec2.DescribeSecurityGroupRulesInput{SecurityGroupRuleIds: []string{egressID}})
	if err != nil || len(one.SecurityGroupRules) != 1 || aws.ToString(one.SecurityGroupRules[0].IpProtocol) != "tcp" {
		t.Fatalf("modified rule = %+v, %v", one, err)
	}
	rv, err := c.RevokeSecurityGroupIngress(ctx, &sdkec2.RevokeSecurityGroupIngressInput{GroupId: cg.GroupId, SecurityGroupRuleIds: []string{v6ID}})
	if err != nil || !aws.ToBool(rv.Return) || len(rv.RevokedSecurityGroupRules) != 1 ||
		aws.ToString(rv.RevokedSecurityGroupRules[0].CidrIpv6) != "2001:db8::/32" {
		t.Fatalf("RevokeSecurityGroupIngress = %+v, %v", rv, err)
	}
	rv, err = c.RevokeSecurityGroupIngress(ctx, &sdkec2.RevokeSecurityGroupIngressInput{GroupId: cg.GroupId, IpPermissions: []types.IpPermission{{
		IpProtocol: aws.String("tcp"), FromPort: aws.Int32(443), ToPort: aws.Int32(443), UserIdGroupPairs: []types.UserIdGroupPair{{GroupId: def.GroupId}}}}})
	if err != nil || len(rv.RevokedSecurityGroupRules) != 1 || aws.ToString(rv.RevokedSecurityGroupRules[0].ReferencedGroupId) != aws.ToString(def.GroupId) {
		t.Fatalf("revoke group peer = %+v, %v", rv, err)
	}

	// Tags.
	if _, err := c.CreateTags(ctx, &sdkec2.CreateTagsInput{Resources: []string{gid, aws.ToString(vpcID)},
		Tags: []types.Tag{{Key: aws.String("env"), Value: aws.String("prod")}, {Key: aws.String("empty"), Value: aws.String("")}}}); err != nil {
		t.Fatal(err)
	}
	dt, err := c.DescribeTags(ctx, &sdkec2.DescribeTagsInput{Filters: []types.Filter{{Name: aws.String("key"), Values: []string{"env"}}}})
	if err != nil || len(dt.Tags) != 2 || dt.Tags[0].ResourceType == "" {
		t.Fatalf("DescribeTags = %+v, %v", dt, err)
	}
	// A value that does not match keeps the tag; no value removes it.
	if _, err := c.DeleteTags(ctx, &sdkec2.DeleteTagsInput{Resources: []string{gid}, Tags: []types.Tag{{Key: aws.String("env"), Value: aws.String("dev")}}}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.DeleteTags(ctx, &sdkec2.DeleteTagsInput{Resources: []string{aws.ToString(vpcID)}, Tags: []types.Tag{{Key: aws.String("env")}}}); err != nil {
		t.Fatal(err)
	}
	dt, err = c.DescribeTags(ctx, &sdkec2.DescribeTagsInput{Filters: []types.Filter{{Name: aws.String("key"), Values: []string{"env"}}}})
	if err != nil || len(dt.Tags) != 1 || aws.ToString(dt.Tags[0].ResourceId) != gid {
		t.Fatalf("DescribeTags after DeleteTags = %+v, %v", dt, err)
	}

	_, err = c.DeleteSecurityGroup(ctx, &sdkec2.DeleteSecurityGroupInput{GroupId: def.GroupId})
	apiError(t, err, "CannotDelete")
	dg, err := c.DeleteSecurityGroup(ctx, &sdkec2.DeleteSecurityGroupInput{GroupId: cg.GroupId})
	if err != nil || !aws.ToBool(dg.Return) || aws.ToString(dg.GroupId) != gid {
		t.Fatalf("DeleteSecurityGroup = %+v, %v", dg, err)
	}
}

// TestWireEnvelope checks raw XML where the SDKs are lenient: lists EC2
// always sends are present when empty, and errors use EC2's envelope with
// a 400.
func TestWireEnvelope(t *testing.T) {
	r := newRegion(t)
	status, body := r.raw(t, acctA, url.Values{"Action": {"DescribeSecurityGroups"}, "GroupName.1": {"default"}})
	for _, want := range []string{
		`<DescribeSecurityGroupsResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/"><requestId>req-1</requestId><securityGroupInfo><item>`,
		`<ipPermissionsEgress><item><ipProtocol>-1</ipProtocol><groups></groups><ipRanges><item><cidrIp>0.0.0.0/0</cidrIp></item></ipRanges><ipv6Ranges></ipv6Ranges><prefixListIds></prefixListIds></item></ipPermissionsEgress>`,
	} {
		if status != 200 || !strings.Contains(body, want) {
			t.Fatalf("status %d, body lacks %s:\n%s", status, want, body)
		}
	}
	status, body = r.raw(t, acctA, url.Values{"Action": {"DeleteVpc"}, "VpcId": {"vpc-0000000000000000a"}})
	if status != 400 || !strings.Contains(body, "<Response><Errors><Error><Code>InvalidVpcID.NotFound</Code>") {
		t.Fatalf("DeleteVpc(missing) = %d %s", status, body)
	}
	status, body = r.raw(t, acctA, url.Values{"Action": {"ModifySecurityGroupRules"}, "GroupId": {"sg-0000000000000000a"},
		"SecurityGroupRule.1.SecurityGroupRuleId": {"sgr-0000000000000000a"}})
	if status != 400 || !strings.Contains(body, "<Code>MissingParameter</Code>") || !strings.Contains(body, "SecurityGroupRule.1.SecurityGroupRule") {
		t.Fatalf("ModifySecurityGroupRules without the rule = %d %s", status, body)
	}
	status, body = r.raw(t, acctA, url.Values{"Action": {"ModifySubnetAttribute"}, "SubnetId": {"subnet-0000000000000000a"},
		"MapPublicIpOnLaunch.Foo": {"true"}})
	if status != 400 || !strings.Contains(body, "<Code>MissingParameter</Code>") || !strings.Contains(body, "MapPublicIpOnLaunch.Value") {
		t.Fatalf("ModifySubnetAttribute without a Value = %d %s", status, body)
	}
	status, body = r.raw(t, acctA, url.Values{"Action": {"DescribeVpcs"}, "Filter.1.Name": {"no-such-filter"}, "Filter.1.Value.1": {"x"}})
	if status != 400 || !strings.Contains(body, "<Code>InvalidParameterValue</Code>") {
		t.Fatalf("bad filter = %d %s", status, body)
	}
}
