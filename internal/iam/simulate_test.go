package iam

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/nimbuscloud/nimbus/internal/iam/awsmanaged"
)

// polEffectiveFixture: alice in groups g1 and g2, with inline and attached
// policies on herself and both groups, a duplicate attachment and a
// boundary; P2's default is its second version.
func polEffectiveFixture(t *testing.T, e *polEnv) (p1, p2, p3 ManagedPolicy) {
	ctx := polCtx(polAcctA)
	e.user(t, polAcctA, "alice")
	e.user(t, polAcctA, "carol")
	e.group(t, polAcctA, "g1", "alice")
	e.group(t, polAcctA, "G2", "alice", "carol")
	e.group(t, polAcctA, "g3", "carol")
	p1 = polMust[ManagedPolicy](t)(e.svc.CreatePolicy(ctx, CreatePolicyInput{Name: "P1", Document: polDoc("Allow", "s3:GetObject", "*")}))
	p2 = polMust[ManagedPolicy](t)(e.svc.CreatePolicy(ctx, CreatePolicyInput{Name: "P2", Document: polDoc("Allow", "ec2:Old", "*")}))
	polMust[PolicyVersion](t)(e.svc.CreatePolicyVersion(ctx, p2.ARN, polDoc("Allow", "ec2:DescribeInstances", "*"), true))
	polMust[PolicyVersion](t)(e.svc.CreatePolicyVersion(ctx, p2.ARN, polDoc("Allow", "ec2:NotDefault", "*"), false))
	p3 = polMust[ManagedPolicy](t)(e.svc.CreatePolicy(ctx, CreatePolicyInput{Name: "P3", Document: polDoc("Allow", "s3:*", "*")}))
	polOK(t, e.svc.PutUserPolicy(ctx, "alice", "ai", polDoc("Deny", "s3:DeleteObject", "*")))
	polOK(t, e.svc.AttachUserPolicy(ctx, "alice", p1.ARN))
	polOK(t, e.svc.AttachUserPolicy(ctx, "alice", "arn:aws:iam::aws:policy/ReadOnlyAccess"))
	polOK(t, e.svc.PutGroupPolicy(ctx, "g1", "g1i", polDoc("Allow", "iam:ListUsers", "*")))
	polOK(t, e.svc.AttachGroupPolicy(ctx, "g1", p2.ARN))
	polOK(t, e.svc.AttachGroupPolicy(ctx, "G2", p1.ARN)) // also on alice: counted once
	polOK(t, e.svc.AttachGroupPolicy(ctx, "G2", "arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess"))
	polOK(t, e.svc.PutGroupPolicy(ctx, "g3", "notalice", polDoc("Allow", "*", "*")))
	polOK(t, e.svc.PutUserPermissionsBoundary(ctx, "alice", p3.ARN))
	return p1, p2, p3
}

