package e2e

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/aws-sdk-go-v2/service/iam"

	"github.com/nimbuscloud/nimbus/test/e2e/harness"
)

func vpcFilter(name string, values ...string) []types.Filter {
	return []types.Filter{{Name: aws.String(name), Values: values}}
}

// ruleCount counts the account's security group rules, with filters.
func ruleCount(t *testing.T, c *ec2.Client, filters []types.Filter) int {
	t.Helper()
	out, err := c.DescribeSecurityGroupRules(context.Background(), &ec2.DescribeSecurityGroupRulesInput{Filters: filters})
	if err != nil {
		t.Fatalf("DescribeSecurityGroupRules: %v", err)
	}
	return len(out.SecurityGroupRules)
}

// TestVPCDefaultVPC: an account's first Describe finds the default VPC and
// its three default subnets, one /20 per AZ.
func TestVPCDefaultVPC(t *testing.T) {
	r := harness.Start(t)
	ctx := context.Background()
	c := ec2.NewFromConfig(r.AWSConfig())

	vpcs, err := c.DescribeVpcs(ctx, &ec2.DescribeVpcsInput{})
	if err != nil {
		t.Fatal(err)
	}
	if len(vpcs.Vpcs) != 1 {
		t.Fatalf("want the default VPC only, got %d VPCs", len(vpcs.Vpcs))
	}
	def := vpcs.Vpcs[0]
	if !aws.ToBool(def.IsDefault) || aws.ToString(def.CidrBlock) != "172.31.0.0/16" || aws.ToString(def.OwnerId) != r.AccountID ||
		def.State != types.VpcStateAvailable {
		t.Fatalf("default VPC = %+v", def)
	}
	subnets, err := c.DescribeSubnets(ctx, &ec2.DescribeSubnetsInput{Filters: vpcFilter("vpc-id", aws.ToString(def.VpcId))})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, s := range subnets.Subnets {
		if !aws.ToBool(s.DefaultForAz) || !aws.ToBool(s.MapPublicIpOnLaunch) || aws.ToInt32(s.AvailableIpAddressCount) != 4091 {
			t.Fatalf("default subnet = %+v", s)
		}
		got[aws.ToString(s.CidrBlock)] = aws.ToString(s.AvailabilityZone)
	}
	want := map[string]string{"172.31.0.0/20": "us-east-1a", "172.31.16.0/20": "us-east-1b", "172.31.32.0/20": "us-east-1c"}
	if len(got) != len(want) {
		t.Fatalf("default subnets = %v", got)
	}
	for cidr, az := range want {
		if got[cidr] != az {
			t.Fatalf("default subnets = %v, want %v", got, want)
		}
	}
	// The default VPC's default group, found by name as EC2-Classic-era
	// clients do.
	sgs, err := c.DescribeSecurityGroups(ctx, &ec2.DescribeSecurityGroupsInput{GroupNames: []string{"default"}})
	if err != nil || len(sgs.SecurityGroups) != 1 || aws.ToString(sgs.SecurityGroups[0].VpcId) != aws.ToString(def.VpcId) {
		t.Fatalf("default group by name: %+v, %v", sgs, err)
	}
	// Asked again: still one default VPC.
	again, err := c.DescribeVpcs(ctx, &ec2.DescribeVpcsInput{Filters: vpcFilter("is-default", "true")})
	if err != nil || len(again.Vpcs) != 1 || aws.ToString(again.Vpcs[0].VpcId) != aws.ToString(def.VpcId) {
		t.Fatalf("second DescribeVpcs: %+v, %v", again, err)
	}
}

