package policy

import (
	"errors"
	"strings"
	"testing"
	"time"

	"pgregory.net/rapid"
)

func TestParseErrors(t *testing.T) {
	stmt := func(body string) string {
		return `{"Version":"2012-10-17","Statement":[` + body + `]}`
	}
	tests := []struct {
		name string
		kind Kind
		doc  string
		want string // substring of the error message
	}{
		{"bad json", Identity, `{"Version":`, "Syntax errors in policy"},
		{"trailing data", Identity, stmt(`{"Effect":"Allow","Action":"*","Resource":"*"}`) + `{}`, "Syntax errors in policy"},
		{"not an object", Identity, `[]`, "must be a JSON object"},
		{"duplicate key", Identity, `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Effect":"Deny","Action":"*","Resource":"*"}}`, `duplicate key "Effect"`},
		{"unknown top-level", Identity, `{"Version":"2012-10-17","Statment":[]}`, `unknown element "Statment"`},
		{"bad version", Identity, `{"Version":"2012-10-18","Statement":{"Effect":"Allow","Action":"*","Resource":"*"}}`, "Version: must be"},
		{"version type", Identity, `{"Version":2012,"Statement":{"Effect":"Allow","Action":"*","Resource":"*"}}`, "Version: must be"},
		{"missing statement", Identity, `{"Version":"2012-10-17"}`, `missing required element "Statement"`},
		{"empty statement list", Identity, stmt(``), "Statement: must contain at least one statement"},
		{"statement type", Identity, `{"Statement":"x"}`, "Statement: must be an object or an array"},
		{"statement element type", Identity, stmt(`"x"`), "Statement[0]: must be an object"},
		{"unknown statement element", Identity, stmt(`{"Effect":"Allow","Action":"*","Resource":"*","Foo":1}`), `Statement[0]: unknown element "Foo"`},
		{"missing effect", Identity, stmt(`{"Action":"*","Resource":"*"}`), `Statement[0]: missing required element "Effect"`},
		{"effect case", Identity, stmt(`{"Effect":"allow","Action":"*","Resource":"*"}`), `Statement[0].Effect: must be "Allow" or "Deny"`},
		{"effect type", Identity, stmt(`{"Effect":true,"Action":"*","Resource":"*"}`), `Statement[0].Effect`},
		{"action and notaction", Identity, stmt(`{"Effect":"Allow","Action":"*","NotAction":"s3:*","Resource":"*"}`), `both "Action" and "NotAction"`},
		{"no action", Identity, stmt(`{"Effect":"Allow","Resource":"*"}`), `missing required element "Action" or "NotAction"`},
		{"bad action", Identity, stmt(`{"Effect":"Allow","Action":"GetObject","Resource":"*"}`), "Statement[0].Action: Actions/Conditions must be prefaced by a vendor"},
		{"empty action name", Identity, stmt(`{"Effect":"Allow","Action":"s3:","Resource":"*"}`), "prefaced by a vendor"},
		{"bad service", Identity, stmt(`{"Effect":"Allow","Action":"s 3:Get","Resource":"*"}`), "Statement[0].Action"},
		{"action type", Identity, stmt(`{"Effect":"Allow","Action":5,"Resource":"*"}`), "Statement[0].Action: must be a string"},
		{"empty action list", Identity, stmt(`{"Effect":"Allow","Action":[],"Resource":"*"}`), "Statement[0].Action: must not be an empty list"},
		{"resource and notresource", Identity, stmt(`{"Effect":"Allow","Action":"*","Resource":"*","NotResource":"*"}`), `both "Resource" and "NotResource"`},
		{"no resource", Identity, stmt(`{"Effect":"Allow","Action":"*"}`), `missing required element "Resource" or "NotResource"`},
		{"resource not arn", Identity, stmt(`{"Effect":"Allow","Action":"*","Resource":"bucket"}`), `Statement[0].Resource: Resource bucket must be in ARN format or "*"`},
		{"bad variable", Identity, stmt(`{"Effect":"Allow","Action":"*","Resource":"arn:aws:s3:::b/${aws:username"}`), "unterminated policy variable"},
		{"bad default", Identity, stmt(`{"Effect":"Allow","Action":"*","Resource":"arn:aws:s3:::b/${aws:username, anon}"}`), "must be quoted"},
		{"principal in identity", Identity, stmt(`{"Effect":"Allow","Principal":"*","Action":"*","Resource":"*"}`), "Statement[0]: Policy document should not specify a principal"},
		{"principal in boundary", Boundary, stmt(`{"Effect":"Allow","NotPrincipal":{"AWS":"*"},"Action":"*","Resource":"*"}`), "should not specify a principal"},
		{"principal in session", Session, stmt(`{"Effect":"Allow","Principal":"*","Action":"*","Resource":"*"}`), "should not specify a principal"},
		{"missing principal resource", Resource, stmt(`{"Effect":"Allow","Action":"*","Resource":"*"}`), `Statement[0]: missing required element "Principal"`},
		{"missing principal trust", Trust, stmt(`{"Effect":"Allow","Action":"sts:AssumeRole"}`), `missing required element "Principal"`},
		{"both principals", Resource, stmt(`{"Effect":"Allow","Principal":"*","NotPrincipal":"*","Action":"*","Resource":"*"}`), `both "Principal" and "NotPrincipal"`},
		{"resource in trust", Trust, stmt(`{"Effect":"Allow","Principal":"*","Action":"sts:AssumeRole","Resource":"*"}`), "Has prohibited field Resource"},
		{"principal string", Resource, stmt(`{"Effect":"Allow","Principal":"123456789012","Action":"*","Resource":"*"}`), "Statement[0].Principal: must be"},
		{"principal type", Resource, stmt(`{"Effect":"Allow","Principal":{"Group":"x"},"Action":"*","Resource":"*"}`), `unknown principal type "Group"`},
		{"principal wildcard arn", Resource, stmt(`{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:user/*"},"Action":"*","Resource":"*"}`), "Invalid principal in policy"},
		{"principal garbage", Trust, stmt(`{"Effect":"Allow","Principal":{"AWS":"alice"},"Action":"sts:AssumeRole"}`), `Statement[0].Principal.AWS: Invalid principal in policy: "alice"`},
		{"principal bad root", Trust, stmt(`{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::12:root"},"Action":"sts:AssumeRole"}`), "Invalid principal"},
		{"principal empty", Resource, stmt(`{"Effect":"Allow","Principal":{},"Action":"*","Resource":"*"}`), "Statement[0].Principal: is empty"},
		{"sid chars", Identity, stmt(`{"Sid":"my sid","Effect":"Allow","Action":"*","Resource":"*"}`), "Statement[0].Sid"},
		{"duplicate sid", Identity, stmt(`{"Sid":"A","Effect":"Allow","Action":"*","Resource":"*"},{"Sid":"A","Effect":"Deny","Action":"*","Resource":"*"}`), "Statement[1].Sid: Statement IDs (SID) in a single policy must be unique"},
		{"sid type", Identity, stmt(`{"Sid":1,"Effect":"Allow","Action":"*","Resource":"*"}`), "Statement[0].Sid: must be a string"},
		{"condition type", Identity, stmt(`{"Effect":"Allow","Action":"*","Resource":"*","Condition":[]}`), "Statement[0].Condition: must be an object"},
		{"unknown operator", Identity, stmt(`{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"StringEqualz":{"a":"b"}}}`), `Statement[0].Condition: unknown operator "StringEqualz"`},
		{"operator case", Identity, stmt(`{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"stringequals":{"a":"b"}}}`), `unknown operator "stringequals"`},
		{"null ifexists", Identity, stmt(`{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"NullIfExists":{"a":"true"}}}`), `unknown operator "NullIfExists"`},
		{"forall null", Identity, stmt(`{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"ForAllValues:Null":{"a":"true"}}}`), `unknown operator`},
		{"bad set qualifier", Identity, stmt(`{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"ForSomeValues:StringEquals":{"a":"b"}}}`), `unknown operator`},
		{"operator body", Identity, stmt(`{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"StringEquals":"b"}}`), "Statement[0].Condition.StringEquals: must be an object"},
		{"operator empty", Identity, stmt(`{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"StringEquals":{}}}`), "Statement[0].Condition.StringEquals: has no condition keys"},
		{"condition value type", Identity, stmt(`{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"StringEquals":{"a":{"b":1}}}}`), "Statement[0].Condition.StringEquals.a: must be a string, number or boolean"},
		{"condition null value", Identity, stmt(`{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"StringEquals":{"a":null}}}`), "Condition.StringEquals.a"},
		{"numeric", Identity, stmt(`{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"NumericLessThan":{"s3:max-keys":"ten"}}}`), `Statement[0].Condition.NumericLessThan.s3:max-keys: value "ten" is not a number`},
		{"numeric variable", Identity, stmt(`{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"NumericEquals":{"n":"${aws:username}"}}}`), "is not a number"},
		{"date", Identity, stmt(`{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"DateGreaterThan":{"aws:CurrentTime":"yesterday"}}}`), "is not an ISO 8601 date"},
		{"date wildcard", Identity, stmt(`{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"DateEquals":{"aws:CurrentTime":"2020-*"}}}`), "is not an ISO 8601 date"},
		{"bool", Identity, stmt(`{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"Bool":{"aws:SecureTransport":"yes"}}}`), `Bool value "yes" is not true or false`},
		{"null value", Identity, stmt(`{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"Null":{"k":"maybe"}}}`), `Null value "maybe"`},
		{"base64", Identity, stmt(`{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"BinaryEquals":{"k":"not base64!"}}}`), "is not base64"},
		{"cidr", Identity, stmt(`{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"IpAddress":{"aws:SourceIp":"10.0.0.0/33"}}}`), "is not an IP address or CIDR"},
		{"ip", Identity, stmt(`{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"NotIpAddress":{"aws:SourceIp":"10.0.0.256"}}}`), "is not an IP address or CIDR"},
		{"empty condition values", Identity, stmt(`{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"StringEquals":{"k":[]}}}`), "must not be an empty list"},
		{"too big", Identity, `{"Version":"2012-10-17","Id":"` + strings.Repeat("x", maxDocBytes) + `"}`, "larger than"},
		{"too deep", Identity, `{"Statement":` + strings.Repeat("[", 40) + strings.Repeat("]", 40) + `}`, "nested too deeply"},
		{"bad kind", Kind(0), stmt(`{"Effect":"Allow","Action":"*","Resource":"*"}`), "unknown policy kind"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d, err := Parse(tc.doc, tc.kind)
			if err == nil {
				t.Fatalf("Parse succeeded (%d statements), want error containing %q", d.Statements(), tc.want)
			}
			var pe *Error
			if !errors.As(err, &pe) {
				t.Fatalf("error %v is %T, want *Error", err, err)
			}
			if !strings.Contains(pe.Msg, tc.want) {
				t.Fatalf("error %q does not contain %q", pe.Msg, tc.want)
			}
		})
	}
}