func TestPolEffectivePolicies(t *testing.T) {
	e := newPolEnv(t)
	p1, p2, p3 := polEffectiveFixture(t, e)
	eff := polMust[Effective](t)(e.svc.EffectivePolicies(t.Context(), polAcctA, KindUser, "ALICE"))
	var ids []string
	docs := map[string]string{}
	for _, d := range eff.Identity {
		ids = append(ids, d.ID)
		docs[d.ID] = d.Document
	}
	want := []string{"user/alice/ai", p1.ARN, "arn:aws:iam::aws:policy/ReadOnlyAccess", "group/g1/g1i", p2.ARN, "arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess"}
	if strings.Join(ids, " ") != strings.Join(want, " ") {
		t.Fatalf("identity ids =\n%v\nwant\n%v", ids, want)
	}
	if docs[p2.ARN] != polDoc("Allow", "ec2:DescribeInstances", "*") {
		t.Fatalf("P2 is not its default version: %s", docs[p2.ARN])
	}
	ro, _ := awsmanaged.Lookup("arn:aws:iam::aws:policy/ReadOnlyAccess")
	if docs[ro.ARN] != ro.Document {
		t.Fatal("AWS managed document not from the catalog")
	}
	if eff.Boundary == nil || eff.Boundary.ID != p3.ARN || eff.Boundary.Document != polDoc("Allow", "s3:*", "*") {
		t.Fatalf("boundary = %+v", eff.Boundary)
	}
	// Roles: inline + attached, AWS managed boundary.
	e.role(t, polAcctA, "/svc/", "app")
	ctx := polCtx(polAcctA)
	polOK(t, e.svc.PutRolePolicy(ctx, "app", "ri", polDoc("Allow", "logs:*", "*")))
	polOK(t, e.svc.AttachRolePolicy(ctx, "app", p1.ARN))
	polOK(t, e.svc.PutRolePermissionsBoundary(ctx, "app", "arn:aws:iam::aws:policy/AmazonS3FullAccess"))
	reff := polMust[Effective](t)(e.svc.EffectivePolicies(t.Context(), polAcctA, KindRole, "app"))
	if len(reff.Identity) != 2 || reff.Identity[0].ID != "role/app/ri" || reff.Identity[1].ID != p1.ARN ||
		reff.Boundary == nil || !strings.Contains(reff.Boundary.Document, "s3:*") {
		t.Fatalf("role effective = %+v", reff)
	}
	// Other accounts and missing principals see nothing.
	_, err := e.svc.EffectivePolicies(t.Context(), polAcctB, KindUser, "alice")
	polWant(t, err, ErrNoSuchEntity, "The user with name alice cannot be found.")
	none := polMust[Effective](t)(e.svc.EffectivePolicies(t.Context(), polAcctA, KindGroup, "g3"))
	if len(none.Identity) != 1 || none.Boundary != nil {
		t.Fatalf("group effective = %+v", none)
	}
	doc := polMust[PolicyDoc](t)(e.svc.ManagedPolicy(t.Context(), polAcctA, p2.ARN))
	if doc.Document != docs[p2.ARN] {
		t.Fatal("ManagedPolicy is not the default version")
	}
	_, err = e.svc.ManagedPolicy(t.Context(), polAcctB, p2.ARN)
	polWant(t, err, ErrNoSuchEntity, "")
}

func TestPolSimulateCustomPolicy(t *testing.T) {
	e := newPolEnv(t)
	allow := `{"Version":"2012-10-17","Statement":[{"Sid":"Read","Effect":"Allow","Action":["s3:GetObject","s3:DeleteObject"],"Resource":"arn:aws:s3:::bucket/*"}]}`
	deny := `{"Version":"2012-10-17","Statement":[{"Sid":"NoDelete","Effect":"Deny","Action":"s3:DeleteObject","Resource":"*"}]}`
	l := polMust[Listing[EvaluationResult]](t)(e.svc.SimulateCustomPolicy(polCtx(polAcctA), SimulateInput{
		PolicyInputList: []string{allow, deny},
		ActionNames:     []string{"s3:GetObject", "s3:DeleteObject", "s3:PutObject"},
		ResourceARNs:    []string{"arn:aws:s3:::bucket/key"},
	}))
	want := []struct{ action, decision, matched string }{
		{"s3:GetObject", "allowed", "PolicyInputList.1"},
		{"s3:DeleteObject", "explicitDeny", "PolicyInputList.2"},
		{"s3:PutObject", "implicitDeny", ""},
	}
	if len(l.Items) != len(want) {
		t.Fatalf("results = %+v", l.Items)
	}
	for i, w := range want {
		r := l.Items[i]
		var matched []string
		for _, m := range r.Matched {
			matched = append(matched, m.SourcePolicyID)
		}
		if r.Action != w.action || r.Decision != w.decision || strings.Join(matched, ",") != w.matched || r.Resource != "arn:aws:s3:::bucket/key" {
			t.Errorf("result %d = %+v, want %+v", i, r, w)
		}
	}
	_, err := e.svc.SimulateCustomPolicy(polCtx(polAcctA), SimulateInput{PolicyInputList: []string{`{"Statement":`}, ActionNames: []string{"s3:GetObject"}})
	polWant(t, err, ErrInvalidInput, "")
	// Boundary input limits an allow.
	l = polMust[Listing[EvaluationResult]](t)(e.svc.SimulateCustomPolicy(polCtx(polAcctA), SimulateInput{
		PolicyInputList: []string{polDoc("Allow", "*", "*")}, BoundaryInputList: []string{polDoc("Allow", "ec2:*", "*")},
		ActionNames: []string{"ec2:RunInstances", "s3:GetObject"},
	}))
	if l.Items[0].Decision != "allowed" || l.Items[1].Decision != "implicitDeny" ||
		l.Items[0].BoundaryAllowed == nil || !*l.Items[0].BoundaryAllowed || *l.Items[1].BoundaryAllowed || l.Items[0].Resource != "*" {
		t.Fatalf("boundary results = %+v", l.Items)
	}
	// Pagination.
	pg := polMust[Listing[EvaluationResult]](t)(e.svc.SimulateCustomPolicy(polCtx(polAcctA), SimulateInput{
		PolicyInputList: []string{polDoc("Allow", "*", "*")}, ActionNames: []string{"a:A", "b:B", "c:C"}, Page: PageInput{MaxItems: 2}}))
	pg2 := polMust[Listing[EvaluationResult]](t)(e.svc.SimulateCustomPolicy(polCtx(polAcctA), SimulateInput{
		PolicyInputList: []string{polDoc("Allow", "*", "*")}, ActionNames: []string{"a:A", "b:B", "c:C"}, Page: PageInput{Marker: pg.Marker}}))
	if !pg.IsTruncated || len(pg2.Items) != 1 || pg2.Items[0].Action != "c:C" {
		t.Fatalf("pages %+v / %+v", pg, pg2)
	}
}

