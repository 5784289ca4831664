package iam

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/nimbuscloud/nimbus/internal/iam/awsmanaged"
)

func TestPolVersionsLifecycle(t *testing.T) {
	e := newPolEnv(t)
	ctx := polCtx(polAcctA)
	p := polMust[ManagedPolicy](t)(e.svc.CreatePolicy(ctx, CreatePolicyInput{Name: "Ops", Path: "/team/", Document: polDoc("Allow", "s3:*", "*"),
		Description: "ops", Tags: []Tag{{Key: "env", Value: "prod"}}}))
	if p.ARN != "arn:aws:iam::"+polAcctA+":policy/team/Ops" || p.DefaultVersionID != "v1" || !strings.HasPrefix(p.ID, "ANPA") || len(p.ID) != 21 {
		t.Fatalf("created %+v", p)
	}
	_, err := e.svc.CreatePolicy(ctx, CreatePolicyInput{Name: "OPS", Document: polDoc("Allow", "s3:*", "*")})
	polWant(t, err, ErrEntityAlreadyExists, "A policy called OPS already exists. Duplicate names are not allowed.")

	for i := 2; i <= 5; i++ {
		v := polMust[PolicyVersion](t)(e.svc.CreatePolicyVersion(ctx, p.ARN, polDoc("Allow", fmt.Sprintf("ec2:Action%d", i), "*"), false))
		if v.VersionID != fmt.Sprintf("v%d", i) || v.IsDefault {
			t.Fatalf("version %d: %+v", i, v)
		}
	}
	_, err = e.svc.CreatePolicyVersion(ctx, p.ARN, polDoc("Allow", "ec2:X", "*"), true)
	polWant(t, err, ErrLimitExceeded, "A managed policy can have up to 5 versions. Before you create a new version, you must delete an existing version.")

	polWant(t, e.svc.DeletePolicyVersion(ctx, p.ARN, "v1"), ErrDeleteConflict, "Cannot delete the default version of a policy.")
	polWant(t, e.svc.DeletePolicyVersion(ctx, p.ARN, "v9"), ErrNoSuchEntity, "Policy "+p.ARN+" version v9 does not exist or is not attachable.")
	polWant(t, e.svc.SetDefaultPolicyVersion(ctx, p.ARN, "v7"), ErrNoSuchEntity, "")
	before := e.chg.count()
	polOK(t, e.svc.SetDefaultPolicyVersion(ctx, p.ARN, "v3"))
	if e.chg.count() != before+1 {
		t.Fatal("SetDefaultPolicyVersion did not report a permissions change")
	}
	got := polMust[ManagedPolicy](t)(e.svc.GetPolicy(ctx, p.ARN))
	if got.DefaultVersionID != "v3" || len(got.Tags) != 1 || got.Description != "ops" {
		t.Fatalf("GetPolicy = %+v", got)
	}
	polOK(t, e.svc.DeletePolicyVersion(ctx, p.ARN, "v1"))
	// Version numbers are never reused after a delete.
	v6 := polMust[PolicyVersion](t)(e.svc.CreatePolicyVersion(ctx, p.ARN, polDoc("Allow", "ec2:Six", "*"), true))
	if v6.VersionID != "v6" || !v6.IsDefault {
		t.Fatalf("v6 = %+v", v6)
	}
	vs := polMust[Listing[PolicyVersion]](t)(e.svc.ListPolicyVersions(ctx, p.ARN, PageInput{}))
	var ids []string
	for _, v := range vs.Items {
		ids = append(ids, fmt.Sprintf("%s:%v", v.VersionID, v.IsDefault))
	}
	if strings.Join(ids, ",") != "v6:true,v5:false,v4:false,v3:false,v2:false" {
		t.Fatalf("versions = %v", ids)
	}
	doc := polMust[PolicyVersion](t)(e.svc.GetPolicyVersion(ctx, p.ARN, "v4"))
	if doc.Document != polDoc("Allow", "ec2:Action4", "*") {
		t.Fatalf("v4 document = %s", doc.Document)
	}
	// Pagination over versions.
	pg := polMust[Listing[PolicyVersion]](t)(e.svc.ListPolicyVersions(ctx, p.ARN, PageInput{MaxItems: 2}))
	pg2 := polMust[Listing[PolicyVersion]](t)(e.svc.ListPolicyVersions(ctx, p.ARN, PageInput{MaxItems: 10, Marker: pg.Marker}))
	if !pg.IsTruncated || len(pg.Items) != 2 || pg2.IsTruncated || len(pg2.Items) != 3 || pg2.Items[0].VersionID != "v4" {
		t.Fatalf("pages: %+v / %+v", pg, pg2)
	}

	polWant(t, e.svc.DeletePolicy(ctx, p.ARN), ErrDeleteConflict,
		"This policy has more than one version. Before you delete a policy, you must delete the policy's versions. The default version is deleted with the policy.")
	for _, v := range []string{"v2", "v3", "v4", "v5"} {
		polOK(t, e.svc.DeletePolicyVersion(ctx, p.ARN, v))
	}
	polOK(t, e.svc.DeletePolicy(ctx, p.ARN))
	_, err = e.svc.GetPolicy(ctx, p.ARN)
	polWant(t, err, ErrNoSuchEntity, "Policy "+p.ARN+" was not found.")
	// Its tags went with it.
	tags := polMust[Listing[Tag]](t)(e.svc.ListPolicyTags(polCtx(polAcctA), "arn:aws:iam::aws:policy/AdministratorAccess", PageInput{}))
	if len(tags.Items) != 0 {
		t.Fatal("AWS managed policy has tags")
	}
}