func TestParseAccepts(t *testing.T) {
	tests := []struct {
		name    string
		kind    Kind
		doc     string
		version string
		stmts   int
	}{
		{"no version", Identity, `{"Statement":{"Effect":"Allow","Action":"*","Resource":"*"}}`, Version2008, 1},
		{"2008", Identity, `{"Version":"2008-10-17","Statement":[{"Effect":"Deny","Action":"s3:*","Resource":"arn:aws:s3:::${x"}]}`, Version2008, 1},
		{"id and lists", Identity, `{"Version":"2012-10-17","Id":"x","Statement":[{"Sid":"A1","Effect":"Allow","Action":["s3:Get*","ec2:*"],"Resource":["*"]},{"Sid":"","Effect":"Deny","NotAction":"iam:*","NotResource":"arn:aws:s3:::b"}]}`, Version2012, 2},
		{"resource sids are free-form", Resource, `{"Version":"2012-10-17","Statement":[{"Sid":"my sid 1","Effect":"Allow","Principal":{"AWS":["123456789012","arn:aws:iam::123456789012:root","arn:aws:sts::123456789012:assumed-role/R/s","AIDAJQABLZS4A3QDU576Q"],"CanonicalUser":"79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be"},"Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"},{"Sid":"my sid 1","Effect":"Deny","Principal":"*","Action":"s3:*","Resource":"*"}]}`, Version2012, 2},
		{"trust", Trust, `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":{"Service":["ec2.amazonaws.com","lambda.amazonaws.com"]},"Action":["sts:AssumeRole","sts:TagSession"]}}`, Version2012, 1},
		{"typed condition values", Identity, `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"NumericLessThan":{"n":10},"Bool":{"b":true},"DateLessThan":{"d":["2020","2020-01","2020-01-02T03:04Z","2020-01-02T03:04:05.123+01:00",1600000000]},"IpAddress":{"ip":["::1","10.1.2.3/8"]},"ForAnyValue:StringLikeIfExists":{"s":"x*"},"Null":{"k":false}}}}`, Version2012, 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d, err := Parse(tc.doc, tc.kind)
			if err != nil {
				t.Fatal(err)
			}
			if d.Version() != tc.version || d.Statements() != tc.stmts || d.Kind() != tc.kind {
				t.Fatalf("got version %q, %d statements, kind %v", d.Version(), d.Statements(), d.Kind())
			}
		})
	}
}