func TestPolSimulatePrincipalPolicy(t *testing.T) {
	e := newPolEnv(t)
	polEffectiveFixture(t, e)
	ctx := polCtx(polAcctA)
	l := polMust[Listing[EvaluationResult]](t)(e.svc.SimulatePrincipalPolicy(ctx, SimulateInput{
		PolicySourceARN: userARN(polAcctA, "/", "alice"),
		ActionNames:     []string{"s3:GetObject", "s3:DeleteObject", "ec2:DescribeInstances", "s3:PutObject"},
	}))
	want := map[string]string{
		"s3:GetObject":          "allowed",      // P1 / ReadOnlyAccess, inside the s3:* boundary
		"s3:DeleteObject":       "explicitDeny", // alice's inline deny
		"ec2:DescribeInstances": "implicitDeny", // allowed by P2 v2 but outside the boundary
		"s3:PutObject":          "implicitDeny", // nothing allows
	}
	for _, r := range l.Items {
		if r.Decision != want[r.Action] {
			t.Errorf("%s: %s, want %s (matched %+v)", r.Action, r.Decision, want[r.Action], r.Matched)
		}
		if r.BoundaryAllowed == nil {
			t.Errorf("%s: no boundary detail", r.Action)
		}
		if r.Action == "s3:DeleteObject" && (len(r.Matched) != 1 || r.Matched[0] != MatchedStatement{"ai", "user"}) {
			t.Errorf("deny matched %+v", r.Matched)
		}
		if r.Action == "s3:GetObject" {
			for _, m := range r.Matched {
				if m.SourcePolicyType != "user-managed" && m.SourcePolicyType != "aws-managed" {
					t.Errorf("allow matched %+v", r.Matched)
				}
			}
		}
	}
	_, err := e.svc.SimulatePrincipalPolicy(ctx, SimulateInput{PolicySourceARN: userARN(polAcctA, "/", "ghost"), ActionNames: []string{"s3:GetObject"}})
	polWant(t, err, ErrNoSuchEntity, "")
	_, err = e.svc.SimulatePrincipalPolicy(ctx, SimulateInput{PolicySourceARN: userARN(polAcctB, "/", "alice"), ActionNames: []string{"s3:GetObject"}})
	polWant(t, err, ErrInvalidInput, "")
}

