package lifecycle

import (
	"strings"
	"testing"
	"time"
)

// TestEvaluateGoBuilt covers what Parse never produces: a nil
// configuration, and rules a caller built in Go without Validate.
func TestEvaluateGoBuilt(t *testing.T) {
	now := time.Date(2024, 4, 10, 0, 0, 0, 0, time.UTC)
	old := now.AddDate(-1, 0, 0)
	var nilCfg *Configuration
	if a := nilCfg.Evaluate(Version{Key: "k", IsLatest: true, ModTime: old}, now); a.Kind != NoAction {
		t.Errorf("nil configuration: %v", a)
	}
	if nilCfg.AbortUpload("k", old, now) {
		t.Error("nil configuration aborts")
	}
	one := 1
	k := "k"
	c := &Configuration{Rules: []Rule{
		// Abort with a tag or size filter (S3 refuses both): never for uploads.
		{ID: "tag", Status: Enabled, Filter: &Filter{Tag: &Tag{Key: k}}, AbortIncompleteMultipartUpload: &AbortIncompleteMultipartUpload{DaysAfterInitiation: 1}},
		{ID: "size", Status: Enabled, Filter: &Filter{And: &And{Prefix: &k, ObjectSizeLessThan: new(int64)}}, AbortIncompleteMultipartUpload: &AbortIncompleteMultipartUpload{DaysAfterInitiation: 1}},
		// Neither Filter nor Prefix: every object.
		{ID: "bare", Status: Enabled, Expiration: &Expiration{Days: &one}},
	}}
	if c.AbortUpload("k", old, now) {
		t.Error("a tag- or size-filtered rule aborted an upload")
	}
	if a := c.Evaluate(Version{Key: "x", IsLatest: true, ModTime: old}, now); a.Kind != ExpireCurrent || a.RuleID != "bare" {
		t.Errorf("rule without filter: %v", a)
	}
	if got := (Action{Kind: 99}).String(); !strings.HasPrefix(got, "unknown") {
		t.Errorf("Action{99} = %q", got)
	}
	// Validate takes a Go-built configuration; an empty ID is fine.
	c = &Configuration{Rules: []Rule{{Status: Enabled, Filter: &Filter{}, Expiration: &Expiration{Days: &one}}}}
	if err := c.Validate(); err != nil {
		t.Errorf("Validate: %v", err)
	}
}

func TestParseTooLarge(t *testing.T) {
	body := xmlHead + strings.Repeat(" ", MaxBodySize) + xmlTail
	_, err := Parse([]byte(body))
	if e, ok := err.(*Error); !ok || e.Code != CodeMalformedXML {
		t.Fatalf("err %v, want MalformedXML", err)
	}
}

// TestParseTooManyRules: 1,001 rules are refused, 1,000 are not.
func TestParseTooManyRules(t *testing.T) {
	rule := `<Rule><Filter/><Status>Enabled</Status><Expiration><Days>1</Days></Expiration></Rule>`
	if _, err := Parse([]byte(xmlHead + strings.Repeat(rule, MaxRules) + xmlTail)); err != nil {
		t.Fatalf("%d rules: %v", MaxRules, err)
	}
	_, err := Parse([]byte(xmlHead + strings.Repeat(rule, MaxRules+1) + xmlTail))
	if e, ok := err.(*Error); !ok || e.Code != CodeInvalidRequest || !strings.Contains(e.Message, "1000 rules") {
		t.Fatalf("%d rules: %v, want InvalidRequest", MaxRules+1, err)
	}
}

// TestParseBOM: a leading UTF-8 byte order mark, which some clients write,
// is not text outside the root element.
func TestParseBOM(t *testing.T) {
	body := "\uFEFF<?xml version=\"1.0\" encoding=\"utf-8\"?>" + xmlHead +
		`<Rule><ID>r</ID><Filter/><Status>Enabled</Status><Expiration><Days>1</Days></Expiration></Rule>` + xmlTail
	if _, err := Parse([]byte(body)); err != nil {
		t.Fatal(err)
	}
}
