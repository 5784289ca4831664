package iam

import (
	"context"
	"fmt"
	"slices"
	"testing"

	"github.com/nimbuscloud/nimbus/internal/account"
	"github.com/nimbuscloud/nimbus/internal/caller"
)

func TestEntAccessKeys(t *testing.T) {
	e := newEntEnv(t)
	ctx := e.root(e.acctA)
	entMust[User](t)(e.svc.CreateUser(ctx, CreateUserInput{UserName: "bob"}))
	entMust[User](t)(e.svc.CreateUser(ctx, CreateUserInput{UserName: "eve"}))
	k1 := entMust[AccessKey](t)(e.svc.CreateAccessKey(ctx, "BOB"))
	k2 := entMust[AccessKey](t)(e.svc.CreateAccessKey(ctx, "bob"))
	if k1.UserName != "bob" || k1.Status != "Active" || len(k1.Secret) != 40 || k1.AccessKeyID == k2.AccessKeyID {
		t.Fatalf("keys %+v %+v", k1, k2)
	}
	if c := e.az.last(); c.action != "iam:CreateAccessKey" || c.resource != "arn:aws:iam::"+e.acctA+":user/bob" {
		t.Fatalf("authorized %+v", c)
	}
	_, err := e.svc.CreateAccessKey(ctx, "bob")
	entWantErr(t, err, ErrLimitExceeded, "Cannot exceed quota for AccessKeysPerUser: 2")
	_, err = e.svc.CreateAccessKey(ctx, "nobody")
	entWantErr(t, err, ErrNoSuchEntity, "The user with name nobody cannot be found.")

	l := entMust[Listing[AccessKey]](t)(e.svc.ListAccessKeys(ctx, "bob", PageInput{}))
	if len(l.Items) != 2 || l.Items[0].Secret != "" || l.Items[0].UserName != "bob" {
		t.Fatalf("list = %+v", l)
	}
	p1 := entMust[Listing[AccessKey]](t)(e.svc.ListAccessKeys(ctx, "bob", PageInput{MaxItems: 1}))
	p2 := entMust[Listing[AccessKey]](t)(e.svc.ListAccessKeys(ctx, "bob", PageInput{MaxItems: 1, Marker: p1.Marker}))
	if !p1.IsTruncated || p2.IsTruncated || len(p2.Items) != 1 || p1.Items[0].AccessKeyID == p2.Items[0].AccessKeyID {
		t.Fatalf("pages %+v %+v", p1, p2)
	}

	// The key must belong to the named user.
	entWantErr(t, e.svc.UpdateAccessKey(ctx, "eve", k1.AccessKeyID, "Inactive"), ErrNoSuchEntity,
		fmt.Sprintf("The Access Key with id %s cannot be found.", k1.AccessKeyID))
	entWantErr(t, e.svc.UpdateAccessKey(ctx, "bob", k1.AccessKeyID, "Expired"), ErrValidation, "")
	entWantErr(t, e.svc.UpdateAccessKey(ctx, "bob", "short", "Active"), ErrValidation, "")

	entDo(t, e.svc.UpdateAccessKey(ctx, "bob", k1.AccessKeyID, "Inactive"))
	if got := entMust[account.Key](t)(e.accounts.LookupKey(context.Background(), k1.AccessKeyID)); got.Status != account.Inactive {
		t.Fatalf("status %s", got.Status)
	}
	if !slices.Contains(e.rec.forgotten, k1.AccessKeyID) {
		t.Fatal("UpdateAccessKey did not forget the key")
	}
	lu := entMust[AccessKeyLastUsed](t)(e.svc.GetAccessKeyLastUsed(ctx, k1.AccessKeyID))
	if lu.UserName != "bob" || lu.LastUsed != nil || lu.ServiceName != "N/A" || lu.Region != "N/A" {
		t.Fatalf("last used %+v", lu)
	}

	e.rec.forgotten = nil
	entDo(t, e.svc.DeleteAccessKey(ctx, "bob", k1.AccessKeyID))
	if !slices.Contains(e.rec.forgotten, k1.AccessKeyID) {
		t.Fatal("DeleteAccessKey did not forget the key")
	}
	entWantErr(t, e.svc.DeleteAccessKey(ctx, "bob", k1.AccessKeyID), ErrNoSuchEntity, "")
	if _, err := e.accounts.LookupKey(context.Background(), k1.AccessKeyID); err == nil {
		t.Fatal("deleted key still resolves")
	}

	// An IAM user manages its own keys without naming itself.
	self := e.asUser(e.acctA, "eve")
	ke := entMust[AccessKey](t)(e.svc.CreateAccessKey(self, ""))
	if ke.UserName != "eve" {
		t.Fatalf("self key %+v", ke)
	}
	if l := entMust[Listing[AccessKey]](t)(e.svc.ListAccessKeys(self, "", PageInput{})); len(l.Items) != 1 || l.Items[0].AccessKeyID != ke.AccessKeyID {
		t.Fatalf("self list %+v", l)
	}
	roleCtx := caller.With(context.Background(), &caller.Caller{Principal: caller.Principal{Type: caller.AssumedRole, AccountID: e.acctA}})
	_, err = e.svc.CreateAccessKey(roleCtx, "")
	entWantErr(t, err, ErrValidation, "Must specify userName when calling with non-User credentials")
}

func TestEntRootAccessKeys(t *testing.T) {
	e := newEntEnv(t)
	ctx := e.root(e.acctA) // the account was created with one root key
	k := entMust[AccessKey](t)(e.svc.CreateAccessKey(ctx, ""))
	got := entMust[account.Key](t)(e.accounts.LookupKey(context.Background(), k.AccessKeyID))
	if got.Principal.Type != caller.Root || got.Principal.ARN != "arn:aws:iam::"+e.acctA+":root" || k.UserName != "" {
		t.Fatalf("root key principal %+v", got.Principal)
	}
	_, err := e.svc.CreateAccessKey(ctx, "")
	entWantErr(t, err, ErrLimitExceeded, "Cannot exceed quota for AccessKeysPerUser: 2")
	l := entMust[Listing[AccessKey]](t)(e.svc.ListAccessKeys(ctx, "", PageInput{}))
	if len(l.Items) != 2 {
		t.Fatalf("root keys %+v", l)
	}
	entDo(t, e.svc.UpdateAccessKey(ctx, "", k.AccessKeyID, "Inactive"))
	// A root key is not a user's key.
	entMust[User](t)(e.svc.CreateUser(ctx, CreateUserInput{UserName: "bob"}))
	entWantErr(t, e.svc.DeleteAccessKey(ctx, "bob", k.AccessKeyID), ErrNoSuchEntity, "")
	entDo(t, e.svc.DeleteAccessKey(ctx, "", k.AccessKeyID))
}