func TestPolAccountDetailsAndSummary(t *testing.T) {
	e := newPolEnv(t)
	p1, p2, p3 := polEffectiveFixture(t, e)
	e.role(t, polAcctA, "/", "app")
	e.exec(t, `INSERT INTO iam_instance_profiles (account_id, name_key, name, id, path, arn, created_at) VALUES (?, 'web', 'web', 'AIPAWEB', '/', ?, 1)`,
		polAcctA, profileARN(polAcctA, "/", "web"))
	e.exec(t, `INSERT INTO iam_instance_profile_roles (account_id, profile_key, role_key) VALUES (?, 'web', 'app')`, polAcctA)
	ctx := polCtx(polAcctA)
	d := polMust[AuthorizationDetails](t)(e.svc.GetAccountAuthorizationDetails(ctx, nil, PageInput{}))
	if len(d.Users) != 2 || len(d.Groups) != 3 || len(d.Roles) != 1 || d.IsTruncated {
		t.Fatalf("details: %d users %d groups %d roles", len(d.Users), len(d.Groups), len(d.Roles))
	}
	alice := d.Users[0]
	if alice.Name != "alice" || strings.Join(alice.Groups, ",") != "g1,G2" || len(alice.InlinePolicies) != 1 || len(alice.Attached) != 2 || alice.BoundaryARN != p3.ARN {
		t.Fatalf("alice = %+v", alice)
	}
	if len(d.Roles[0].InstanceProfiles) != 1 || d.Roles[0].InstanceProfiles[0].Roles[0].Name != "app" || d.Roles[0].TrustPolicy == "" {
		t.Fatalf("role = %+v", d.Roles[0])
	}
	// Local policies and the AWS managed ones in use, with all versions.
	byARN := map[string]ManagedPolicyDetail{}
	for _, p := range d.Policies {
		byARN[p.ARN] = p
	}
	if len(d.Policies) != 5 || len(byARN[p2.ARN].Versions) != 3 || byARN[p1.ARN].AttachmentCount != 2 {
		t.Fatalf("policies = %d, P2 versions %d", len(d.Policies), len(byARN[p2.ARN].Versions))
	}
	onlyRoles := polMust[AuthorizationDetails](t)(e.svc.GetAccountAuthorizationDetails(ctx, []string{"Role"}, PageInput{}))
	if len(onlyRoles.Users)+len(onlyRoles.Groups)+len(onlyRoles.Policies) != 0 || len(onlyRoles.Roles) != 1 {
		t.Fatalf("Role filter = %+v", onlyRoles)
	}
	// Paging visits every item once.
	total, page := 0, PageInput{MaxItems: 3}
	for {
		pg := polMust[AuthorizationDetails](t)(e.svc.GetAccountAuthorizationDetails(ctx, nil, page))
		total += len(pg.Users) + len(pg.Groups) + len(pg.Roles) + len(pg.Policies)
		if !pg.IsTruncated {
			break
		}
		page.Marker = pg.Marker
	}
	if total != 2+3+1+5 {
		t.Fatalf("paged %d items", total)
	}
	_, err := e.svc.GetAccountAuthorizationDetails(ctx, []string{"Bogus"}, PageInput{})
	polWant(t, err, ErrValidation, "")

	sum := polMust[map[string]int](t)(e.svc.GetAccountSummary(ctx))
	want := map[string]int{"Users": 2, "Groups": 3, "Roles": 1, "Policies": 3, "InstanceProfiles": 1, "AttachedPoliciesPerUserQuota": 10,
		"AccessKeysPerUserQuota": 2, "AccountMFAEnabled": 0, "PolicySizeQuota": 6144, "UserPolicySizeQuota": 2048}
	for k, v := range want {
		if got, ok := sum[k]; !ok || got != v {
			t.Errorf("summary %s = %d (%v), want %d", k, got, ok, v)
		}
	}
	if len(sum) != 34 {
		t.Errorf("summary has %d keys, AWS has 34", len(sum))
	}
}

