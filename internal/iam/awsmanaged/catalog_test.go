package awsmanaged

import (
	"io/fs"
	"regexp"
	"strings"
	"testing"

	"github.com/nimbuscloud/nimbus/internal/iam/policy"
)

var idRE = regexp.MustCompile(`^ANPA[A-Z2-7]{17}$`)

func TestCatalogEveryDocumentParses(t *testing.T) {
	all := All()
	if len(all) != len(table) {
		t.Fatalf("All() = %d policies, table has %d", len(all), len(table))
	}
	ids := map[string]string{}
	for _, p := range all {
		if _, err := policy.Parse(p.Document, policy.Identity); err != nil {
			t.Errorf("%s: %v", p.Name, err)
		}
		if !idRE.MatchString(p.ID) {
			t.Errorf("%s: id %q", p.Name, p.ID)
		}
		if other, dup := ids[p.ID]; dup {
			t.Errorf("%s and %s share id %s", p.Name, other, p.ID)
		}
		ids[p.ID] = p.Name
		if p.ARN != "arn:aws:iam::aws:policy"+p.Path+p.Name || !strings.HasPrefix(p.Path, "/") || !strings.HasSuffix(p.Path, "/") {
			t.Errorf("%s: arn %q path %q", p.Name, p.ARN, p.Path)
		}
		got, ok := Lookup(p.ARN)
		if !ok || got.ID != p.ID || got.Document != p.Document {
			t.Errorf("Lookup(%s) = %v, %v", p.ARN, got.Name, ok)
		}
	}
	// Every embedded file is listed in the table.
	files, err := fs.Glob(documents, "documents/*.json")
	if err != nil || len(files) != len(table) {
		t.Fatalf("embedded %d files (%v), table %d", len(files), err, len(table))
	}
}

func TestLookup(t *testing.T) {
	tests := []struct {
		arn  string
		want bool
	}{
		{"arn:aws:iam::aws:policy/AdministratorAccess", true},
		{"arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole", true},
		{"arn:aws:iam::aws:policy/AWSLambdaBasicExecutionRole", false}, // wrong path
		{"arn:aws:iam::aws:policy/job-function/ViewOnlyAccess", true},
		{"arn:aws:iam::123456789012:policy/AdministratorAccess", false},
		{"arn:aws:iam::aws:policy/NoSuchPolicy", false},
	}
	for _, tt := range tests {
		if _, ok := Lookup(tt.arn); ok != tt.want {
			t.Errorf("Lookup(%s) = %v, want %v", tt.arn, ok, tt.want)
		}
	}
	if !IsAWSManaged("arn:aws:iam::aws:policy/Anything") || IsAWSManaged("arn:aws:iam::123456789012:policy/x") {
		t.Error("IsAWSManaged")
	}
	first, again := stableID("AdministratorAccess"), stableID("AdministratorAccess")
	if first != again || stableID("a") == stableID("b") {
		t.Error("stableID not stable/distinct")
	}
}
