package sts

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/nimbuscloud/nimbus/internal/account"
	"github.com/nimbuscloud/nimbus/internal/authz"
	"github.com/nimbuscloud/nimbus/internal/caller"
	"github.com/nimbuscloud/nimbus/internal/iam"
	"github.com/nimbuscloud/nimbus/internal/secret"
	"github.com/nimbuscloud/nimbus/internal/store/sqlite"
)

const acct = "111122223333"

// fakeRoles and fakeAuthz are unit-test doubles for IAM and the authorizer.
type fakeRoles struct {
	roles map[string]iam.Role
	users map[string]string // user ID -> current name
}

func (f *fakeRoles) RoleByARN(_ context.Context, arn string) (iam.Role, error) {
	r, ok := f.roles[arn]
	if !ok {
		return iam.Role{}, iam.ErrNoSuchEntity
	}
	return r, nil
}
func (f *fakeRoles) RoleByID(_ context.Context, _, id string) (iam.Role, error) {
	for _, r := range f.roles {
		if r.ID == id {
			return r, nil
		}
	}
	return iam.Role{}, iam.ErrNoSuchEntity
}

// UserByID knows bob (possibly renamed through users) and nobody else.
func (f *fakeRoles) UserByID(_ context.Context, _, id string) (string, string, error) {
	if n, ok := f.users[id]; ok {
		return n, "arn:aws:iam::" + acct + ":user/" + n, nil
	}
	if id == "AIDABOB" {
		return "bob", "arn:aws:iam::" + acct + ":user/bob", nil
	}
	return "", "", iam.ErrNoSuchEntity
}

func (f *fakeRoles) NoteRoleUsed(context.Context, string, string, string) error { return nil }

type fakeAuthz struct {
	deny       bool
	denyAction string // deny only this action
	lastKeys   map[string][]string
}

func (f *fakeAuthz) Authorize(ctx context.Context, action, resource string, keys map[string][]string) error {
	return f.AuthorizeWithPolicy(ctx, action, resource, "", "", keys)
}
func (f *fakeAuthz) AuthorizeWithPolicy(_ context.Context, action, resource, _, _ string, keys map[string][]string) error {
	f.lastKeys = keys
	if f.deny || action == f.denyAction {
		return &authz.Denied{Message: "denied " + action + " on " + resource}
	}
	return nil
}

type noKeys struct{}

func (noKeys) KeyAccount(context.Context, string) (string, error) { return "", account.ErrKeyNotFound }

