package ec2

import (
	"context"
	"errors"
	"net/http"

	"github.com/nimbuscloud/nimbus/internal/api/awserr"
	"github.com/nimbuscloud/nimbus/internal/api/protocol"
	"github.com/nimbuscloud/nimbus/internal/authz"
	"github.com/nimbuscloud/nimbus/internal/ec2"
	"github.com/nimbuscloud/nimbus/internal/ec2/filter"
	"github.com/nimbuscloud/nimbus/internal/vpc"
)

// Service returns EC2's protocol declaration and operation table: the
// region half (svc) and the network half (net), which also names the
// ARNs and zone IDs of responses.
func Service(svc *ec2.Service, net *vpc.Service) *protocol.Service {
	h := handlers{svc: svc, net: net}
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
	svc *ec2.Service
	net *vpc.Service
}

// Filter is EC2's Filter.N.Name / Filter.N.Value.M.
type Filter struct {
	Name   string   `query:"Name"`
	Values []string `query:"Value"`
}

// filters converts the wire's filters to EC2's (one type for every
// EC2-family service).
func filters(in []Filter) []filter.Filter {
	out := make([]filter.Filter, len(in))
	for i, f := range in {
		out[i] = filter.Filter{Name: f.Name, Values: f.Values}
	}
	return out
}

// dryRun is EC2's answer to an authorized DryRun request.
func dryRun() error { return vpc.ErrDryRun }

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
	if errors.Is(err, vpc.ErrDryRun) {
		return awserr.New(http.StatusPreconditionFailed, "DryRunOperation", "Request would have succeeded, but DryRun flag is set."), true
	}
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
