package filter

import (
	"errors"
	"testing"
)

func TestWildcard(t *testing.T) {
	cases := []struct {
		p, s string
		want bool
	}{{"*", "", true}, {"a*c", "abbbc", true}, {"a?c", "abc", true}, {"a?c", "ac", false}, {"*b", "aab", true}, {"ab", "abc", false}, {"", "", true}, {"a*", "b", false}}
	for _, c := range cases {
		if got := Wildcard(c.p, c.s); got != c.want {
			t.Errorf("Wildcard(%q, %q) = %v", c.p, c.s, got)
		}
	}
}

func TestMatch(t *testing.T) {
	fields := Tags(Map(map[string]string{"vpc-id": "vpc-1", "state": "available"}), map[string]string{"Name": "web", "env": "prod"})
	tests := []struct {
		name    string
		filters []Filter
		want    bool
		err     error
	}{
		{"none", nil, true, nil},
		{"one value", []Filter{{"vpc-id", []string{"vpc-1"}}}, true, nil},
		{"or of values", []Filter{{"vpc-id", []string{"vpc-2", "vpc-*"}}}, true, nil},
		{"and of filters", []Filter{{"vpc-id", []string{"vpc-1"}}, {"state", []string{"pending"}}}, false, nil},
		{"tag", []Filter{{"tag:Name", []string{"w?b"}}}, true, nil},
		{"absent tag", []Filter{{"tag:Owner", []string{"*"}}}, false, nil},
		{"tag-key", []Filter{{"tag-key", []string{"env"}}}, true, nil},
		{"tag-value", []Filter{{"tag-value", []string{"dev"}}}, false, nil},
		{"unknown", []Filter{{"bogus", []string{"x"}}}, false, ErrInvalid},
	}
	for _, tc := range tests {
		got, err := Match(tc.filters, fields)
		if !errors.Is(err, tc.err) || (err == nil && got != tc.want) {
			t.Errorf("%s: got %v, %v; want %v, %v", tc.name, got, err, tc.want, tc.err)
		}
	}
}
