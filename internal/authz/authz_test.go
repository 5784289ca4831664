package authz

import (
	"context"
	"errors"
	"net/netip"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/nimbuscloud/nimbus/internal/caller"
	"github.com/nimbuscloud/nimbus/internal/iam"
	"github.com/nimbuscloud/nimbus/internal/secret"
)

const acct = "111122223333"

// fakePolicies is a PolicySource double: IAM's storage is tested in
// internal/iam; here the authorizer's own logic is under test.
type fakePolicies struct {
	byPrincipal map[string]iam.Effective
	managed     map[string]string
	tags        map[string]map[string]string
	loads       int
}

func (f *fakePolicies) EffectivePolicies(_ context.Context, _, kind, name string) (iam.Effective, error) {
	f.loads++
	return f.byPrincipal[kind+"/"+name], nil
}

func (f *fakePolicies) PrincipalTags(_ context.Context, _, kind, name string) (map[string]string, error) {
	return f.tags[kind+"/"+name], nil
}

func (f *fakePolicies) ManagedPolicy(_ context.Context, _, arn string) (iam.PolicyDoc, error) {
	d, ok := f.managed[arn]
	if !ok {
		return iam.PolicyDoc{}, iam.ErrNoSuchEntity
	}
	return iam.PolicyDoc{ID: arn, Document: d}, nil
}

func doc(effect, action, resource string) string {
	return `{"Version":"2012-10-17","Statement":[{"Effect":"` + effect + `","Action":"` + action + `","Resource":"` + resource + `"}]}`
}

func user(name string) *caller.Caller {
	return &caller.Caller{Time: time.Unix(1_700_000_000, 0), Region: "us-east-1", SourceIP: netip.MustParseAddr("127.0.0.1"),
		Principal: caller.Principal{Type: caller.User, AccountID: acct, ARN: "arn:aws:iam::" + acct + ":user/" + name, UserID: "AIDA" + name, Name: name}}
}

func TestAuthorize(t *testing.T) {
	src := &fakePolicies{byPrincipal: map[string]iam.Effective{
		"user/alice": {Identity: []iam.PolicyDoc{{ID: "p1", Document: doc("Allow", "s3:GetObject", "arn:aws:s3:::b/*")}}},
		"user/bob": {
			Identity: []iam.PolicyDoc{{ID: "all", Document: doc("Allow", "*", "*")}},
			Boundary: &iam.PolicyDoc{ID: "boundary", Document: doc("Allow", "ec2:Describe*", "*")},
		},
		"user/carol": {Identity: []iam.PolicyDoc{
			{ID: "all", Document: doc("Allow", "*", "*")},
			{ID: "deny", Document: doc("Deny", "iam:*", "*")},
		}},
		"role/R": {Identity: []iam.PolicyDoc{{ID: "all", Document: doc("Allow", "*", "*")}}},
	}, managed: map[string]string{"arn:aws:iam::aws:policy/ReadOnly": doc("Allow", "ec2:Describe*", "*")}}
	a := New(src, Options{})
	role := &caller.Caller{Principal: caller.Principal{Type: caller.AssumedRole, AccountID: acct, Name: "R",
		ARN: "arn:aws:sts::" + acct + ":assumed-role/R/s", RoleARN: "arn:aws:iam::" + acct + ":role/R", AccessKeyID: "ASIA1",
		Session: &caller.Session{Kind: caller.SessionAssumeRole, PolicyARNs: []string{"arn:aws:iam::aws:policy/ReadOnly"}}}}
	tokenUser := user("carol")
	tokenUser.Principal.Session = &caller.Session{Kind: caller.SessionGetSessionToken}
	root := &caller.Caller{Principal: caller.Principal{Type: caller.Root, AccountID: acct, ARN: "arn:aws:iam::" + acct + ":root"}}
	tests := []struct {
		name     string
		c        *caller.Caller
		action   string
		resource string
		allowed  bool
		reason   string
	}{
		{"allowed by identity policy", user("alice"), "s3:GetObject", "arn:aws:s3:::b/k", true, ""},
		{"other bucket", user("alice"), "s3:GetObject", "arn:aws:s3:::c/k", false, "because no identity-based policy allows the s3:GetObject action"},
		{"other service", user("alice"), "ec2:DescribeInstances", "*", false, "because no identity-based policy allows the ec2:DescribeInstances action"},
		{"boundary allows", user("bob"), "ec2:DescribeRegions", "*", true, ""},
		{"boundary limits", user("bob"), "iam:CreateUser", "*", false, "because no permissions boundary allows the iam:CreateUser action"},
		{"explicit deny wins", user("carol"), "iam:ListUsers", "*", false, "with an explicit deny in an identity-based policy"},
		{"session policy limits a role", role, "iam:ListUsers", "*", false, "session policy"},
		{"session policy allows", role, "ec2:DescribeRegions", "*", true, ""},
		{"GetSessionToken credentials cannot call IAM", tokenUser, "iam:ListUsers", "*", false, "GetSessionToken"},
		{"GetSessionToken credentials may assume roles", tokenUser, "sts:AssumeRole", "*", true, ""},
		{"root in its own account", root, "iam:CreateUser", "arn:aws:iam::" + acct + ":user/x", true, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := a.Authorize(caller.With(context.Background(), tt.c), tt.action, tt.resource, nil)
			var d *Denied
			if tt.allowed {
				if err != nil {
					t.Fatalf("want allowed, got %v", err)
				}
				return
			}
			if !errors.As(err, &d) || !strings.Contains(d.Message, tt.reason) || !strings.Contains(d.Message, tt.action) {
				t.Fatalf("want denial with %q, got %v", tt.reason, err)
			}
		})
	}
}

