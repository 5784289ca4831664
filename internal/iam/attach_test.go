package iam

import (
	"fmt"
	"strings"
	"testing"
)

func TestPolAttachDetach(t *testing.T) {
	e := newPolEnv(t)
	ctx := polCtx(polAcctA)
	e.user(t, polAcctA, "alice")
	e.group(t, polAcctA, "devs", "alice")
	e.role(t, polAcctA, "/", "app")
	e.role(t, polAcctA, "/aws-service-role/", "svc")
	p := polMust[ManagedPolicy](t)(e.svc.CreatePolicy(ctx, CreatePolicyInput{Name: "P", Path: "/x/", Document: polDoc("Allow", "s3:*", "*")}))

	tests := []struct {
		name   string
		do     func() error
		err    error
		msg    string
		action string
	}{
		{"attach user", func() error { return e.svc.AttachUserPolicy(ctx, "ALICE", p.ARN) }, nil, "", "iam:AttachUserPolicy"},
		{"attach twice is a no-op", func() error { return e.svc.AttachUserPolicy(ctx, "alice", p.ARN) }, nil, "", ""},
		{"attach group", func() error { return e.svc.AttachGroupPolicy(ctx, "devs", p.ARN) }, nil, "", "iam:AttachGroupPolicy"},
		{"attach role aws managed", func() error {
			return e.svc.AttachRolePolicy(ctx, "app", "arn:aws:iam::aws:policy/ReadOnlyAccess")
		}, nil, "", "iam:AttachRolePolicy"},
		{"missing user", func() error { return e.svc.AttachUserPolicy(ctx, "bob", p.ARN) }, ErrNoSuchEntity, "The user with name bob cannot be found.", ""},
		{"missing group", func() error { return e.svc.AttachGroupPolicy(ctx, "ops", p.ARN) }, ErrNoSuchEntity, "The group with name ops cannot be found.", ""},
		{"missing role", func() error { return e.svc.AttachRolePolicy(ctx, "nope", p.ARN) }, ErrNoSuchEntity, "The role with name nope cannot be found.", ""},
		{"missing policy", func() error {
			return e.svc.AttachUserPolicy(ctx, "alice", "arn:aws:iam::"+polAcctA+":policy/Nope")
		}, ErrNoSuchEntity, "Policy arn:aws:iam::" + polAcctA + ":policy/Nope does not exist or is not attachable.", ""},
		{"bad arn", func() error { return e.svc.AttachUserPolicy(ctx, "alice", "nope") }, ErrInvalidInput, "ARN nope is not valid.", ""},
		{"service-linked role", func() error { return e.svc.AttachRolePolicy(ctx, "svc", p.ARN) }, ErrUnmodifiableEntity, "", ""},
		{"detach not attached", func() error {
			return e.svc.DetachRolePolicy(ctx, "app", p.ARN)
		}, ErrNoSuchEntity, "Policy " + p.ARN + " was not found.", ""},
		{"delete attached policy", func() error { return e.svc.DeletePolicy(ctx, p.ARN) }, ErrDeleteConflict, "Cannot delete a policy attached to entities.", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.do()
			if tt.err == nil {
				polOK(t, err)
			} else {
				polWant(t, err, tt.err, tt.msg)
			}
			if tt.action != "" {
				e.az.mu.Lock()
				last, keys := e.az.calls[len(e.az.calls)-1], e.az.keys[len(e.az.keys)-1]
				e.az.mu.Unlock()
				if !strings.HasPrefix(last, tt.action+" arn:aws:iam::"+polAcctA+":") || len(keys["iam:PolicyARN"]) != 1 {
					t.Fatalf("authorized %q with %v", last, keys)
				}
			}
		})
	}

	got := polMust[ManagedPolicy](t)(e.svc.GetPolicy(ctx, p.ARN))
	if got.AttachmentCount != 2 {
		t.Fatalf("AttachmentCount = %d", got.AttachmentCount)
	}
	ents := polMust[Listing[PolicyEntity]](t)(e.svc.ListEntitiesForPolicy(ctx, ListEntitiesForPolicyInput{ARN: p.ARN}))
	if len(ents.Items) != 2 || ents.Items[0].Kind != KindGroup || ents.Items[1].Name != "alice" {
		t.Fatalf("entities = %+v", ents.Items)
	}
	users := polMust[Listing[PolicyEntity]](t)(e.svc.ListEntitiesForPolicy(ctx, ListEntitiesForPolicyInput{ARN: p.ARN, EntityFilter: "User"}))
	if len(users.Items) != 1 {
		t.Fatalf("users = %+v", users.Items)
	}
	att := polMust[Listing[AttachedPolicy]](t)(e.svc.ListAttachedUserPolicies(ctx, "alice", "/x/", PageInput{}))
	if len(att.Items) != 1 || att.Items[0].Name != "P" || att.Items[0].ARN != p.ARN {
		t.Fatalf("attached = %+v", att.Items)
	}
	none := polMust[Listing[AttachedPolicy]](t)(e.svc.ListAttachedUserPolicies(ctx, "alice", "/y/", PageInput{}))
	if len(none.Items) != 0 {
		t.Fatalf("PathPrefix /y/ = %+v", none.Items)
	}

	// Quota: 10 managed policies per entity.
	for i := 2; i <= 10; i++ {
		q := polMust[ManagedPolicy](t)(e.svc.CreatePolicy(ctx, CreatePolicyInput{Name: fmt.Sprintf("Q%d", i), Document: polDoc("Allow", "s3:*", "*")}))
		polOK(t, e.svc.AttachUserPolicy(ctx, "alice", q.ARN))
	}
	polWant(t, e.svc.AttachUserPolicy(ctx, "alice", "arn:aws:iam::aws:policy/AdministratorAccess"), ErrLimitExceeded, "Cannot exceed quota for PoliciesPerUser: 10")

	before := e.chg.count()
	polOK(t, e.svc.DetachUserPolicy(ctx, "alice", p.ARN))
	polOK(t, e.svc.DetachGroupPolicy(ctx, "devs", p.ARN))
	if e.chg.count() != before+2 {
		t.Fatalf("detach reported %d changes", e.chg.count()-before)
	}
	polOK(t, e.svc.DeletePolicy(ctx, p.ARN))
}

