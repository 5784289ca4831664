package policy

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"slices"
	"testing"

	"pgregory.net/rapid"
)

// Vocabulary for generated policies and requests: small enough that
// statements often apply, wide enough to reach every evaluation step.
var (
	genActions   = []string{"*", "s3:*", "s3:Get*", "s3:GetObject", "s3:PutObject", "ec2:Describe*", "iam:?etUser", "sts:AssumeRole"}
	genResources = []string{"*", "arn:aws:s3:::b/*", "arn:aws:s3:::b/k", "arn:aws:s3:::*/k", "arn:aws:s3:::b/${aws:username}", "arn:aws:ec2:*:111122223333:instance/*", "arn:aws:iam::*:user/*"}
	genPrincipal = []any{"*", map[string]any{"AWS": "111122223333"}, map[string]any{"AWS": "444455556666"},
		map[string]any{"AWS": "arn:aws:iam::111122223333:user/alice"}, map[string]any{"AWS": "arn:aws:iam::111122223333:role/R"},
		map[string]any{"AWS": "arn:aws:sts::111122223333:assumed-role/R/s"}, map[string]any{"Service": "ec2.amazonaws.com"}}
	genConds = []map[string]any{
		nil,
		{"StringEquals": map[string]any{"aws:username": "alice"}},
		{"StringNotEquals": map[string]any{"aws:username": []string{"bob", "alice"}}},
		{"StringLikeIfExists": map[string]any{"s3:prefix": "home/*"}},
		{"IpAddress": map[string]any{"aws:SourceIp": "10.0.0.0/8"}},
		{"NotIpAddress": map[string]any{"aws:SourceIp": "10.1.0.0/16"}},
		{"Bool": map[string]any{"aws:SecureTransport": "true"}},
		{"ForAllValues:StringEquals": map[string]any{"aws:TagKeys": []string{"a", "b"}}},
		{"ForAnyValue:StringLike": map[string]any{"aws:TagKeys": "a*"}},
		{"Null": map[string]any{"aws:TokenIssueTime": "true"}},
		{"NumericLessThan": map[string]any{"s3:max-keys": 10}},
	}
	genPrincipals = []Principal{
		{ARN: "arn:aws:iam::111122223333:user/alice", Account: "111122223333"},
		{ARN: "arn:aws:iam::111122223333:user/bob", Account: "111122223333"},
		{ARN: "arn:aws:sts::111122223333:assumed-role/R/s", Account: "111122223333", RoleARN: "arn:aws:iam::111122223333:role/R"},
		{ARN: "arn:aws:iam::444455556666:user/carol", Account: "444455556666"},
		{ARN: "arn:aws:iam::111122223333:root", Account: "111122223333", IsRoot: true},
		{Service: "ec2.amazonaws.com"},
		{},
	}
)

func genStatement(t *rapid.T, label string, kind Kind, effect string) map[string]any {
	st := map[string]any{"Effect": effect}
	if effect == "" {
		st["Effect"] = rapid.SampledFrom([]string{"Allow", "Deny"}).Draw(t, label+".effect")
	}
	acts := rapid.SliceOfN(rapid.SampledFrom(genActions), 1, 3).Draw(t, label+".actions")
	if rapid.IntRange(0, 4).Draw(t, label+".not-action") == 0 {
		st["NotAction"] = acts
	} else {
		st["Action"] = acts
	}
	if kind != Trust {
		res := rapid.SliceOfN(rapid.SampledFrom(genResources), 1, 2).Draw(t, label+".resources")
		if rapid.IntRange(0, 4).Draw(t, label+".not-resource") == 0 {
			st["NotResource"] = res
		} else {
			st["Resource"] = res
		}
	}
	if kind == Resource || kind == Trust {
		p := rapid.SampledFrom(genPrincipal).Draw(t, label+".principal")
		if rapid.IntRange(0, 5).Draw(t, label+".not-principal") == 0 {
			st["NotPrincipal"] = p
		} else {
			st["Principal"] = p
		}
	}
	if c := rapid.SampledFrom(genConds).Draw(t, label+".cond"); c != nil {
		st["Condition"] = c
	}
	return st
}