func TestPolManagedSizeAndMalformed(t *testing.T) {
	e := newPolEnv(t)
	ctx := polCtx(polAcctA)
	big := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::` + strings.Repeat("b", 6100) + `"}]}`
	_, err := e.svc.CreatePolicy(ctx, CreatePolicyInput{Name: "Big", Document: big})
	polWant(t, err, ErrLimitExceeded, "Cannot exceed quota for PolicySize: 6144")
	// Whitespace does not count.
	spaced := strings.Replace(polDoc("Allow", "s3:*", "*"), ",", ","+strings.Repeat(" ", 7000), 1)
	polMust[ManagedPolicy](t)(e.svc.CreatePolicy(ctx, CreatePolicyInput{Name: "Spaced", Document: spaced}))

	for _, doc := range []string{`{"Version":"2012-10-17"`, `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*","Principal":"*"}]}`, `not json`} {
		_, err := e.svc.CreatePolicy(ctx, CreatePolicyInput{Name: "Bad", Document: doc})
		polWant(t, err, ErrMalformedPolicy, "")
	}
	l := polMust[Listing[ManagedPolicy]](t)(e.svc.ListPolicies(ctx, ListPoliciesInput{Scope: "Local"}))
	if len(l.Items) != 1 || l.Items[0].Name != "Spaced" {
		t.Fatalf("malformed policy stored: %+v", l.Items)
	}
	arn := l.Items[0].ARN
	_, err = e.svc.CreatePolicyVersion(ctx, arn, `{"Statement":"x"}`, true)
	polWant(t, err, ErrMalformedPolicy, "")
	vs := polMust[Listing[PolicyVersion]](t)(e.svc.ListPolicyVersions(ctx, arn, PageInput{}))
	if len(vs.Items) != 1 {
		t.Fatalf("malformed version stored: %+v", vs.Items)
	}
	e.user(t, polAcctA, "alice")
	polWant(t, e.svc.PutUserPolicy(ctx, "alice", "p", `{"Version":"2012-10-17","Statement":[]`), ErrMalformedPolicy, "")
	names := polMust[Listing[string]](t)(e.svc.ListUserPolicies(ctx, "alice", PageInput{}))
	if len(names.Items) != 0 {
		t.Fatalf("malformed inline policy stored: %v", names.Items)
	}
}