// polSizedDoc is an identity policy of exactly n non-whitespace characters
// (n >= 150), indented with whitespace that must not count.
func polSizedDoc(n int) string {
	head := "{\n  \"Version\": \"2012-10-17\",\n  \"Statement\": [{\"Effect\": \"Allow\", \"Action\": \"s3:GetObject\", \"Resource\": \"arn:aws:s3:::"
	tail := "\"}]\n}"
	fixed := polSize(head + tail)
	return head + strings.Repeat("a", n-fixed) + tail
}

func TestPolInlineSizeLimits(t *testing.T) {
	e := newPolEnv(t)
	ctx := polCtx(polAcctA)
	e.user(t, polAcctA, "alice")
	e.group(t, polAcctA, "devs")
	e.role(t, polAcctA, "/", "app")
	tests := []struct {
		kind, entity string
		limit        int
		put          func(entity, name, doc string) error
	}{
		{KindUser, "alice", 2048, func(en, n, d string) error { return e.svc.PutUserPolicy(ctx, en, n, d) }},
		{KindGroup, "devs", 5120, func(en, n, d string) error { return e.svc.PutGroupPolicy(ctx, en, n, d) }},
		{KindRole, "app", 10240, func(en, n, d string) error { return e.svc.PutRolePolicy(ctx, en, n, d) }},
	}
	for _, tt := range tests {
		t.Run(tt.kind, func(t *testing.T) {
			if got := polSize(polSizedDoc(tt.limit / 2)); got != tt.limit/2 {
				t.Fatalf("polSizedDoc size %d", got)
			}
			polOK(t, tt.put(tt.entity, "one", polSizedDoc(tt.limit/2)))
			polOK(t, tt.put(tt.entity, "two", polSizedDoc(tt.limit/2))) // exactly at the limit
			// Replacing a policy counts its new size, not both.
			polOK(t, tt.put(tt.entity, "TWO", polSizedDoc(tt.limit/2)))
			err := tt.put(tt.entity, "three", polSizedDoc(200))
			polWant(t, err, ErrLimitExceeded, fmt.Sprintf("Maximum policy size of %d bytes exceeded for %s %s", tt.limit, tt.kind, tt.entity))
			err = tt.put(tt.entity, "two", polSizedDoc(tt.limit/2+1))
			polWant(t, err, ErrLimitExceeded, "")
		})
	}
	names := polMust[Listing[string]](t)(e.svc.ListUserPolicies(ctx, "alice", PageInput{}))
	if strings.Join(names.Items, ",") != "one,TWO" {
		t.Fatalf("names = %v", names.Items)
	}
	p := polMust[InlinePolicy](t)(e.svc.GetUserPolicy(ctx, "Alice", "two"))
	if p.Name != "TWO" || p.EntityName != "alice" || p.Document != polSizedDoc(1024) {
		t.Fatalf("GetUserPolicy = %+v", p)
	}
	_, err := e.svc.GetRolePolicy(ctx, "app", "missing")
	polWant(t, err, ErrNoSuchEntity, "The role policy with name missing cannot be found.")
	polOK(t, e.svc.DeleteUserPolicy(ctx, "alice", "one"))
	polWant(t, e.svc.DeleteUserPolicy(ctx, "alice", "one"), ErrNoSuchEntity, "The user policy with name one cannot be found.")
	polWant(t, e.svc.PutUserPolicy(ctx, "nobody", "p", polDoc("Allow", "*", "*")), ErrNoSuchEntity, "The user with name nobody cannot be found.")
}