type genPolicy struct {
	kind  Kind
	stmts []map[string]any
}

func (g genPolicy) parse(t *rapid.T) *Document {
	b, err := json.Marshal(map[string]any{"Version": "2012-10-17", "Statement": g.stmts})
	if err != nil {
		t.Fatal(err)
	}
	d, err := Parse(string(b), g.kind)
	if err != nil {
		t.Fatalf("generated policy does not parse: %v\n%s", err, b)
	}
	return d
}

func genPolicies(t *rapid.T, label string, kind Kind, min, max int) []genPolicy {
	n := rapid.IntRange(min, max).Draw(t, label+".n")
	out := make([]genPolicy, n)
	for i := range out {
		out[i].kind = kind
		m := rapid.IntRange(1, 4).Draw(t, fmt.Sprintf("%s[%d].n", label, i))
		for j := 0; j < m; j++ {
			out[i].stmts = append(out[i].stmts, genStatement(t, fmt.Sprintf("%s[%d][%d]", label, i, j), kind, ""))
		}
	}
	return out
}

type genSet struct {
	identity, resource, session []genPolicy
	boundary                    []genPolicy // 0 or 1
}

func (g genSet) build(t *rapid.T) PolicySet {
	named := func(prefix string, ps []genPolicy) []*Named {
		var out []*Named
		for i, p := range ps {
			out = append(out, &Named{ID: fmt.Sprintf("%s%d", prefix, i), Doc: p.parse(t)})
		}
		return out
	}
	set := PolicySet{Identity: named("id", g.identity), Resource: named("res", g.resource), Session: named("sess", g.session)}
	if b := named("bnd", g.boundary); len(b) > 0 {
		set.Boundary = b[0]
	}
	return set
}

func drawSet(t *rapid.T) genSet {
	resKind := rapid.SampledFrom([]Kind{Resource, Resource, Trust}).Draw(t, "resource-kind")
	return genSet{
		identity: genPolicies(t, "identity", Identity, 0, 4),
		resource: genPolicies(t, "resource", resKind, 0, 2),
		boundary: genPolicies(t, "boundary", Boundary, 0, 1),
		session:  genPolicies(t, "session", Session, 0, 2),
	}
}

func drawRequest(t *rapid.T) Request {
	req := Request{
		Principal: rapid.SampledFrom(genPrincipals).Draw(t, "principal"),
		Action:    rapid.SampledFrom([]string{"s3:GetObject", "S3:putobject", "ec2:DescribeVpcs", "iam:GetUser", "sts:AssumeRole"}).Draw(t, "action"),
		Resource:  rapid.SampledFrom([]string{"*", "arn:aws:s3:::b/k", "arn:aws:s3:::b/alice", "arn:aws:s3:::c/k", "arn:aws:ec2:us-east-1:111122223333:instance/i-1", "arn:aws:iam::111122223333:user/alice"}).Draw(t, "resource"),
	}
	req.ResourceAccount = rapid.SampledFrom([]string{"", "111122223333", "444455556666"}).Draw(t, "resource-account")
	keys := []string{"aws:username", "aws:SourceIp", "aws:SecureTransport", "aws:TagKeys", "s3:prefix", "aws:TokenIssueTime", "s3:max-keys"}
	vals := map[string][]string{
		"aws:username": {"alice", "bob"}, "aws:SourceIp": {"10.1.2.3", "10.2.0.1", "192.168.0.1"},
		"aws:SecureTransport": {"true", "false"}, "aws:TagKeys": {"a", "b", "ab", "c"}, "s3:prefix": {"home/x", "tmp/"},
		"aws:TokenIssueTime": {"2020-01-01T00:00:00Z"}, "s3:max-keys": {"5", "50", "x"},
	}
	req.Context = map[string][]string{}
	for _, k := range keys {
		if rapid.Bool().Draw(t, "has "+k) {
			req.Context[k] = rapid.SliceOfN(rapid.SampledFrom(vals[k]), 1, 2).Draw(t, "ctx "+k)
		}
	}
	return req
}