func TestPolAWSManaged(t *testing.T) {
	e := newPolEnv(t)
	ctx := polCtx(polAcctA)
	l := polMust[Listing[ManagedPolicy]](t)(e.svc.ListPolicies(ctx, ListPoliciesInput{Scope: "AWS", Page: PageInput{MaxItems: 1000}}))
	if len(l.Items) != len(awsmanaged.All()) || l.IsTruncated {
		t.Fatalf("Scope=AWS listed %d, catalog has %d", len(l.Items), len(awsmanaged.All()))
	}
	admin := "arn:aws:iam::aws:policy/AdministratorAccess"
	p := polMust[ManagedPolicy](t)(e.svc.GetPolicy(ctx, admin))
	if p.Name != "AdministratorAccess" || p.DefaultVersionID != "v1" || !p.IsAttachable || p.AttachmentCount != 0 {
		t.Fatalf("GetPolicy(admin) = %+v", p)
	}
	v := polMust[PolicyVersion](t)(e.svc.GetPolicyVersion(ctx, admin, "v1"))
	a, _ := awsmanaged.Lookup(admin)
	if v.Document != a.Document || !v.IsDefault {
		t.Fatalf("admin v1 = %+v", v)
	}
	_, err := e.svc.CreatePolicyVersion(ctx, admin, polDoc("Allow", "*", "*"), true)
	polWant(t, err, ErrUnmodifiableEntity, "")
	polWant(t, e.svc.DeletePolicy(ctx, admin), ErrUnmodifiableEntity, "")
	_, err = e.svc.GetPolicy(ctx, "arn:aws:iam::aws:policy/NotShipped")
	polWant(t, err, ErrNoSuchEntity, "Policy arn:aws:iam::aws:policy/NotShipped was not found.")

	// AttachmentCount is per account.
	e.user(t, polAcctA, "alice")
	polOK(t, e.svc.AttachUserPolicy(ctx, "alice", admin))
	if got := polMust[ManagedPolicy](t)(e.svc.GetPolicy(ctx, admin)); got.AttachmentCount != 1 {
		t.Fatalf("count in A = %d", got.AttachmentCount)
	}
	if got := polMust[ManagedPolicy](t)(e.svc.GetPolicy(polCtx(polAcctB), admin)); got.AttachmentCount != 0 {
		t.Fatalf("count in B = %d", got.AttachmentCount)
	}
	attached := polMust[Listing[ManagedPolicy]](t)(e.svc.ListPolicies(ctx, ListPoliciesInput{OnlyAttached: true}))
	if len(attached.Items) != 1 || attached.Items[0].ARN != admin {
		t.Fatalf("OnlyAttached = %+v", attached.Items)
	}
	// Pagination across the whole (AWS + local) list visits every policy once.
	polMust[ManagedPolicy](t)(e.svc.CreatePolicy(ctx, CreatePolicyInput{Name: "Mine", Document: polDoc("Allow", "s3:*", "*")}))
	var seen []string
	page := PageInput{MaxItems: 5}
	for {
		l := polMust[Listing[ManagedPolicy]](t)(e.svc.ListPolicies(ctx, ListPoliciesInput{Page: page}))
		for _, p := range l.Items {
			seen = append(seen, p.ARN)
		}
		if !l.IsTruncated {
			break
		}
		page.Marker = l.Marker
	}
	unique := slices.Compact(slices.Sorted(slices.Values(seen)))
	if len(seen) != len(awsmanaged.All())+1 || len(unique) != len(seen) {
		t.Fatalf("paged %d policies, %d distinct", len(seen), len(unique))
	}
}

func TestPolCrossAccountIsolation(t *testing.T) {
	e := newPolEnv(t)
	a, b := polCtx(polAcctA), polCtx(polAcctB)
	p := polMust[ManagedPolicy](t)(e.svc.CreatePolicy(a, CreatePolicyInput{Name: "Shared", Document: polDoc("Allow", "s3:*", "*")}))
	e.user(t, polAcctB, "bob")
	e.user(t, polAcctA, "alice")

	_, err := e.svc.GetPolicy(b, p.ARN)
	polWant(t, err, ErrNoSuchEntity, "")
	polWant(t, e.svc.AttachUserPolicy(b, "bob", p.ARN), ErrNoSuchEntity, "Policy "+p.ARN+" does not exist or is not attachable.")
	polWant(t, e.svc.AttachUserPolicy(b, "alice", p.ARN), ErrNoSuchEntity, "The user with name alice cannot be found.")
	_, err = e.svc.CreatePolicyVersion(b, p.ARN, polDoc("Allow", "*", "*"), true)
	polWant(t, err, ErrNoSuchEntity, "")
	polWant(t, e.svc.DeletePolicy(b, p.ARN), ErrNoSuchEntity, "")
	// B may create a policy with the same name: names are per account.
	polMust[ManagedPolicy](t)(e.svc.CreatePolicy(b, CreatePolicyInput{Name: "Shared", Document: polDoc("Allow", "ec2:*", "*")}))
	l := polMust[Listing[ManagedPolicy]](t)(e.svc.ListPolicies(b, ListPoliciesInput{Scope: "Local"}))
	if len(l.Items) != 1 || !strings.Contains(l.Items[0].ARN, polAcctB) {
		t.Fatalf("B sees %+v", l.Items)
	}
	d := polMust[AuthorizationDetails](t)(e.svc.GetAccountAuthorizationDetails(b, nil, PageInput{}))
	if len(d.Users) != 1 || d.Users[0].Name != "bob" || len(d.Policies) != 1 {
		t.Fatalf("B details = %+v", d)
	}
	// No caller: refused.
	_, err = e.svc.ListPolicies(t.Context(), ListPoliciesInput{})
	polWant(t, err, ErrNoCaller, "")
}

