package ec2

import (
	"context"
	"errors"
	"net/http"
	"strings"

	"github.com/nimbuscloud/nimbus/internal/api/awserr"
	"github.com/nimbuscloud/nimbus/internal/api/protocol"
	"github.com/nimbuscloud/nimbus/internal/authz"
	"github.com/nimbuscloud/nimbus/internal/ec2"
	"github.com/nimbuscloud/nimbus/internal/vpc"
)

// Service returns EC2's protocol declaration and operation table: the
// region half (svc) and the network half (net) of the region named region
// (it appears in the ARNs of responses).
func Service(svc *ec2.Service, net *vpc.Service, region string) *protocol.Service {
	h := handlers{svc: svc, net: net, region: region}
	s := &protocol.Service{
		SigningName:    "ec2",
		Protocols:      []protocol.Kind{protocol.EC2Query},
		Version:        "2016-11-15",
		XMLNamespace:   "http://ec2.amazonaws.com/doc/2016-11-15/",
		ValidationCode: "InvalidParameterValue",
		MapError:       mapError,
	}
	s.Register(
		protocol.Op("DescribeRegions", h.describeRegions),
		protocol.Op("DescribeAvailabilityZones", h.describeAvailabilityZones),
	)
	s.Register(h.vpcOps()...)
	s.Register(h.subnetOps()...)
	s.Register(h.securityGroupOps()...)
	s.Register(h.ruleOps()...)
	s.Register(h.tagOps()...)
	return s
}

type handlers struct {
	svc    *ec2.Service
	net    *vpc.Service
	region string
}

// arn is the ARN of an account's EC2 resource ("vpc/vpc-0123...").
func (h handlers) arn(account, resource string) string {
	return "arn:aws:ec2:" + h.region + ":" + account + ":" + resource
}

// Filter is EC2's Filter.N.Name / Filter.N.Value.M.
type Filter struct {
	Name   string   `query:"Name"`
	Values []string `query:"Value"`
}

func filters(in []Filter) []ec2.Filter {
	out := make([]ec2.Filter, len(in))
	for i, f := range in {
		out[i] = ec2.Filter{Name: f.Name, Values: f.Values}
	}
	return out
}

func vpcFilters(in []Filter) []vpc.Filter {
	out := make([]vpc.Filter, len(in))
	for i, f := range in {
		out[i] = vpc.Filter{Name: f.Name, Values: f.Values}
	}
	return out
}

// dryRun is EC2's answer to an authorized DryRun request.
func dryRun() error {
	return awserr.New(http.StatusPreconditionFailed, "DryRunOperation", "Request would have succeeded, but DryRun flag is set.")
}

// probe answers a mutating call's DryRun without acting. The VPC service
// cannot yet authorize an action without performing it, so a dry run
// checks what it can by reading: the caller is authenticated, and every
// VPC, subnet, security group and rule the request names exists for the
// caller (through the Describe call of each kind, which also needs the
// caller to be allowed that Describe). It does not check the permission
// for the mutating action itself.
//
// TODO(vpc): authorize ec2:<Action> on the resources without acting, once
// the service offers it, and answer DryRunOperation only then.
func (h handlers) probe(ctx context.Context, ids ...string) error {
	var vpcs, subnets, groups, rules []string
	for _, id := range ids {
		switch p, _, _ := strings.Cut(id, "-"); p {
		case "vpc":
			vpcs = append(vpcs, id)
		case "subnet":
			subnets = append(subnets, id)
		case "sg":
			groups = append(groups, id)
		case "sgr":
			rules = append(rules, id)
		}
	}
	var err error
	switch {
	case len(vpcs) > 0:
		_, err = h.net.DescribeVpcs(ctx, vpcs, nil)
	case len(vpcs)+len(subnets)+len(groups)+len(rules) == 0:
		_, err = h.net.DescribeVpcs(ctx, nil, nil) // authentication only
	}
	if err == nil && len(subnets) > 0 {
		_, err = h.net.DescribeSubnets(ctx, subnets, nil)
	}
	if err == nil && len(groups) > 0 {
		_, err = h.net.DescribeSecurityGroups(ctx, groups, nil, nil)
	}
	if err == nil && len(rules) > 0 {
		_, err = h.net.DescribeSecurityGroupRules(ctx, rules, nil)
	}
	if err != nil {
		return err
	}
	return dryRun()
}

// DescribeRegionsInput is DescribeRegions' request.
type DescribeRegionsInput struct {
	RegionNames []string `query:"RegionName"`
	Filters     []Filter `query:"Filter"`
	AllRegions  bool     `query:"AllRegions"`
	DryRun      bool     `query:"DryRun"`
}