// TestMain raises rapid's default of 100 cases per property: the
// interesting states (an allow about to be broken by one Deny) are a few
// percent of generated sets. -rapid.checks on the command line still wins.
func TestMain(m *testing.M) {
	flag.Parse()
	explicit := false
	flag.Visit(func(f *flag.Flag) { explicit = explicit || f.Name == "rapid.checks" })
	if !explicit {
		_ = flag.Set("rapid.checks", "1000")
	}
	os.Exit(m.Run())
}

// TestPropertyDenyIsMonotonic: adding a Deny statement to any policy never
// turns a denied request into an allowed one.
func TestPropertyDenyIsMonotonic(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		g := drawSet(t)
		req := drawRequest(t)
		before := Evaluate(g.build(t), req)

		// Pick a policy (or a new identity policy) and add a Deny to it.
		type slot struct {
			ps   *[]genPolicy
			kind Kind
		}
		slots := []slot{{&g.identity, Identity}, {&g.resource, Resource}, {&g.boundary, Boundary}, {&g.session, Session}}
		s := rapid.SampledFrom(slots).Draw(t, "deny-slot")
		kind := s.kind
		if len(*s.ps) > 0 {
			kind = (*s.ps)[0].kind
		}
		deny := genStatement(t, "deny", kind, "Deny")
		if rapid.Bool().Draw(t, "targeted") {
			// A Deny that certainly applies to the request (if the policy
			// type applies to the caller at all).
			deny = map[string]any{"Effect": "Deny", "Action": req.Action}
			if kind != Trust {
				deny["Resource"] = "*"
			}
			if kind == Resource || kind == Trust {
				deny["Principal"] = "*"
			}
		}
		if len(*s.ps) == 0 || (s.kind != Boundary && rapid.Bool().Draw(t, "new-policy")) {
			*s.ps = append(*s.ps, genPolicy{kind: kind, stmts: []map[string]any{deny}})
		} else {
			i := rapid.IntRange(0, len(*s.ps)-1).Draw(t, "deny-policy")
			p := &(*s.ps)[i]
			p.stmts = append(slices.Clone(p.stmts), deny)
		}
		after := Evaluate(g.build(t), req)
		if after.Allowed && !before.Allowed {
			t.Fatalf("adding a Deny turned %v into Allowed", before.Reason)
		}
		if before.Reason.Explicit() && !after.Reason.Explicit() {
			t.Fatalf("adding a Deny removed an explicit deny: %v -> %v", before.Reason, after.Reason)
		}
	})
}

// TestPropertyDeterministicOrderIndependent: the decision does not depend on
// evaluation count or on the order of policies within each list.
func TestPropertyDeterministicOrderIndependent(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		g := drawSet(t)
		req := drawRequest(t)
		set := g.build(t)
		d1, d2 := Evaluate(set, req), Evaluate(set, req)
		if fmt.Sprint(d1) != fmt.Sprint(d2) {
			t.Fatalf("not deterministic: %v vs %v", d1, d2)
		}
		shuffled := PolicySet{
			Identity: rapid.Permutation(set.Identity).Draw(t, "perm-identity"),
			Resource: rapid.Permutation(set.Resource).Draw(t, "perm-resource"),
			Boundary: set.Boundary,
			Session:  rapid.Permutation(set.Session).Draw(t, "perm-session"),
		}
		d3 := Evaluate(shuffled, req)
		if d1.Allowed != d3.Allowed || d1.Reason != d3.Reason {
			t.Fatalf("order-dependent: %v/%v vs %v/%v", d1.Allowed, d1.Reason, d3.Allowed, d3.Reason)
		}
		key := func(ms []Match) []string {
			var out []string
			for _, m := range ms {
				out = append(out, fmt.Sprint(m))
			}
			slices.Sort(out)
			return out
		}
		if !slices.Equal(key(d1.Matched), key(d3.Matched)) {
			t.Fatalf("matched statements order-dependent: %v vs %v", d1.Matched, d3.Matched)
		}
		// A normalised (lower-case keys) context decides the same.
		norm := req
		norm.Context = NormalizeContext(req.Context)
		if d4 := Evaluate(set, norm); d4.Allowed != d1.Allowed || d4.Reason != d1.Reason {
			t.Fatalf("normalised context changed the decision")
		}
	})
}
