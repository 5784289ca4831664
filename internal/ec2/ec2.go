package ec2

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/nimbuscloud/nimbus/internal/caller"
	"github.com/nimbuscloud/nimbus/internal/ec2/filter"
	"github.com/nimbuscloud/nimbus/internal/ec2/zone"
)

// Errors; internal/api/ec2 maps them to AWS codes.
var (
	ErrNoCaller      = errors.New("ec2: request has no authenticated caller")
	ErrInvalidParam  = errors.New("InvalidParameterValue")
	ErrInvalidAZ     = errors.New("InvalidParameterValue.AZ")
	ErrInvalidFilter = filter.ErrInvalid
)

// Authorizer decides the caller's requests.
type Authorizer interface {
	Authorize(ctx context.Context, action, resource string, keys map[string][]string) error
}

// Region is the geography this service answers for.
type Region struct {
	Name     string
	Endpoint string // host name clients reach the region at
	AZs      []string
}

// Service is EC2.
type Service struct {
	region Region
	authz  Authorizer
}

// New returns the EC2 service.
func New(region Region, authz Authorizer) *Service { return &Service{region: region, authz: authz} }

// Filter is an EC2 filter: Name with any of Values (values may hold * and ?).
type Filter = filter.Filter

// RegionInfo is one region.
type RegionInfo struct {
	Name, Endpoint, OptInStatus string
}

// DescribeRegions lists the region (a nimbus server is one region).
func (s *Service) DescribeRegions(ctx context.Context, names []string, filters []Filter) ([]RegionInfo, error) {
	if err := s.authorize(ctx, "ec2:DescribeRegions"); err != nil {
		return nil, err
	}
	r := RegionInfo{Name: s.region.Name, Endpoint: s.region.Endpoint, OptInStatus: "opt-in-not-required"}
	for _, n := range names {
		if n != r.Name {
			return nil, fmt.Errorf("%w: Invalid region: %s", ErrInvalidParam, n)
		}
	}
	ok, err := matchAll(filters, map[string]string{"region-name": r.Name, "endpoint": r.Endpoint, "opt-in-status": r.OptInStatus})
	if err != nil || !ok {
		return nil, err
	}
	return []RegionInfo{r}, nil
}

// AZInfo is one availability zone.
type AZInfo struct {
	Name, ID, Region, State, Type, GroupName, NetworkBorderGroup, OptInStatus string
}

// DescribeAvailabilityZones lists the region's AZs.
func (s *Service) DescribeAvailabilityZones(ctx context.Context, names, ids []string, filters []Filter) ([]AZInfo, error) {
	if err := s.authorize(ctx, "ec2:DescribeAvailabilityZones"); err != nil {
		return nil, err
	}
	var all []AZInfo
	for _, az := range s.region.AZs {
		all = append(all, AZInfo{
			Name: az, ID: zone.ID(s.region.Name, az), Region: s.region.Name, State: "available",
			Type: "availability-zone", GroupName: s.region.Name, NetworkBorderGroup: s.region.Name,
			OptInStatus: "opt-in-not-required",
		})
	}
	for _, n := range names {
		if !slices.ContainsFunc(all, func(a AZInfo) bool { return a.Name == n }) {
			return nil, fmt.Errorf("%w: Invalid availability zone: [%s]", ErrInvalidAZ, n)
		}
	}
	for _, id := range ids {
		if !slices.ContainsFunc(all, func(a AZInfo) bool { return a.ID == id }) {
			return nil, fmt.Errorf("%w: Invalid availability zone: [%s]", ErrInvalidAZ, id)
		}
	}
	var out []AZInfo
	for _, a := range all {
		if len(names) > 0 && !slices.Contains(names, a.Name) {
			continue
		}
		if len(ids) > 0 && !slices.Contains(ids, a.ID) {
			continue
		}
		ok, err := matchAll(filters, map[string]string{
			"zone-name": a.Name, "zone-id": a.ID, "region-name": a.Region, "state": a.State,
			"zone-type": a.Type, "group-name": a.GroupName, "opt-in-status": a.OptInStatus,
		})
		if err != nil {
			return nil, err
		}
		if ok {
			out = append(out, a)
		}
	}
	return out, nil
}

func (s *Service) authorize(ctx context.Context, action string) error {
	if c := caller.From(ctx); c == nil || c.Anonymous() {
		return ErrNoCaller
	}
	return s.authz.Authorize(ctx, action, "*", nil)
}

// matchAll applies EC2's filter semantics to single-valued fields.
func matchAll(filters []Filter, fields map[string]string) (bool, error) {
	return filter.Match(filters, filter.Map(fields))
}