func TestPolBoundaries(t *testing.T) {
	e := newPolEnv(t)
	ctx := polCtx(polAcctA)
	e.user(t, polAcctA, "alice")
	e.role(t, polAcctA, "/", "app")
	p := polMust[ManagedPolicy](t)(e.svc.CreatePolicy(ctx, CreatePolicyInput{Name: "B", Document: polDoc("Allow", "s3:*", "*")}))
	polWant(t, e.svc.PutUserPermissionsBoundary(ctx, "alice", "arn:aws:iam::"+polAcctA+":policy/Nope"), ErrNoSuchEntity, "")
	polOK(t, e.svc.PutUserPermissionsBoundary(ctx, "alice", p.ARN))
	polOK(t, e.svc.PutRolePermissionsBoundary(ctx, "app", "arn:aws:iam::aws:policy/PowerUserAccess"))
	e.az.mu.Lock()
	keys := e.az.keys[len(e.az.keys)-1]
	e.az.mu.Unlock()
	if keys["iam:PermissionsBoundary"][0] != "arn:aws:iam::aws:policy/PowerUserAccess" {
		t.Fatalf("keys = %v", keys)
	}
	got := polMust[ManagedPolicy](t)(e.svc.GetPolicy(ctx, p.ARN))
	if got.BoundaryUsageCount != 1 || got.AttachmentCount != 0 {
		t.Fatalf("counts = %+v", got)
	}
	polWant(t, e.svc.DeletePolicy(ctx, p.ARN), ErrDeleteConflict, "Cannot delete a policy attached to entities.")
	ents := polMust[Listing[PolicyEntity]](t)(e.svc.ListEntitiesForPolicy(ctx, ListEntitiesForPolicyInput{ARN: p.ARN, UsageFilter: "PermissionsBoundary"}))
	if len(ents.Items) != 1 || ents.Items[0].Name != "alice" {
		t.Fatalf("boundary entities = %+v", ents.Items)
	}
	polOK(t, e.svc.DeleteUserPermissionsBoundary(ctx, "alice"))
	polOK(t, e.svc.DeletePolicy(ctx, p.ARN))
	polWant(t, e.svc.DeleteRolePermissionsBoundary(ctx, "ghost"), ErrNoSuchEntity, "The role with name ghost cannot be found.")
}