func TestTrustPolicyAndCrossAccount(t *testing.T) {
	other := "444455556666"
	src := &fakePolicies{byPrincipal: map[string]iam.Effective{
		"user/alice": {Identity: []iam.PolicyDoc{{ID: "p", Document: doc("Allow", "sts:AssumeRole", "*")}}},
		"user/dave":  {},
	}}
	a := New(src, Options{})
	trustAcct := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"` + acct + `"},"Action":"sts:AssumeRole"}]}`
	trustDave := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::` + acct + `:user/dave"},"Action":"sts:AssumeRole"}]}`
	ctx := func(name string) context.Context { return caller.With(context.Background(), user(name)) }
	sameRole := "arn:aws:iam::" + acct + ":role/R"
	otherRole := "arn:aws:iam::" + other + ":role/R"
	// same account, trust names the account: the identity side must allow
	if err := a.AuthorizeWithPolicy(ctx("alice"), "sts:AssumeRole", sameRole, acct, trustAcct, nil); err != nil {
		t.Fatalf("alice: %v", err)
	}
	if err := a.AuthorizeWithPolicy(ctx("dave"), "sts:AssumeRole", sameRole, acct, trustAcct, nil); err == nil {
		t.Fatal("dave has no identity allow and the trust names only the account")
	}
	// same account, trust names dave himself: enough on its own
	if err := a.AuthorizeWithPolicy(ctx("dave"), "sts:AssumeRole", sameRole, acct, trustDave, nil); err != nil {
		t.Fatalf("dave named in trust: %v", err)
	}
	// cross account: both sides must allow
	if err := a.AuthorizeWithPolicy(ctx("alice"), "sts:AssumeRole", otherRole, other, trustAcct, nil); err != nil {
		t.Fatalf("alice cross-account: %v", err)
	}
	if err := a.AuthorizeWithPolicy(ctx("dave"), "sts:AssumeRole", otherRole, other, trustDave, nil); err == nil {
		t.Fatal("cross-account needs dave's own policy too")
	}
	noTrust := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::999999999999:root"},"Action":"sts:AssumeRole"}]}`
	if err := a.AuthorizeWithPolicy(ctx("alice"), "sts:AssumeRole", otherRole, other, noTrust, nil); err == nil {
		t.Fatal("cross-account without trust")
	}
}

