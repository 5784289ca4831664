package vpc

import (
	"errors"
	"slices"

	"github.com/nimbuscloud/nimbus/internal/ec2/filter"
)

// Filter is an EC2 Describe filter.
type Filter = filter.Filter

// fieldMap is a resource's single-valued filter fields.
type fieldMap map[string]string

// match applies filters to a resource's fields and tags; multi holds the
// multi-valued fields (e.g. a VPC's CIDR blocks).
func match(filters []Filter, fields fieldMap, tags map[string]string, multi ...map[string][]string) (bool, error) {
	base := func(name string) ([]string, bool) {
		if v, ok := fields[name]; ok {
			return []string{v}, true
		}
		for _, m := range multi {
			if v, ok := m[name]; ok {
				return v, true
			}
		}
		return nil, false
	}
	ok, err := filter.Match(filters, filter.Tags(base, tags))
	if errors.Is(err, filter.ErrInvalid) {
		return false, invalidParam("The filter '%s' is invalid", invalidName(filters, base, tags))
	}
	return ok, err
}

func invalidName(filters []Filter, base filter.Fields, tags map[string]string) string {
	f := filter.Tags(base, tags)
	for _, x := range filters {
		if _, ok := f(x.Name); !ok {
			return x.Name
		}
	}
	return ""
}

// selected reports whether id passes an explicit ID list (empty: all).
func selected(ids []string, id string) bool { return len(ids) == 0 || slices.Contains(ids, id) }