// SimulatePrincipalPolicy is authorized on the entity it evaluates: the
// entity found by name must have the ARN given, path included, or it is
// NoSuchEntity; permission on a made-up ARN of the same name is not
// permission on the real one.
func TestEntSimulatePrincipalPolicyAuthorizesStoredARN(t *testing.T) {
	e := newEntEnv(t)
	ctx := e.root(e.acctA)
	entMust[User](t)(e.svc.CreateUser(ctx, CreateUserInput{UserName: "root", Path: "/admins/"}))
	entDo(t, e.svc.PutUserPolicy(ctx, "root", "all", polDoc("Allow", "*", "*")))
	entMust[User](t)(e.svc.CreateUser(ctx, CreateUserInput{UserName: "bob", Path: "/sandbox/"}))
	sandbox := "arn:aws:iam::" + e.acctA + ":user/sandbox/"
	e.az.allow = func(action, resource string, _ map[string][]string) bool {
		return action != "iam:SimulatePrincipalPolicy" || strings.HasPrefix(resource, sandbox)
	}
	sim := func(arn string) (Listing[EvaluationResult], error) {
		return e.svc.SimulatePrincipalPolicy(ctx, SimulateInput{PolicySourceARN: arn, ActionNames: []string{"s3:GetObject"}})
	}
	l, err := sim(sandbox + "root")
	entWantErr(t, err, ErrNoSuchEntity, "The user with name root cannot be found.")
	if len(l.Items) != 0 {
		t.Fatalf("results for a mismatched ARN: %+v", l.Items)
	}
	var denied *entDenied
	if _, err := sim("arn:aws:iam::" + e.acctA + ":user/admins/root"); !errors.As(err, &denied) {
		t.Fatalf("simulating user/admins/root: err = %v, want a denial", err)
	}
	// Outside the caller's reach, a missing user is a denial, not NoSuchEntity.
	if _, err := sim("arn:aws:iam::" + e.acctA + ":user/admins/ghost"); !errors.As(err, &denied) {
		t.Fatalf("simulating a missing user: err = %v, want a denial", err)
	}
	l, err = sim(sandbox + "BOB")
	if err != nil || len(l.Items) != 1 || l.Items[0].Decision != "implicitDeny" {
		t.Fatalf("simulating bob = %+v, %v", l, err)
	}
	if c := e.az.last(); c.action != "iam:SimulatePrincipalPolicy" || c.resource != sandbox+"bob" {
		t.Fatalf("authorized %+v, want the stored ARN", c)
	}
}

// Simulate* refuses more than maxSimulatePairs action x resource pairs and
// pages through the grid action by action.
func TestPolSimulateGridCapAndPaging(t *testing.T) {
	e := newPolEnv(t)
	e.user(t, polAcctA, "alice")
	ctx := polCtx(polAcctA)
	names := func(prefix string, n int) []string {
		out := make([]string, n)
		for i := range out {
			out[i] = fmt.Sprintf("%s%d", prefix, i)
		}
		return out
	}
	allow := []string{polDoc("Allow", "*", "*")}
	for _, tc := range []struct {
		actions, resources int
		ok                 bool
	}{
		{1000, 0, true}, {1001, 0, false}, {1, 1000, true}, {1, 1001, false},
		{10, 100, true}, {11, 100, false}, {40, 40, false},
	} {
		in := SimulateInput{PolicyInputList: allow, ActionNames: names("s3:A", tc.actions), ResourceARNs: names("arn:aws:s3:::b/", tc.resources)}
		_, err := e.svc.SimulateCustomPolicy(ctx, in)
		in.PolicySourceARN = userARN(polAcctA, "/", "alice")
		_, perr := e.svc.SimulatePrincipalPolicy(ctx, in)
		for _, err := range []error{err, perr} {
			if tc.ok && err != nil {
				t.Errorf("%d x %d: %v", tc.actions, tc.resources, err)
			}
			if !tc.ok {
				if !errors.Is(err, ErrValidation) || !strings.Contains(err.Error(), "at most 1000 action and resource pairs") {
					t.Errorf("%d x %d: err = %v, want the pair cap", tc.actions, tc.resources, err)
				}
			}
		}
	}
	// 3 actions x 2 resources, 4 per page: action-major order, then the rest.
	in := SimulateInput{PolicyInputList: allow, ActionNames: []string{"a:A", "b:B", "c:C"}, ResourceARNs: []string{"r1", "r2"}, Page: PageInput{MaxItems: 4}}
	var got []string
	for i := 0; ; i++ {
		l := polMust[Listing[EvaluationResult]](t)(e.svc.SimulateCustomPolicy(ctx, in))
		for _, r := range l.Items {
			got = append(got, r.Action+"@"+r.Resource)
		}
		if !l.IsTruncated || i > 3 {
			break
		}
		in.Page.Marker = l.Marker
	}
	if s := strings.Join(got, " "); s != "a:A@r1 a:A@r2 b:B@r1 b:B@r2 c:C@r1 c:C@r2" {
		t.Fatalf("pages = %s", s)
	}
	for _, marker := range []string{encodeMarker("00000006"), encodeMarker("-1"), encodeMarker("x"), "garbage"} {
		in.Page.Marker = marker
		if _, err := e.svc.SimulateCustomPolicy(ctx, in); !errors.Is(err, ErrInvalidInput) {
			t.Errorf("marker %q: err = %v, want InvalidInput", marker, err)
		}
	}
}