func TestMatchesPrincipal(t *testing.T) {
	d, err := Parse(`{"Version":"2012-10-17","Statement":[
		{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:role/R"},"Action":"sts:AssumeRole"},
		{"Effect":"Allow","Principal":{"AWS":"444455556666"},"Action":"sts:AssumeRole"},
		{"Effect":"Deny","NotPrincipal":{"AWS":["arn:aws:iam::444455556666:user/bob","444455556666"]},"Action":"sts:AssumeRole"}]}`, Trust)
	if err != nil {
		t.Fatal(err)
	}
	session := Principal{ARN: "arn:aws:sts::111122223333:assumed-role/R/s", Account: "111122223333", RoleARN: "arn:aws:iam::111122223333:role/R"}
	bob := Principal{ARN: "arn:aws:iam::444455556666:user/bob", Account: "444455556666"}
	eve := Principal{ARN: "arn:aws:iam::444455556666:user/eve", Account: "444455556666"}
	for _, tc := range []struct {
		stmt int
		p    Principal
		want bool
	}{
		{0, session, true}, {0, bob, false},
		{1, bob, true}, {1, eve, true}, {1, session, false},
		{2, bob, false}, {2, eve, true}, {2, session, true},
	} {
		if got := d.MatchesPrincipal(tc.stmt, tc.p); got != tc.want {
			t.Errorf("statement %d, %s: got %v, want %v", tc.stmt, tc.p.ARN, got, tc.want)
		}
	}
}

