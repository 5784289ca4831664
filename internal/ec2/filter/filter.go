package filter

import (
	"errors"
	"fmt"
	"slices"
	"strings"
)

// ErrInvalid is returned for an unknown filter name; EC2 answers it as
// InvalidParameterValue.
var ErrInvalid = errors.New("InvalidParameterValue.Filter")

// Filter is one EC2 filter: Name with any of Values.
type Filter struct {
	Name   string
	Values []string
}

// Fields returns a resource's values for a filter name (a field may have
// several, as tag-key does), and false for a name the resource does not
// know.
type Fields func(name string) (values []string, known bool)

// Map adapts single-valued fields.
func Map(m map[string]string) Fields {
	return func(name string) ([]string, bool) {
		v, ok := m[name]
		if !ok {
			return nil, false
		}
		return []string{v}, true
	}
}

// Tags adds EC2's tag filters (tag:<key>, tag-key, tag-value) to fields.
func Tags(fields Fields, tags map[string]string) Fields {
	return func(name string) ([]string, bool) {
		switch {
		case strings.HasPrefix(name, "tag:"):
			v, ok := tags[name[len("tag:"):]]
			if !ok {
				return nil, true // known filter, no value: matches nothing
			}
			return []string{v}, true
		case name == "tag-key":
			keys := make([]string, 0, len(tags))
			for k := range tags {
				keys = append(keys, k)
			}
			return keys, true
		case name == "tag-value":
			vals := make([]string, 0, len(tags))
			for _, v := range tags {
				vals = append(vals, v)
			}
			return vals, true
		}
		return fields(name)
	}
}

// Match reports whether a resource with fields passes every filter.
func Match(filters []Filter, fields Fields) (bool, error) {
	for _, f := range filters {
		vals, ok := fields(f.Name)
		if !ok {
			return false, fmt.Errorf("%w: The filter '%s' is invalid", ErrInvalid, f.Name)
		}
		if !slices.ContainsFunc(f.Values, func(p string) bool {
			return slices.ContainsFunc(vals, func(v string) bool { return Wildcard(p, v) })
		}) {
			return false, nil
		}
	}
	return true, nil
}

// Wildcard matches s against p with * (any run) and ? (any one character).
func Wildcard(p, s string) bool {
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
