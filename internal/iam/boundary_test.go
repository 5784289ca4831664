package iam

import (
	"errors"
	"testing"

	"github.com/nimbuscloud/nimbus/internal/iam/policy"
)

// entPolicyAllow returns an entAuthz.allow that decides with the real
// evaluator on one identity policy, so condition keys are tested the way
// the authorizer uses them.
func entPolicyAllow(t *testing.T, acct, doc string) func(action, resource string, keys map[string][]string) bool {
	t.Helper()
	d, err := policy.Parse(doc, policy.Identity)
	if err != nil {
		t.Fatal(err)
	}
	set := policy.PolicySet{Identity: []*policy.Named{{ID: "delegate", Doc: d}}}
	principal := policy.Principal{ARN: userARN(acct, "/", "delegate"), Account: acct}
	return func(action, resource string, keys map[string][]string) bool {
		return policy.Evaluate(set, policy.Request{Principal: principal, Action: action, Resource: resource, Context: keys}).Allowed
	}
}

// The "delegate with permissions boundaries" pattern: a delegate may change
// the policies of users and roles only while they keep a given boundary,
// which needs the iam:PermissionsBoundary key (the entity's current
// boundary) on Put/Delete/Attach/Detach User/RolePolicy and on
// Delete*PermissionsBoundary; Put*PermissionsBoundary gets the new one.
func TestEntPermissionsBoundaryConditionKey(t *testing.T) {
	e := newEntEnv(t)
	ctx := e.root(e.acctA)
	boundary := entMust[ManagedPolicy](t)(e.svc.CreatePolicy(ctx, CreatePolicyInput{Name: "Boundary", Document: polDoc("Allow", "s3:*", "*")}))
	other := entMust[ManagedPolicy](t)(e.svc.CreatePolicy(ctx, CreatePolicyInput{Name: "Other", Document: polDoc("Allow", "ec2:*", "*")}))
	entMust[User](t)(e.svc.CreateUser(ctx, CreateUserInput{UserName: "bounded", PermissionsBoundary: boundary.ARN}))
	entMust[User](t)(e.svc.CreateUser(ctx, CreateUserInput{UserName: "free"}))
	entMust[RoleEntity](t)(e.svc.CreateRole(ctx, CreateRoleInput{RoleName: "bounded", AssumeRolePolicyDocument: ec2Trust, PermissionsBoundary: boundary.ARN}))
	entMust[RoleEntity](t)(e.svc.CreateRole(ctx, CreateRoleInput{RoleName: "free", AssumeRolePolicyDocument: ec2Trust}))
	e.az.allow = entPolicyAllow(t, e.acctA, `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":[
		"iam:PutUserPolicy","iam:DeleteUserPolicy","iam:AttachUserPolicy","iam:DetachUserPolicy",
		"iam:PutRolePolicy","iam:DeleteRolePolicy","iam:AttachRolePolicy","iam:DetachRolePolicy",
		"iam:PutUserPermissionsBoundary","iam:PutRolePermissionsBoundary",
		"iam:DeleteUserPermissionsBoundary","iam:DeleteRolePermissionsBoundary"],
		"Resource":"*","Condition":{"StringEquals":{"iam:PermissionsBoundary":"`+boundary.ARN+`"}}}]}`)
	doc := polDoc("Allow", "s3:GetObject", "*")
	steps := []struct {
		name string
		do   func(entity string) error
	}{
		{"PutUserPolicy", func(n string) error { return e.svc.PutUserPolicy(ctx, n, "p", doc) }},
		{"DeleteUserPolicy", func(n string) error { return e.svc.DeleteUserPolicy(ctx, n, "p") }},
		{"AttachUserPolicy", func(n string) error { return e.svc.AttachUserPolicy(ctx, n, other.ARN) }},
		{"DetachUserPolicy", func(n string) error { return e.svc.DetachUserPolicy(ctx, n, other.ARN) }},
		{"PutRolePolicy", func(n string) error { return e.svc.PutRolePolicy(ctx, n, "p", doc) }},
		{"DeleteRolePolicy", func(n string) error { return e.svc.DeleteRolePolicy(ctx, n, "p") }},
		{"AttachRolePolicy", func(n string) error { return e.svc.AttachRolePolicy(ctx, n, other.ARN) }},
		{"DetachRolePolicy", func(n string) error { return e.svc.DetachRolePolicy(ctx, n, other.ARN) }},
	}
	var denied *entDenied
	for _, s := range steps {
		if err := s.do("bounded"); err != nil {
			t.Errorf("%s on an entity with the boundary: %v", s.name, err)
		}
		if err := s.do("free"); !errors.As(err, &denied) {
			t.Errorf("%s on an entity without a boundary: err = %v, want a denial", s.name, err)
		}
	}
	// Putting a boundary is judged on the new one, not the current.
	if err := e.svc.PutUserPermissionsBoundary(ctx, "bounded", other.ARN); !errors.As(err, &denied) {
		t.Errorf("PutUserPermissionsBoundary(bounded, other): err = %v, want a denial", err)
	}
	entDo(t, e.svc.PutRolePermissionsBoundary(ctx, "bounded", boundary.ARN))
	// Deleting is judged on the current boundary.
	entDo(t, e.svc.DeleteUserPermissionsBoundary(ctx, "bounded"))
	entDo(t, e.svc.DeleteRolePermissionsBoundary(ctx, "bounded"))
	if err := e.svc.DeleteUserPermissionsBoundary(ctx, "bounded"); !errors.As(err, &denied) {
		t.Errorf("DeleteUserPermissionsBoundary without a boundary: err = %v, want a denial", err)
	}
	// Delegates may give a free entity the boundary, then manage it.
	entDo(t, e.svc.PutUserPermissionsBoundary(ctx, "free", boundary.ARN))
	entDo(t, e.svc.PutUserPolicy(ctx, "free", "p", doc))
	// Actions AWS does not give the key do not get it.
	e.az.allow = nil
	entMust[User](t)(e.svc.GetUser(ctx, "free"))
	if c := e.az.last(); c.action != "iam:GetUser" || c.keys["iam:PermissionsBoundary"] != nil {
		t.Fatalf("GetUser authorized with %+v", c)
	}
}