func TestMessage(t *testing.T) {
	d := Decision{Reason: NoIdentityAllow}
	got := d.Message("arn:aws:iam::123456789012:user/alice", "s3:GetObject", "arn:aws:s3:::b/k")
	want := "User: arn:aws:iam::123456789012:user/alice is not authorized to perform: s3:GetObject on resource: arn:aws:s3:::b/k because no identity-based policy allows the s3:GetObject action"
	if got != want {
		t.Fatalf("got  %q\nwant %q", got, want)
	}
	d = Decision{Reason: ExplicitDenyResource}
	if got := d.Message("", "s3:GetObject", "arn:aws:s3:::b/k"); !strings.HasSuffix(got, "with an explicit deny in a resource-based policy") || !strings.HasPrefix(got, "User: anonymous ") {
		t.Fatalf("got %q", got)
	}
}

func TestGlob(t *testing.T) {
	for _, tc := range []struct {
		p, s string
		fold bool
		want bool
	}{
		{"*", "", false, true},
		{"", "", false, true},
		{"", "a", false, false},
		{"a*", "a", false, true},
		{"a*b*c", "aXbYbZc", false, true},
		{"a*b*c", "aXbYbZ", false, false},
		{"a?c", "abc", false, true},
		{"a?c", "ac", false, false},
		{"*log*", "carlossalazar-logs/f", false, true},
		{"ABC", "abc", false, false},
		{"abc", "ABC", true, true},
		{"get*", "GetObject", true, true},
		{"**a", "bba", false, true},
	} {
		if got := globMatch(tc.p, tc.s, tc.fold); got != tc.want {
			t.Errorf("globMatch(%q, %q, %v) = %v", tc.p, tc.s, tc.fold, got)
		}
		tpl, err := compileTemplate(tc.p, false, true)
		if err != nil {
			t.Fatal(err)
		}
		if !tc.fold {
			if got := tpl.match(tc.s, &ctxView{}); got != tc.want {
				t.Errorf("template(%q).match(%q) = %v", tc.p, tc.s, got)
			}
		}
	}
}

// TestPropertyDateFastPath: comparing canonical timestamps as text agrees
// with comparing parsed times.
func TestPropertyDateFastPath(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		a := time.Unix(rapid.Int64Range(-62135596800, 253402300799).Draw(t, "a"), 0).UTC()
		b := time.Unix(rapid.Int64Range(-62135596800, 253402300799).Draw(t, "b"), 0).UTC()
		va := a.Format(canonicalLayout)
		cb := canonicalTime(b)
		if cb == "" {
			t.Fatalf("canonicalTime(%v) empty", b)
		}
		if isCanonicalTime(va) {
			if got, want := strings.Compare(va, cb), a.Compare(b); got != want {
				t.Fatalf("%s vs %s: text %d, time %d", va, cb, got, want)
			}
		} else if a.Day() <= 28 {
			t.Fatalf("%s should take the fast path", va)
		}
		c := condition{op: opDate, cmp: cmpLt, times: []time.Time{b}, canon: []string{cb}}
		if got, want := c.matchAny(va, &ctxView{}), a.Before(b); got != want {
			t.Fatalf("DateLessThan(%s, %s) = %v, want %v", va, cb, got, want)
		}
	})
	for _, bad := range []string{"2024-13-01T00:00:00Z", "2024-02-30T00:00:00Z", "2024-01-01T24:00:00Z", "2024-01-01 00:00:00Z", "2024-01-01T00:00:00+"} {
		if isCanonicalTime(bad) {
			t.Errorf("isCanonicalTime(%q) = true", bad)
		}
	}
}
