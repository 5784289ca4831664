package iam

import "testing"

func TestParseRoleARN(t *testing.T) {
	tests := []struct {
		arn              string
		acct, path, name string
		ok               bool
	}{
		{"arn:aws:iam::123456789012:role/R", "123456789012", "/", "R", true},
		{"arn:aws:iam::123456789012:role/a/b/R", "123456789012", "/a/b/", "R", true},
		{"arn:aws:iam::123456789012:user/R", "", "", "", false},
		{"arn:aws:iam::12345:role/R", "", "", "", false},
		{"arn:aws:iam::123456789012:role/", "", "", "", false},
		{"arn:aws:iam::123456789012:role/a/", "", "", "", false},
		{"nope", "", "", "", false},
	}
	for _, tt := range tests {
		acct, path, name, ok := ParseRoleARN(tt.arn)
		if ok != tt.ok || acct != tt.acct || path != tt.path || name != tt.name {
			t.Errorf("%s: got %q %q %q %v", tt.arn, acct, path, name, ok)
		}
	}
}
