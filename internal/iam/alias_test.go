package iam

import "testing"

func TestEntAccountAlias(t *testing.T) {
	e := newEntEnv(t)
	a, b := e.root(e.acctA), e.root(e.acctB)
	for _, bad := range []string{"ab", "a--b", "-ab", "ab-", "Abc", "a_b", string(make([]byte, 64))} {
		entWantErr(t, e.svc.CreateAccountAlias(a, bad), ErrValidation, "")
	}
	entDo(t, e.svc.CreateAccountAlias(a, "acme-prod"))
	entWantErr(t, e.svc.CreateAccountAlias(b, "acme-prod"), ErrEntityAlreadyExists, "The account alias acme-prod already exists.")
	entWantErr(t, e.svc.CreateAccountAlias(a, "acme-prod"), ErrEntityAlreadyExists, "")
	// A second alias replaces the first: an account has at most one.
	entDo(t, e.svc.CreateAccountAlias(a, "acme-2"))
	if l := entMust[Listing[string]](t)(e.svc.ListAccountAliases(a, PageInput{})); len(l.Items) != 1 || l.Items[0] != "acme-2" {
		t.Fatalf("aliases %+v", l)
	}
	if l := entMust[Listing[string]](t)(e.svc.ListAccountAliases(b, PageInput{})); len(l.Items) != 0 {
		t.Fatalf("B sees %+v", l)
	}
	entDo(t, e.svc.CreateAccountAlias(b, "acme-prod")) // freed by the replacement
	entWantErr(t, e.svc.DeleteAccountAlias(a, "acme-prod"), ErrNoSuchEntity, "The account alias acme-prod cannot be found.")
	entDo(t, e.svc.DeleteAccountAlias(a, "acme-2"))
	if l := entMust[Listing[string]](t)(e.svc.ListAccountAliases(a, PageInput{})); len(l.Items) != 0 {
		t.Fatalf("after delete %+v", l)
	}
}