// CreatePolicy enforces PoliciesPerAccount in its transaction.
func TestPolCreatePolicyQuota(t *testing.T) {
	e := newPolEnv(t)
	ctx := polCtx(polAcctA)
	for i := 0; i < maxPoliciesPerAccount-1; i++ {
		arn := policyARN(polAcctA, "/", fmt.Sprintf("p%d", i))
		e.exec(t, `INSERT INTO iam_policies (account_id, arn, name_key, name, id, path, default_version, next_version, created_at, updated_at)
			VALUES (?, ?, ?, ?, ?, '/', 'v1', 2, 0, 0)`, polAcctA, arn, fmt.Sprintf("p%d", i), fmt.Sprintf("p%d", i), fmt.Sprintf("ANPA%d", i))
	}
	doc := polDoc("Allow", "s3:*", "*")
	polMust[ManagedPolicy](t)(e.svc.CreatePolicy(ctx, CreatePolicyInput{Name: "last", Document: doc}))
	_, err := e.svc.CreatePolicy(ctx, CreatePolicyInput{Name: "onemore", Document: doc})
	polWant(t, err, ErrLimitExceeded, "Cannot exceed quota for PoliciesPerAccount: 1500")
	l := polMust[Listing[ManagedPolicy]](t)(e.svc.ListPolicies(ctx, ListPoliciesInput{Scope: "Local", PathPrefix: "/", Page: PageInput{Marker: encodeMarker("onemore"), MaxItems: 1}}))
	if len(l.Items) != 1 || l.Items[0].Name != "p0" {
		t.Fatalf("after the refused create: %+v", l.Items)
	}
	// Another account has its own quota.
	polMust[ManagedPolicy](t)(e.svc.CreatePolicy(polCtx(polAcctB), CreatePolicyInput{Name: "onemore", Document: doc}))
	// Deleting one makes room again.
	polOK(t, e.svc.DeletePolicy(ctx, policyARN(polAcctA, "/", "last")))
	polMust[ManagedPolicy](t)(e.svc.CreatePolicy(ctx, CreatePolicyInput{Name: "onemore", Document: doc}))
}

// ListPolicies pages the customer managed policies from the marker and
// merges them with the AWS catalog: small pages give exactly the one-page
// listing, for every filter.
func TestPolListPoliciesPaging(t *testing.T) {
	e := newPolEnv(t)
	ctx := polCtx(polAcctA)
	doc := polDoc("Allow", "s3:*", "*")
	for _, p := range []struct{ name, path string }{
		{"aaa", "/"}, {"AdministratorAccess", "/team/"}, {"administratoraccess-x", "/"}, {"Amazon", "/team/"},
		{"mmm", "/"}, {"ReadOnlyAccess", "/"}, {"zzz", "/team/"}, {"Z-last", "/"},
	} {
		polMust[ManagedPolicy](t)(e.svc.CreatePolicy(ctx, CreatePolicyInput{Name: p.name, Path: p.path, Document: doc}))
	}
	e.user(t, polAcctA, "alice")
	polOK(t, e.svc.AttachUserPolicy(ctx, "alice", policyARN(polAcctA, "/", "mmm")))
	polOK(t, e.svc.AttachUserPolicy(ctx, "alice", "arn:aws:iam::aws:policy/ReadOnlyAccess"))
	polOK(t, e.svc.PutUserPermissionsBoundary(ctx, "alice", policyARN(polAcctA, "/team/", "zzz")))
	list := func(in ListPoliciesInput) []string {
		var out []string
		for i := 0; ; i++ {
			l := polMust[Listing[ManagedPolicy]](t)(e.svc.ListPolicies(ctx, in))
			for _, p := range l.Items {
				out = append(out, p.ARN)
			}
			if !l.IsTruncated || i > 1000 {
				return out
			}
			if len(l.Items) != in.Page.MaxItems {
				t.Fatalf("truncated page of %d items, want %d", len(l.Items), in.Page.MaxItems)
			}
			in.Page.Marker = l.Marker
		}
	}
	for _, in := range []ListPoliciesInput{
		{}, {Scope: "Local"}, {Scope: "AWS"}, {PathPrefix: "/team/"}, {OnlyAttached: true},
		{UsageFilter: "PermissionsBoundary"}, {Scope: "Local", UsageFilter: "PermissionsPolicy", OnlyAttached: true},
	} {
		in.Page.MaxItems = 1000
		want := list(in)
		if len(want) == 0 {
			t.Fatalf("%+v lists nothing", in)
		}
		for _, n := range []int{1, 2, 3, 7} {
			in.Page = PageInput{MaxItems: n}
			if got := list(in); strings.Join(got, " ") != strings.Join(want, " ") {
				t.Errorf("%+v by %d:\n%v\nwant\n%v", in, n, got, want)
			}
		}
	}
	all := list(ListPoliciesInput{Page: PageInput{MaxItems: 1000}})
	if len(all) != len(awsmanaged.All())+8 {
		t.Fatalf("listed %d, want %d", len(all), len(awsmanaged.All())+8)
	}
}