// RegionItem is one region.
type RegionItem struct {
	RegionName     string `xml:"regionName"`
	RegionEndpoint string `xml:"regionEndpoint"`
	OptInStatus    string `xml:"optInStatus"`
}

// DescribeRegionsOutput is DescribeRegions' response.
type DescribeRegionsOutput struct {
	Regions []RegionItem `xml:"regionInfo>item"`
}

func (h handlers) describeRegions(ctx context.Context, in *DescribeRegionsInput) (*DescribeRegionsOutput, error) {
	regions, err := h.svc.DescribeRegions(ctx, in.RegionNames, filters(in.Filters))
	if err != nil {
		return nil, err
	}
	if in.DryRun {
		return nil, dryRun()
	}
	out := &DescribeRegionsOutput{Regions: []RegionItem{}}
	for _, r := range regions {
		out.Regions = append(out.Regions, RegionItem{RegionName: r.Name, RegionEndpoint: r.Endpoint, OptInStatus: r.OptInStatus})
	}
	return out, nil
}

// DescribeAvailabilityZonesInput is DescribeAvailabilityZones' request.
type DescribeAvailabilityZonesInput struct {
	ZoneNames            []string `query:"ZoneName"`
	ZoneIds              []string `query:"ZoneId"`
	Filters              []Filter `query:"Filter"`
	AllAvailabilityZones bool     `query:"AllAvailabilityZones"`
	DryRun               bool     `query:"DryRun"`
}

// AZItem is one availability zone.
type AZItem struct {
	ZoneName           string `xml:"zoneName"`
	ZoneState          string `xml:"zoneState"`
	RegionName         string `xml:"regionName"`
	ZoneID             string `xml:"zoneId"`
	ZoneType           string `xml:"zoneType"`
	GroupName          string `xml:"groupName"`
	NetworkBorderGroup string `xml:"networkBorderGroup"`
	OptInStatus        string `xml:"optInStatus"`
}

// DescribeAvailabilityZonesOutput is the response.
type DescribeAvailabilityZonesOutput struct {
	Zones []AZItem `xml:"availabilityZoneInfo>item"`
}

func (h handlers) describeAvailabilityZones(ctx context.Context, in *DescribeAvailabilityZonesInput) (*DescribeAvailabilityZonesOutput, error) {
	azs, err := h.svc.DescribeAvailabilityZones(ctx, in.ZoneNames, in.ZoneIds, filters(in.Filters))
	if err != nil {
		return nil, err
	}
	if in.DryRun {
		return nil, dryRun()
	}
	out := &DescribeAvailabilityZonesOutput{Zones: []AZItem{}}
	for _, a := range azs {
		out.Zones = append(out.Zones, AZItem{ZoneName: a.Name, ZoneState: a.State, RegionName: a.Region, ZoneID: a.ID,
			ZoneType: a.Type, GroupName: a.GroupName, NetworkBorderGroup: a.NetworkBorderGroup, OptInStatus: a.OptInStatus})
	}
	return out, nil
}

// mapError is EC2's error table.
func mapError(err error) (*awserr.Error, bool) {
	var denied *authz.Denied
	if errors.As(err, &denied) {
		msg := "You are not authorized to perform this operation. " + denied.Message
		if denied.Encoded != "" {
			msg += ". Encoded authorization failure message: " + denied.Encoded
		}
		return awserr.New(http.StatusForbidden, "UnauthorizedOperation", "%s", msg), true
	}
	// EC2 answers every client error of the network API with 400 (not
	// found, dependency violations and limits included).
	var ve *vpc.Error
	if errors.As(err, &ve) {
		return awserr.New(http.StatusBadRequest, ve.Code, "%s", ve.Message), true
	}
	return awserr.Match(err, []awserr.Rule{
		{Sentinel: ec2.ErrNoCaller, Status: http.StatusUnauthorized, Code: "AuthFailure"},
		{Sentinel: vpc.ErrNoCaller, Status: http.StatusUnauthorized, Code: "AuthFailure"},
		{Sentinel: ec2.ErrInvalidAZ, Status: http.StatusBadRequest, Code: "InvalidParameterValue"},
		{Sentinel: ec2.ErrInvalidFilter, Status: http.StatusBadRequest, Code: "InvalidParameterValue"},
		{Sentinel: ec2.ErrInvalidParam, Status: http.StatusBadRequest, Code: "InvalidParameterValue"},
	})
}