// TestVPCLifecycle drives a VPC through the Go SDK: create with tags, its
// default group, attributes, subnets and their CIDR checks, security group
// rules, refused deletes that change nothing, and deletion.
func TestVPCLifecycle(t *testing.T) {
	r := harness.Start(t)
	ctx := context.Background()
	c := ec2.NewFromConfig(r.AWSConfig())

	cv, err := c.CreateVpc(ctx, &ec2.CreateVpcInput{CidrBlock: aws.String("10.0.0.0/16"), TagSpecifications: []types.TagSpecification{{
		ResourceType: types.ResourceTypeVpc, Tags: []types.Tag{{Key: aws.String("Name"), Value: aws.String("e2e")}}}}})
	if err != nil {
		t.Fatal(err)
	}
	vpcID := aws.ToString(cv.Vpc.VpcId)
	if aws.ToString(cv.Vpc.CidrBlock) != "10.0.0.0/16" || aws.ToBool(cv.Vpc.IsDefault) || len(cv.Vpc.Tags) != 1 {
		t.Fatalf("CreateVpc = %+v", cv.Vpc)
	}
	named, err := c.DescribeVpcs(ctx, &ec2.DescribeVpcsInput{Filters: vpcFilter("tag:Name", "e2e")})
	if err != nil || len(named.Vpcs) != 1 || aws.ToString(named.Vpcs[0].VpcId) != vpcID {
		t.Fatalf("DescribeVpcs by Name tag: %+v, %v", named, err)
	}

	// Its default security group: ingress from itself, all egress.
	sgs, err := c.DescribeSecurityGroups(ctx, &ec2.DescribeSecurityGroupsInput{Filters: vpcFilter("vpc-id", vpcID)})
	if err != nil || len(sgs.SecurityGroups) != 1 {
		t.Fatalf("groups of the new VPC: %+v, %v", sgs, err)
	}
	def := sgs.SecurityGroups[0]
	defID := aws.ToString(def.GroupId)
	if aws.ToString(def.GroupName) != "default" || len(def.IpPermissions) != 1 || aws.ToString(def.IpPermissions[0].IpProtocol) != "-1" ||
		len(def.IpPermissions[0].UserIdGroupPairs) != 1 || aws.ToString(def.IpPermissions[0].UserIdGroupPairs[0].GroupId) != defID ||
		len(def.IpPermissionsEgress) != 1 || aws.ToString(def.IpPermissionsEgress[0].IpProtocol) != "-1" ||
		len(def.IpPermissionsEgress[0].IpRanges) != 1 || aws.ToString(def.IpPermissionsEgress[0].IpRanges[0].CidrIp) != "0.0.0.0/0" {
		t.Fatalf("default group = %+v", def)
	}

	// Attributes.
	for attr, want := range map[types.VpcAttributeName]bool{types.VpcAttributeNameEnableDnsSupport: true, types.VpcAttributeNameEnableDnsHostnames: false} {
		out, err := c.DescribeVpcAttribute(ctx, &ec2.DescribeVpcAttributeInput{VpcId: aws.String(vpcID), Attribute: attr})
		if err != nil {
			t.Fatal(err)
		}
		v := out.EnableDnsSupport
		if attr == types.VpcAttributeNameEnableDnsHostnames {
			v = out.EnableDnsHostnames
		}
		if v == nil || aws.ToBool(v.Value) != want {
			t.Fatalf("%s = %+v, want %v", attr, out, want)
		}
	}
	if _, err := c.ModifyVpcAttribute(ctx, &ec2.ModifyVpcAttributeInput{VpcId: aws.String(vpcID),
		EnableDnsHostnames: &types.AttributeBooleanValue{Value: aws.Bool(true)}}); err != nil {
		t.Fatal(err)
	}
	hn, err := c.DescribeVpcAttribute(ctx, &ec2.DescribeVpcAttributeInput{VpcId: aws.String(vpcID), Attribute: types.VpcAttributeNameEnableDnsHostnames})
	if err != nil || hn.EnableDnsHostnames == nil || !aws.ToBool(hn.EnableDnsHostnames.Value) {
		t.Fatalf("enableDnsHostnames after Modify: %+v, %v", hn, err)
	}

	// Subnets and the CIDR rules.
	cs, err := c.CreateSubnet(ctx, &ec2.CreateSubnetInput{VpcId: aws.String(vpcID), CidrBlock: aws.String("10.0.1.0/24")})
	if err != nil {
		t.Fatal(err)
	}
	subnetID := aws.ToString(cs.Subnet.SubnetId)
	if aws.ToInt32(cs.Subnet.AvailableIpAddressCount) != 251 || aws.ToString(cs.Subnet.VpcId) != vpcID {
		t.Fatalf("CreateSubnet = %+v", cs.Subnet)
	}
	_, err = c.CreateSubnet(ctx, &ec2.CreateSubnetInput{VpcId: aws.String(vpcID), CidrBlock: aws.String("10.0.1.128/25")})
	mustCode(t, err, "InvalidSubnet.Conflict")
	_, err = c.CreateSubnet(ctx, &ec2.CreateSubnetInput{VpcId: aws.String(vpcID), CidrBlock: aws.String("10.1.0.0/24")})
	mustCode(t, err, "InvalidSubnet.Range")
	_, err = c.CreateVpc(ctx, &ec2.CreateVpcInput{CidrBlock: aws.String("10.0.0.0/8")})
	mustCode(t, err, "InvalidVpc.Range")

	// A group with rules.
	cg, err := c.CreateSecurityGroup(ctx, &ec2.CreateSecurityGroupInput{GroupName: aws.String("web"), Description: aws.String("web servers"), VpcId: aws.String(vpcID)})
	if err != nil {
		t.Fatal(err)
	}
	sgID := aws.ToString(cg.GroupId)
	ssh := types.IpPermission{IpProtocol: aws.String("tcp"), FromPort: aws.Int32(22), ToPort: aws.Int32(22), IpRanges: []types.IpRange{{CidrIp: aws.String("10.0.0.0/8")}}}
	web := types.IpPermission{IpProtocol: aws.String("tcp"), FromPort: aws.Int32(80), ToPort: aws.Int32(80), UserIdGroupPairs: []types.UserIdGroupPair{{GroupId: aws.String(defID)}}}
	au, err := c.AuthorizeSecurityGroupIngress(ctx, &ec2.AuthorizeSecurityGroupIngressInput{GroupId: aws.String(sgID), IpPermissions: []types.IpPermission{ssh, web}})
	if err != nil {
		t.Fatal(err)
	}
	if !aws.ToBool(au.Return) || len(au.SecurityGroupRules) != 2 {
		t.Fatalf("AuthorizeSecurityGroupIngress = %+v", au)
	}
	_, err = c.AuthorizeSecurityGroupIngress(ctx, &ec2.AuthorizeSecurityGroupIngressInput{GroupId: aws.String(sgID), IpPermissions: []types.IpPermission{ssh}})
	mustCode(t, err, "InvalidPermission.Duplicate")
	_, err = c.AuthorizeSecurityGroupIngress(ctx, &ec2.AuthorizeSecurityGroupIngressInput{GroupId: aws.String(sgID), IpPermissions: []types.IpPermission{{
		IpProtocol: aws.String("tcp"), FromPort: aws.Int32(80), ToPort: aws.Int32(22), IpRanges: []types.IpRange{{CidrIp: aws.String("10.0.0.0/8")}}}}})
	mustCode(t, err, "InvalidParameterValue")

	// The group's rules: ssh, http and the default all-egress rule. The
	// account has, besides, the default groups of both VPCs (2 rules each).
	if n := ruleCount(t, c, vpcFilter("group-id", sgID)); n != 3 {
		t.Fatalf("group %s has %d rules, want 3", sgID, n)
	}
	if n := ruleCount(t, c, nil); n != 7 {
		t.Fatalf("account has %d rules, want 7", n)
	}
	sshRule := ""
	for _, sr := range au.SecurityGroupRules {
		if aws.ToInt32(sr.FromPort) == 22 {
			sshRule = aws.ToString(sr.SecurityGroupRuleId)
		}
	}
	rv, err := c.RevokeSecurityGroupIngress(ctx, &ec2.RevokeSecurityGroupIngressInput{GroupId: aws.String(sgID), SecurityGroupRuleIds: []string{sshRule}})
	if err != nil || !aws.ToBool(rv.Return) {
		t.Fatalf("RevokeSecurityGroupIngress: %+v, %v", rv, err)
	}
	if n := ruleCount(t, c, vpcFilter("group-id", sgID)); n != 2 {
		t.Fatalf("after revoke, group %s has %d rules, want 2", sgID, n)
	}
	g, err := c.DescribeSecurityGroups(ctx, &ec2.DescribeSecurityGroupsInput{GroupIds: []string{sgID}})
	if err != nil || len(g.SecurityGroups) != 1 || len(g.SecurityGroups[0].IpPermissions) != 1 ||
		aws.ToInt32(g.SecurityGroups[0].IpPermissions[0].FromPort) != 80 {
		t.Fatalf("group after revoke: %+v, %v", g, err)
	}

	// Tags round trip.
	if _, err := c.CreateTags(ctx, &ec2.CreateTagsInput{Resources: []string{vpcID, subnetID, sgID},
		Tags: []types.Tag{{Key: aws.String("team"), Value: aws.String("net")}}}); err != nil {
		t.Fatal(err)
	}
	dt, err := c.DescribeTags(ctx, &ec2.DescribeTagsInput{Filters: vpcFilter("key", "team")})
	if err != nil || len(dt.Tags) != 3 {
		t.Fatalf("DescribeTags: %+v, %v", dt, err)
	}
	types3 := []string{}
	for _, tg := range dt.Tags {
		types3 = append(types3, string(tg.ResourceType))
	}
	slices.Sort(types3)
	if strings.Join(types3, ",") != "security-group,subnet,vpc" {
		t.Fatalf("tagged resource types = %v", types3)
	}
	if _, err := c.DeleteTags(ctx, &ec2.DeleteTagsInput{Resources: []string{subnetID}, Tags: []types.Tag{{Key: aws.String("team")}}}); err != nil {
		t.Fatal(err)
	}
	dt, err = c.DescribeTags(ctx, &ec2.DescribeTagsInput{Filters: append(vpcFilter("key", "team"), vpcFilter("resource-type", "subnet")...)})
	if err != nil || len(dt.Tags) != 0 {
		t.Fatalf("DescribeTags after DeleteTags: %+v, %v", dt, err)
	}

	// A VPC with a subnet cannot go, and the refusal changes nothing.
	_, err = c.DeleteVpc(ctx, &ec2.DeleteVpcInput{VpcId: aws.String(vpcID)})
	mustCode(t, err, "DependencyViolation")
	if _, err := c.DescribeVpcs(ctx, &ec2.DescribeVpcsInput{VpcIds: []string{vpcID}}); err != nil {
		t.Fatalf("VPC gone after a refused delete: %v", err)
	}
	if _, err := c.DescribeSubnets(ctx, &ec2.DescribeSubnetsInput{SubnetIds: []string{subnetID}}); err != nil {
		t.Fatalf("subnet gone after a refused delete: %v", err)
	}
	if g, err := c.DescribeSecurityGroups(ctx, &ec2.DescribeSecurityGroupsInput{Filters: vpcFilter("vpc-id", vpcID)}); err != nil || len(g.SecurityGroups) != 2 {
		t.Fatalf("groups after a refused delete: %+v, %v", g, err)
	}

	// A dry run deletes nothing.
	_, err = c.DeleteSubnet(ctx, &ec2.DeleteSubnetInput{SubnetId: aws.String(subnetID), DryRun: aws.Bool(true)})
	mustCode(t, err, "DryRunOperation")
	if _, err := c.DescribeSubnets(ctx, &ec2.DescribeSubnetsInput{SubnetIds: []string{subnetID}}); err != nil {
		t.Fatalf("subnet gone after a dry run: %v", err)
	}

	if _, err := c.DeleteSubnet(ctx, &ec2.DeleteSubnetInput{SubnetId: aws.String(subnetID)}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.DeleteSecurityGroup(ctx, &ec2.DeleteSecurityGroupInput{GroupId: aws.String(sgID)}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.DeleteVpc(ctx, &ec2.DeleteVpcInput{VpcId: aws.String(vpcID)}); err != nil {
		t.Fatal(err)
	}
	_, err = c.DescribeVpcs(ctx, &ec2.DescribeVpcsInput{VpcIds: []string{vpcID}})
	mustCode(t, err, "InvalidVpcID.NotFound")
	if n := ruleCount(t, c, nil); n != 2 {
		t.Fatalf("after deleting the VPC the account has %d rules, want the default VPC's 2", n)
	}
}

// TestVPCAccountIsolation: another account can neither see, delete nor
// reference the first account's network.
func TestVPCAccountIsolation(t *testing.T) {
	r := harness.Start(t)
	ctx := context.Background()
	out, err := r.Nimbus(t, "admin", "accounts", "create", "--name", "other", "--data-dir", r.DataDir)
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	exp := parseExports(out)
	one, two := ec2.NewFromConfig(r.AWSConfig()), ec2.NewFromConfig(r.ConfigFor(exp["AWS_ACCESS_KEY_ID"], exp["AWS_SECRET_ACCESS_KEY"]))

	cv, err := one.CreateVpc(ctx, &ec2.CreateVpcInput{CidrBlock: aws.String("10.0.0.0/16")})
	if err != nil {
		t.Fatal(err)
	}
	vpcID := aws.ToString(cv.Vpc.VpcId)
	sgs, err := one.DescribeSecurityGroups(ctx, &ec2.DescribeSecurityGroupsInput{Filters: vpcFilter("vpc-id", vpcID)})
	if err != nil || len(sgs.SecurityGroups) != 1 {
		t.Fatalf("%+v, %v", sgs, err)
	}
	oneSG := aws.ToString(sgs.SecurityGroups[0].GroupId)

	_, err = two.DescribeVpcs(ctx, &ec2.DescribeVpcsInput{VpcIds: []string{vpcID}})
	mustCode(t, err, "InvalidVpcID.NotFound")
	_, err = two.DeleteVpc(ctx, &ec2.DeleteVpcInput{VpcId: aws.String(vpcID)})
	mustCode(t, err, "InvalidVpcID.NotFound")
	_, err = two.CreateSubnet(ctx, &ec2.CreateSubnetInput{VpcId: aws.String(vpcID), CidrBlock: aws.String("10.0.9.0/24")})
	mustCode(t, err, "InvalidVpcID.NotFound")
	_, err = two.CreateTags(ctx, &ec2.CreateTagsInput{Resources: []string{vpcID}, Tags: []types.Tag{{Key: aws.String("k"), Value: aws.String("v")}}})
	mustCode(t, err, "InvalidVpcID.NotFound")
	all, err := two.DescribeVpcs(ctx, &ec2.DescribeVpcsInput{})
	if err != nil || len(all.Vpcs) != 1 || !aws.ToBool(all.Vpcs[0].IsDefault) || aws.ToString(all.Vpcs[0].OwnerId) == r.AccountID {
		t.Fatalf("account two sees %+v, %v (want only its own default VPC)", all, err)
	}
	_, err = two.DescribeSecurityGroups(ctx, &ec2.DescribeSecurityGroupsInput{GroupIds: []string{oneSG}})
	mustCode(t, err, "InvalidGroup.NotFound")

	// Account two's own group cannot let account one's group in, named
	// by ID or by ID and owner.
	cg, err := two.CreateSecurityGroup(ctx, &ec2.CreateSecurityGroupInput{GroupName: aws.String("mine"), Description: aws.String("d")})
	if err != nil {
		t.Fatal(err)
	}
	for _, pair := range []types.UserIdGroupPair{{GroupId: aws.String(oneSG)}, {GroupId: aws.String(oneSG), UserId: aws.String(r.AccountID)}} {
		_, err = two.AuthorizeSecurityGroupIngress(ctx, &ec2.AuthorizeSecurityGroupIngressInput{GroupId: cg.GroupId, IpPermissions: []types.IpPermission{{
			IpProtocol: aws.String("tcp"), FromPort: aws.Int32(22), ToPort: aws.Int32(22), UserIdGroupPairs: []types.UserIdGroupPair{pair}}}})
		mustCode(t, err, "InvalidGroup.NotFound")
	}
	_, err = two.AuthorizeSecurityGroupIngress(ctx, &ec2.AuthorizeSecurityGroupIngressInput{GroupId: aws.String(oneSG), IpPermissions: []types.IpPermission{{
		IpProtocol: aws.String("tcp"), FromPort: aws.Int32(22), ToPort: aws.Int32(22), IpRanges: []types.IpRange{{CidrIp: aws.String("0.0.0.0/0")}}}}})
	mustCode(t, err, "InvalidGroup.NotFound")
	// Nothing of account one changed.
	rules, err := one.DescribeSecurityGroupRules(ctx, &ec2.DescribeSecurityGroupRulesInput{Filters: vpcFilter("group-id", oneSG)})
	if err != nil || len(rules.SecurityGroupRules) != 2 {
		t.Fatalf("account one's default group: %+v, %v", rules, err)
	}
}

// cliJSON runs the aws CLI with JSON output and decodes what it printed.
func cliJSON(t *testing.T, r *harness.Region, v any, args ...string) {
	t.Helper()
	stdout, stderr, code := r.CLI(t, append(args, "--output", "json")...)
	if code != 0 {
		t.Fatalf("aws %s: exit %d\n%s", strings.Join(args, " "), code, stderr)
	}
	if v == nil {
		return
	}
	if err := json.Unmarshal([]byte(stdout), v); err != nil {
		t.Fatalf("aws %s: %v\n%s", strings.Join(args, " "), err, stdout)
	}
}

// TestVPCCLI: the aws CLI (botocore's ec2 serializer and parser),
// including the --protocol/--port/--cidr form of
// authorize-security-group-ingress (which the CLI itself turns into
// IpPermissions.1; the flat CidrIp/IpProtocol/FromPort parameters are
// covered by internal/api/ec2's tests).
func TestVPCCLI(t *testing.T) {
	r := harness.Start(t)

	var created struct {
		Vpc struct{ VpcId, CidrBlock string }
	}
	cliJSON(t, r, &created, "ec2", "create-vpc", "--cidr-block", "10.1.0.0/16",
		"--tag-specifications", "ResourceType=vpc,Tags=[{Key=Name,Value=cli-vpc}]")
	vpcID := created.Vpc.VpcId
	if !strings.HasPrefix(vpcID, "vpc-") || created.Vpc.CidrBlock != "10.1.0.0/16" {
		t.Fatalf("create-vpc = %+v", created)
	}
	var vpcs struct {
		Vpcs []struct {
			VpcId string
			Tags  []struct{ Key, Value string }
		}
	}
	cliJSON(t, r, &vpcs, "ec2", "describe-vpcs", "--filters", "Name=tag:Name,Values=cli-vpc")
	if len(vpcs.Vpcs) != 1 || vpcs.Vpcs[0].VpcId != vpcID || len(vpcs.Vpcs[0].Tags) != 1 || vpcs.Vpcs[0].Tags[0].Value != "cli-vpc" {
		t.Fatalf("describe-vpcs = %+v", vpcs)
	}

	var sg struct{ GroupId string }
	cliJSON(t, r, &sg, "ec2", "create-security-group", "--group-name", "cli", "--description", "from the CLI", "--vpc-id", vpcID)
	cliJSON(t, r, nil, "ec2", "authorize-security-group-ingress", "--group-id", sg.GroupId, "--protocol", "tcp", "--port", "22", "--cidr", "0.0.0.0/0")
	type perm struct {
		IpProtocol       string
		FromPort, ToPort *int
		IpRanges         []struct{ CidrIp string }
		UserIdGroupPairs []struct{ GroupId string }
		Ipv6Ranges       []any
		PrefixListIds    []any
	}
	var groups struct {
		SecurityGroups []struct {
			GroupId, GroupName, VpcId string
			IpPermissions             []perm
			IpPermissionsEgress       []perm
		}
	}
	cliJSON(t, r, &groups, "ec2", "describe-security-groups", "--group-ids", sg.GroupId)
	if len(groups.SecurityGroups) != 1 {
		t.Fatalf("describe-security-groups = %+v", groups)
	}
	g := groups.SecurityGroups[0]
	if g.GroupName != "cli" || g.VpcId != vpcID || len(g.IpPermissions) != 1 || len(g.IpPermissionsEgress) != 1 {
		t.Fatalf("group = %+v", g)
	}
	p := g.IpPermissions[0]
	if p.IpProtocol != "tcp" || p.FromPort == nil || *p.FromPort != 22 || p.ToPort == nil || *p.ToPort != 22 ||
		len(p.IpRanges) != 1 || p.IpRanges[0].CidrIp != "0.0.0.0/0" || p.Ipv6Ranges == nil || p.PrefixListIds == nil {
		t.Fatalf("ingress = %+v", p)
	}
	if e := g.IpPermissionsEgress[0]; e.IpProtocol != "-1" || e.FromPort != nil {
		t.Fatalf("egress = %+v", e)
	}

	// botocore's paginator over MaxResults/NextToken: 2 default groups and
	// 6 more, in pages of 5.
	for _, n := range []string{"a", "b", "c", "d", "e"} {
		cliJSON(t, r, nil, "ec2", "create-security-group", "--group-name", "page-"+n, "--description", "d", "--vpc-id", vpcID)
	}
	var paged struct{ SecurityGroups []struct{ GroupId string } }
	cliJSON(t, r, &paged, "ec2", "describe-security-groups", "--page-size", "5")
	seen := map[string]bool{}
	for _, sg := range paged.SecurityGroups {
		seen[sg.GroupId] = true
	}
	if len(paged.SecurityGroups) != 8 || len(seen) != 8 {
		t.Fatalf("paged describe-security-groups: %d groups, %d distinct", len(paged.SecurityGroups), len(seen))
	}

	// Errors and dry runs surface as EC2 codes.
	_, stderr, code := r.CLI(t, "ec2", "describe-vpcs", "--vpc-ids", "vpc-0123456789abcdef0")
	if code == 0 || !strings.Contains(stderr, "InvalidVpcID.NotFound") {
		t.Fatalf("describe-vpcs of a missing VPC: exit %d\n%s", code, stderr)
	}
	// A dry run answers what the call would: DryRunOperation for a VPC the
	// call would delete (which stays), the real error for one it would not.
	var empty struct{ Vpc struct{ VpcId string } }
	cliJSON(t, r, &empty, "ec2", "create-vpc", "--cidr-block", "10.9.0.0/16")
	_, stderr, code = r.CLI(t, "ec2", "delete-vpc", "--vpc-id", empty.Vpc.VpcId, "--dry-run")
	if code == 0 || !strings.Contains(stderr, "DryRunOperation") {
		t.Fatalf("delete-vpc --dry-run: exit %d\n%s", code, stderr)
	}
	cliJSON(t, r, &vpcs, "ec2", "describe-vpcs", "--vpc-ids", empty.Vpc.VpcId)
	if len(vpcs.Vpcs) != 1 {
		t.Fatalf("VPC gone after a dry run: %+v", vpcs)
	}
	_, stderr, code = r.CLI(t, "ec2", "delete-vpc", "--vpc-id", vpcID, "--dry-run")
	if code == 0 || !strings.Contains(stderr, "DependencyViolation") {
		t.Fatalf("delete-vpc --dry-run of a VPC in use: exit %d\n%s", code, stderr)
	}
}

// TestVPCLeastPrivilege: the network calls are authorized as ec2:<Action>,
// and a denial is EC2's UnauthorizedOperation (403).
func TestVPCLeastPrivilege(t *testing.T) {
	r := harness.Start(t)
	ctx := context.Background()
	reader := ec2.NewFromConfig(newUser(t, r, iam.NewFromConfig(r.AWSConfig()), "reader",
		`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"ec2:Describe*","Resource":"*"}]}`))
	if _, err := reader.DescribeVpcs(ctx, &ec2.DescribeVpcsInput{}); err != nil {
		t.Fatalf("DescribeVpcs as reader: %v", err)
	}
	_, err := reader.CreateVpc(ctx, &ec2.CreateVpcInput{CidrBlock: aws.String("10.0.0.0/16")})
	if code, status := apiCode(t, err); code != "UnauthorizedOperation" || status != 403 {
		t.Fatalf("CreateVpc as reader: %s %d", code, status)
	}
	vpcs, err := ec2.NewFromConfig(r.AWSConfig()).DescribeVpcs(ctx, &ec2.DescribeVpcsInput{})
	if err != nil || len(vpcs.Vpcs) != 1 {
		t.Fatalf("VPCs after a denied create: %+v, %v", vpcs, err)
	}
}