func newSTS(t *testing.T, now *time.Time) (*Service, *fakeRoles, *fakeAuthz, *secret.Box) {
	t.Helper()
	dir := t.TempDir()
	st, err := sqlite.Open(context.Background(), filepath.Join(dir, "meta.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	box, _, err := secret.LoadOrCreate(filepath.Join(dir, "k"))
	if err != nil {
		t.Fatal(err)
	}
	roles := &fakeRoles{roles: map[string]iam.Role{
		"arn:aws:iam::" + acct + ":role/R": {AccountID: acct, Name: "R", Path: "/", ARN: "arn:aws:iam::" + acct + ":role/R", ID: "AROAEXAMPLEEXAMPLE12", MaxSessionDuration: 2 * time.Hour},
	}}
	az := &fakeAuthz{}
	s := New(st, box, roles, noKeys{}, az, Options{Now: func() time.Time { return *now }})
	if err := s.Migrate(context.Background()); err != nil {
		t.Fatal(err)
	}
	return s, roles, az, box
}

func userCtx() context.Context {
	return caller.With(context.Background(), &caller.Caller{Region: "us-east-1", Principal: caller.Principal{
		Type: caller.User, AccountID: acct, ARN: "arn:aws:iam::" + acct + ":user/bob", UserID: "AIDABOB", Name: "bob", AccessKeyID: "AKIABOB"}})
}

func TestAssumeRole(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	s, roles, az, _ := newSTS(t, &now)
	ctx := userCtx()
	roleARN := "arn:aws:iam::" + acct + ":role/R"

	out, err := s.AssumeRole(ctx, AssumeRoleInput{RoleARN: roleARN, RoleSessionName: "sess", ExternalID: "x1",
		Tags: map[string]string{"team": "blue"}, TransitiveTagKeys: []string{"team"}})
	if err != nil {
		t.Fatal(err)
	}
	if out.ARN != "arn:aws:sts::"+acct+":assumed-role/R/sess" || out.AssumedRoleID != "AROAEXAMPLEEXAMPLE12:sess" {
		t.Fatalf("identity: %+v", out)
	}
	if got := az.lastKeys["sts:ExternalId"]; len(got) != 1 || got[0] != "x1" {
		t.Fatalf("ExternalId not passed to the trust evaluation: %v", az.lastKeys)
	}
	if !out.Credentials.Expiration.Equal(now.Add(time.Hour)) {
		t.Fatalf("default duration: %v", out.Credentials.Expiration)
	}
	key, err := s.LookupKey(context.Background(), out.Credentials.AccessKeyID)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256([]byte(out.Credentials.SessionToken))
	if !key.Temporary || string(key.TokenHash) != string(sum[:]) || key.Secret != out.Credentials.SecretAccessKey ||
		key.Principal.Type != caller.AssumedRole || key.Principal.RoleARN != roleARN || key.Principal.Tags["team"] != "blue" ||
		key.Principal.Session == nil || key.Principal.Session.Kind != caller.SessionAssumeRole {
		t.Fatalf("looked-up session: %+v", key)
	}

	// Role chaining: at most one hour, transitive tags carry over.
	chained := caller.With(context.Background(), &caller.Caller{Principal: key.Principal})
	if _, err := s.AssumeRole(chained, AssumeRoleInput{RoleARN: roleARN, RoleSessionName: "chain", DurationSeconds: 7200}); !errors.Is(err, ErrValidation) {
		t.Fatalf("chained 2h: %v", err)
	}
	c2, err := s.AssumeRole(chained, AssumeRoleInput{RoleARN: roleARN, RoleSessionName: "chain"})
	if err != nil {
		t.Fatal(err)
	}
	k2, _ := s.LookupKey(context.Background(), c2.Credentials.AccessKeyID)
	if k2.Principal.Tags["team"] != "blue" || !k2.Principal.Session.Chained {
		t.Fatalf("chained session: %+v", k2.Principal)
	}

	// Deleting the role revokes the sessions.
	delete(roles.roles, roleARN)
	if _, err := s.LookupKey(context.Background(), out.Credentials.AccessKeyID); !errors.Is(err, account.ErrKeyNotFound) {
		t.Fatalf("after role deletion: %v", err)
	}
}

func TestAssumeRoleRefusals(t *testing.T) {
	now := time.Now()
	s, _, az, _ := newSTS(t, &now)
	roleARN := "arn:aws:iam::" + acct + ":role/R"
	tests := []struct {
		name string
		ctx  context.Context
		in   AssumeRoleInput
		want error
	}{
		{"short session name", userCtx(), AssumeRoleInput{RoleARN: roleARN, RoleSessionName: "x"}, ErrValidation},
		{"too long", userCtx(), AssumeRoleInput{RoleARN: roleARN, RoleSessionName: "ok", DurationSeconds: 3 * 3600}, ErrValidation},
		{"too short", userCtx(), AssumeRoleInput{RoleARN: roleARN, RoleSessionName: "ok", DurationSeconds: 60}, ErrValidation},
		{"malformed session policy", userCtx(), AssumeRoleInput{RoleARN: roleARN, RoleSessionName: "ok", Policy: `{"Statement":`}, ErrMalformedPolicy},
		{"transitive key not a tag", userCtx(), AssumeRoleInput{RoleARN: roleARN, RoleSessionName: "ok", TransitiveTagKeys: []string{"k"}}, ErrValidation},
		{"unknown role is access denied", userCtx(), AssumeRoleInput{RoleARN: "arn:aws:iam::" + acct + ":role/Nope", RoleSessionName: "ok"}, ErrAccessDenied},
		{"root may not assume roles", caller.With(context.Background(), &caller.Caller{Principal: account.RootPrincipal(acct, "AKIAROOT")}),
			AssumeRoleInput{RoleARN: roleARN, RoleSessionName: "ok"}, ErrAccessDenied},
	}
	for _, tt := range tests {
		if _, err := s.AssumeRole(tt.ctx, tt.in); !errors.Is(err, tt.want) {
			t.Errorf("%s: got %v, want %v", tt.name, err, tt.want)
		}
	}
	az.deny = true
	_, err1 := s.AssumeRole(userCtx(), AssumeRoleInput{RoleARN: roleARN, RoleSessionName: "ok"})
	_, err2 := s.AssumeRole(userCtx(), AssumeRoleInput{RoleARN: "arn:aws:iam::" + acct + ":role/Nope", RoleSessionName: "ok"})
	if !errors.Is(err1, ErrAccessDenied) || err1.Error() != strings.ReplaceAll(err2.Error(), "role/Nope", "role/R") {
		t.Fatalf("a trust denial must look exactly like a missing role: %v / %v", err1, err2)
	}
}

func TestGetSessionToken(t *testing.T) {
	now := time.Now().UTC()
	s, _, _, _ := newSTS(t, &now)
	creds, err := s.GetSessionToken(userCtx(), 0)
	if err != nil {
		t.Fatal(err)
	}
	if !creds.Expiration.After(now.Add(11*time.Hour)) || len(creds.AccessKeyID) != 20 || creds.AccessKeyID[:4] != "ASIA" {
		t.Fatalf("creds: %+v", creds)
	}
	key, err := s.LookupKey(context.Background(), creds.AccessKeyID)
	if err != nil || key.Principal.ARN != "arn:aws:iam::"+acct+":user/bob" || key.Principal.Session.Kind != caller.SessionGetSessionToken {
		t.Fatalf("session principal: %+v %v", key.Principal, err)
	}
	sessCtx := caller.With(context.Background(), &caller.Caller{Principal: key.Principal})
	if _, err := s.GetSessionToken(sessCtx, 0); !errors.Is(err, ErrAccessDenied) {
		t.Fatalf("GetSessionToken with session credentials: %v", err)
	}
	if _, err := s.GetSessionToken(userCtx(), 200000); !errors.Is(err, ErrValidation) {
		t.Fatalf("too long: %v", err)
	}
}

func TestDecodeAuthorizationMessage(t *testing.T) {
	now := time.Now()
	s, _, _, box := newSTS(t, &now)
	sealed := base64.StdEncoding.EncodeToString(box.Seal([]byte(`{"allowed":false}`), authz.MessageAAD(acct)))
	got, err := s.DecodeAuthorizationMessage(userCtx(), sealed)
	if err != nil || got != `{"allowed":false}` {
		t.Fatalf("decode: %q %v", got, err)
	}
	other := caller.With(context.Background(), &caller.Caller{Principal: caller.Principal{Type: caller.Root, AccountID: "999988887777", ARN: "arn:aws:iam::999988887777:root"}})
	if _, err := s.DecodeAuthorizationMessage(other, sealed); !errors.Is(err, ErrInvalidAuthMsg) {
		t.Fatalf("another account decoded it: %v", err)
	}
	if _, err := s.DecodeAuthorizationMessage(userCtx(), "%%%"); !errors.Is(err, ErrInvalidAuthMsg) {
		t.Fatalf("garbage: %v", err)
	}
}

func TestUserSessionsDieWithTheirUser(t *testing.T) {
	now := time.Now().UTC()
	s, _, _, _ := newSTS(t, &now)
	gone := caller.With(context.Background(), &caller.Caller{Principal: caller.Principal{
		Type: caller.User, AccountID: acct, ARN: "arn:aws:iam::" + acct + ":user/gone", UserID: "AIDAGONE", Name: "gone"}})
	creds, err := s.GetSessionToken(gone, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.LookupKey(context.Background(), creds.AccessKeyID); !errors.Is(err, account.ErrKeyNotFound) {
		t.Fatalf("session of a deleted user: %v", err)
	}
	alive, err := s.GetSessionToken(userCtx(), 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.LookupKey(context.Background(), alive.AccessKeyID); err != nil {
		t.Fatalf("session of a live user: %v", err)
	}
}

func TestChainsKeepSourceIdentityAndTransitiveTags(t *testing.T) {
	now := time.Now().UTC()
	s, _, az, _ := newSTS(t, &now)
	roleARN := "arn:aws:iam::" + acct + ":role/R"
	first, err := s.AssumeRole(userCtx(), AssumeRoleInput{RoleARN: roleARN, RoleSessionName: "one", SourceIdentity: "alice-real",
		Tags: map[string]string{"team": "blue"}, TransitiveTagKeys: []string{"team"}})
	if err != nil {
		t.Fatal(err)
	}
	key, _ := s.LookupKey(context.Background(), first.Credentials.AccessKeyID)
	chained := caller.With(context.Background(), &caller.Caller{Principal: key.Principal})
	if _, err := s.AssumeRole(chained, AssumeRoleInput{RoleARN: roleARN, RoleSessionName: "two", SourceIdentity: "someone-else"}); !errors.Is(err, ErrAccessDenied) {
		t.Fatalf("changing the source identity along a chain: %v", err)
	}
	if _, err := s.AssumeRole(chained, AssumeRoleInput{RoleARN: roleARN, RoleSessionName: "two", Tags: map[string]string{"TEAM": "red"}}); !errors.Is(err, ErrValidation) {
		t.Fatalf("overriding a transitive tag: %v", err)
	}
	second, err := s.AssumeRole(chained, AssumeRoleInput{RoleARN: roleARN, RoleSessionName: "two"})
	if err != nil || second.SourceIdentity != "alice-real" {
		t.Fatalf("source identity must persist: %+v %v", second, err)
	}
	// Setting a source identity is its own permission.
	az.denyAction = "sts:SetSourceIdentity"
	if _, err := s.AssumeRole(userCtx(), AssumeRoleInput{RoleARN: roleARN, RoleSessionName: "xx", SourceIdentity: "me-me"}); !errors.Is(err, ErrAccessDenied) {
		t.Fatalf("denied SetSourceIdentity: %v", err)
	}
	if _, err := s.AssumeRole(userCtx(), AssumeRoleInput{RoleARN: roleARN, RoleSessionName: "xx"}); err != nil {
		t.Fatalf("without a source identity SetSourceIdentity is not needed: %v", err)
	}
}

func TestUserSessionsFollowRenames(t *testing.T) {
	now := time.Now().UTC()
	s, roles, _, _ := newSTS(t, &now)
	roles.users = map[string]string{}
	creds, err := s.GetSessionToken(userCtx(), 0)
	if err != nil {
		t.Fatal(err)
	}
	roles.users["AIDABOB"] = "eve"
	key, err := s.LookupKey(context.Background(), creds.AccessKeyID)
	if err != nil || key.Principal.Name != "eve" || key.Principal.ARN != "arn:aws:iam::"+acct+":user/eve" {
		t.Fatalf("renamed user's session: %+v %v", key.Principal, err)
	}
}