func TestCacheInvalidationAndEncodedMessages(t *testing.T) {
	now := time.Unix(1_700_000_000, 0)
	src := &fakePolicies{byPrincipal: map[string]iam.Effective{"user/alice": {}}}
	box, _, err := secret.LoadOrCreate(filepath.Join(t.TempDir(), "k"))
	if err != nil {
		t.Fatal(err)
	}
	a := New(src, Options{Now: func() time.Time { return now }, TTL: 2 * time.Second, Box: box})
	ctx := caller.With(context.Background(), user("alice"))
	err = a.Authorize(ctx, "ec2:DescribeRegions", "*", map[string][]string{"ec2:Region": {"us-east-1"}})
	var d *Denied
	if !errors.As(err, &d) || d.Encoded == "" {
		t.Fatalf("want an encoded denial, got %v", err)
	}
	a.Authorize(ctx, "ec2:DescribeRegions", "*", nil)
	if src.loads != 1 {
		t.Fatalf("second decision should hit the cache: %d loads", src.loads)
	}
	src.byPrincipal["user/alice"] = iam.Effective{Identity: []iam.PolicyDoc{{ID: "p", Document: doc("Allow", "ec2:*", "*")}}}
	a.PermissionsChanged(acct)
	if err := a.Authorize(ctx, "ec2:DescribeRegions", "*", nil); err != nil {
		t.Fatalf("after a reported change: %v", err)
	}
	// A change made elsewhere shows after the TTL.
	src.byPrincipal["user/alice"] = iam.Effective{}
	if err := a.Authorize(ctx, "ec2:DescribeRegions", "*", nil); err != nil {
		t.Fatal("within the TTL the cached set is used")
	}
	now = now.Add(3 * time.Second)
	if err := a.Authorize(ctx, "ec2:DescribeRegions", "*", nil); err == nil {
		t.Fatal("after the TTL the new policies apply")
	}
}

func TestContextKeys(t *testing.T) {
	c := user("alice")
	c.Secure = true
	c.Principal.Tags = map[string]string{"team": "blue"}
	m := contextKeys(c, "", map[string]string{"team": "red", "cost": "7"}, map[string][]string{"S3:Prefix": {"home/"}})
	if got := m["aws:principaltag/cost"]; len(got) != 1 || got[0] != "7" {
		t.Errorf("IAM tag missing: %v", got)
	}
	want := map[string]string{
		"aws:username": "alice", "aws:principaltype": "User", "aws:securetransport": "true", "aws:sourceip": "127.0.0.1",
		"aws:principaltag/team": "blue", "aws:resourceaccount": acct, "aws:requestedregion": "us-east-1",
		"aws:epochtime": "1700000000", "s3:prefix": "home/", "aws:principalarn": "arn:aws:iam::" + acct + ":user/alice",
	}
	for k, v := range want {
		if got := m[k]; len(got) != 1 || got[0] != v {
			t.Errorf("%s = %v, want %s", k, got, v)
		}
	}
}

func TestVanishedPrincipalsAndPoliciesFailClosed(t *testing.T) {
	src := &fakePolicies{byPrincipal: map[string]iam.Effective{}}
	a := New(&vanishing{src}, Options{})
	err := a.Authorize(caller.With(context.Background(), user("ghost")), "ec2:DescribeRegions", "*", nil)
	var d *Denied
	if !errors.As(err, &d) {
		t.Fatalf("a deleted user's session must be denied, not fail: %v", err)
	}
	role := &caller.Caller{Principal: caller.Principal{Type: caller.AssumedRole, AccountID: acct, Name: "R", ARN: "arn:aws:sts::" + acct + ":assumed-role/R/s",
		Session: &caller.Session{Kind: caller.SessionAssumeRole, PolicyARNs: []string{"arn:aws:iam::" + acct + ":policy/gone"}}}}
	src.byPrincipal["role/R"] = iam.Effective{Identity: []iam.PolicyDoc{{ID: "all", Document: doc("Allow", "*", "*")}}}
	if err := a.Authorize(caller.With(context.Background(), role), "ec2:DescribeRegions", "*", nil); !errors.As(err, &d) {
		t.Fatalf("a missing session policy must deny, got %v", err)
	}
}

func TestPrincipalTagConditionsSeeIAMTags(t *testing.T) {
	src := &fakePolicies{
		byPrincipal: map[string]iam.Effective{"user/tagged": {Identity: []iam.PolicyDoc{{ID: "p", Document: `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"ec2:*","Resource":"*","Condition":{"StringEquals":{"aws:PrincipalTag/team":"blue"}}}]}`}}}},
		tags:        map[string]map[string]string{"user/tagged": {"team": "blue"}},
	}
	a := New(src, Options{})
	if err := a.Authorize(caller.With(context.Background(), user("tagged")), "ec2:DescribeRegions", "*", nil); err != nil {
		t.Fatalf("aws:PrincipalTag from the user's IAM tags: %v", err)
	}
}

// vanishing answers NoSuchEntity for principals it does not know.
type vanishing struct{ *fakePolicies }

func (v *vanishing) EffectivePolicies(ctx context.Context, acct, kind, name string) (iam.Effective, error) {
	e, ok := v.byPrincipal[kind+"/"+name]
	if !ok {
		return iam.Effective{}, iam.ErrNoSuchEntity
	}
	return e, nil
}
