package ec2

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/nimbuscloud/nimbus/internal/caller"
)

// Errors; internal/api/ec2 maps them to AWS codes.
var (
	ErrNoCaller      = errors.New("ec2: request has no authenticated caller")
	ErrInvalidParam  = errors.New("InvalidParameterValue")
	ErrInvalidAZ     = errors.New("InvalidParameterValue.AZ")
	ErrInvalidFilter = errors.New("InvalidParameterValue.Filter")
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
type Filter struct {
	Name   string
	Values []string
}

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
			Name: az, ID: zoneID(s.region.Name, az), Region: s.region.Name, State: "available",
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

// zoneID derives AWS-style zone IDs: us-east-1a -> use1-az1.
func zoneID(region, az string) string {
	parts := strings.Split(region, "-")
	short := ""
	for i, p := range parts {
		switch {
		case i == len(parts)-1:
			short += p
		case i == 0:
			short += p
		default:
			short += p[:1]
		}
	}
	return fmt.Sprintf("%s-az%d", short, int(az[len(az)-1]-'a')+1)
}

func (s *Service) authorize(ctx context.Context, action string) error {
	if c := caller.From(ctx); c == nil || c.Anonymous() {
		return ErrNoCaller
	}
	return s.authz.Authorize(ctx, action, "*", nil)
}

// matchAll applies EC2 filter semantics: every filter must match (AND), any
// of a filter's values may match (OR), values may use * and ?. Unknown
// filter names are an error, as on AWS.
func matchAll(filters []Filter, fields map[string]string) (bool, error) {
	for _, f := range filters {
		v, ok := fields[f.Name]
		if !ok {
			return false, fmt.Errorf("%w: The filter '%s' is invalid", ErrInvalidFilter, f.Name)
		}
		if !slices.ContainsFunc(f.Values, func(p string) bool { return wildcard(p, v) }) {
			return false, nil
		}
	}
	return true, nil
}

// wildcard matches s against p with * (any run) and ? (any one character).
func wildcard(p, s string) bool {
	px, sx := 0, 0
	nextP, nextS := -1, -1
	for sx < len(s) || px < len(p) {
		if px < len(p) {
			switch c := p[px]; c {
			case '*':
				nextP, nextS = px, sx+1
				px++
				continue
			case '?':
				if sx < len(s) {
					px++
					sx++
					continue
				}
			default:
				if sx < len(s) && s[sx] == c {
					px++
					sx++
					continue
				}
			}
		}
		if nextS > 0 && nextS <= len(s) {
			px, sx = nextP+1, nextS
			nextS++
			continue
		}
		return false
	}
	return true
}
