package iam

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/nimbuscloud/nimbus/internal/account"
	"github.com/nimbuscloud/nimbus/internal/caller"
	"github.com/nimbuscloud/nimbus/internal/secret"
	"github.com/nimbuscloud/nimbus/internal/store"
	"github.com/nimbuscloud/nimbus/internal/store/sqlite"
)

// ---- test environment for the entity operations (prefixed ent to stay
// clear of the policy tests' helpers in this package) ----

// entAuthz is a fake Authorizer: it allows everything except the actions
// in deny (or all with denyAll) and records what it was asked.
type entAuthz struct {
	mu      sync.Mutex
	denyAll bool
	// allow, when set, decides each call (after denyAll).
	allow func(action, resource string, keys map[string][]string) bool
	calls []entAuthzCall
}

type entAuthzCall struct {
	action, resource string
	keys             map[string][]string
}

func (a *entAuthz) Authorize(_ context.Context, action, resource string, keys map[string][]string) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.calls = append(a.calls, entAuthzCall{action, resource, keys})
	if a.denyAll || (a.allow != nil && !a.allow(action, resource, keys)) {
		return &entDenied{"not authorized to perform: " + action + " on resource: " + resource}
	}
	return nil
}

// resources returns the resources action was authorized on, in order.
func (a *entAuthz) resources(action string) []string {
	a.mu.Lock()
	defer a.mu.Unlock()
	var out []string
	for _, c := range a.calls {
		if c.action == action {
			out = append(out, c.resource)
		}
	}
	return out
}

func (a *entAuthz) last() entAuthzCall {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.calls[len(a.calls)-1]
}

// entDenied stands in for the authorizer's denial type (package authz
// imports this package, so the test cannot use it).
type entDenied struct{ msg string }

func (d *entDenied) Error() string { return d.msg }

type entRecorder struct {
	mu        sync.Mutex
	changed   int
	forgotten []string
}

func (r *entRecorder) PermissionsChanged(string) { r.mu.Lock(); r.changed++; r.mu.Unlock() }
func (r *entRecorder) Forget(id string) {
	r.mu.Lock()
	r.forgotten = append(r.forgotten, id)
	r.mu.Unlock()
}

type entEnv struct {
	svc          *Service
	st           store.Store
	accounts     *account.Service
	az           *entAuthz
	rec          *entRecorder
	acctA, acctB string
}

func newEntEnv(t *testing.T) *entEnv {
	t.Helper()
	ctx := context.Background()
	dir := t.TempDir()
	st, err := sqlite.Open(ctx, filepath.Join(dir, "meta.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	box, _, err := secret.LoadOrCreate(filepath.Join(dir, "master.key"))
	if err != nil {
		t.Fatal(err)
	}
	accts := account.New(st, box, account.Options{})
	if err := accts.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	e := &entEnv{st: st, accounts: accts, az: &entAuthz{}, rec: &entRecorder{}}
	e.svc = New(st, accts, e.az, Options{Changes: e.rec, Keys: e.rec})
	if err := e.svc.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	a, _, err := accts.Create(ctx, "a")
	if err != nil {
		t.Fatal(err)
	}
	b, _, err := accts.Create(ctx, "b")
	if err != nil {
		t.Fatal(err)
	}
	e.acctA, e.acctB = a.ID, b.ID
	return e
}

// root returns a context of acct's root credentials.
func (e *entEnv) root(acct string) context.Context {
	return caller.With(context.Background(), &caller.Caller{RequestID: "r", Principal: account.RootPrincipal(acct, "AKIAROOT")})
}

// asUser returns a context of an IAM user of acct.
func (e *entEnv) asUser(acct, name string) context.Context {
	p := account.UserPrincipal(acct, userARN(acct, "/", name), "AIDAX", name)
	return caller.With(context.Background(), &caller.Caller{RequestID: "r", Principal: p})
}

// wantErr asserts err wraps sentinel and, when msg is set, that its
// client-visible message is msg.
func entWantErr(t *testing.T, err, sentinel error, msg string) {
	t.Helper()
	if !errors.Is(err, sentinel) {
		t.Fatalf("err = %v, want %v", err, sentinel)
	}
	if msg != "" {
		if got := strings.TrimPrefix(err.Error(), sentinel.Error()+": "); got != msg {
			t.Fatalf("message = %q, want %q", got, msg)
		}
	}
}

func entMust[T any](t *testing.T) func(T, error) T {
	return func(v T, err error) T {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
}

func entDo(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func userNames(l Listing[User]) []string {
	var out []string
	for _, u := range l.Items {
		out = append(out, u.Name)
	}
	return out
}

// ---- users ----

func TestEntCreateGetUser(t *testing.T) {
	e := newEntEnv(t)
	ctx := e.root(e.acctA)
	u := entMust[User](t)(e.svc.CreateUser(ctx, CreateUserInput{UserName: "Bob", Path: "/eng/", Tags: []Tag{{"team", "x"}}}))
	if u.ARN != "arn:aws:iam::"+e.acctA+":user/eng/Bob" || !strings.HasPrefix(u.ID, PrefixUser) || len(u.ID) != 21 || u.Path != "/eng/" {
		t.Fatalf("created %+v", u)
	}
	call := e.az.last()
	if call.action != "iam:CreateUser" || call.resource != u.ARN || call.keys["aws:RequestTag/team"][0] != "x" || call.keys["aws:TagKeys"][0] != "team" {
		t.Fatalf("authorize call %+v", call)
	}
	_, err := e.svc.CreateUser(ctx, CreateUserInput{UserName: "bob"})
	entWantErr(t, err, ErrEntityAlreadyExists, "User with name bob already exists.")

	got := entMust[User](t)(e.svc.GetUser(ctx, "BOB"))
	if got.Name != "Bob" || got.ID != u.ID || len(got.Tags) != 1 || got.Tags[0] != (Tag{"team", "x"}) {
		t.Fatalf("GetUser = %+v", got)
	}
	if c := e.az.last(); c.resource != u.ARN || c.keys["aws:ResourceTag/team"][0] != "x" {
		t.Fatalf("GetUser authorized on %+v", c)
	}
	_, err = e.svc.GetUser(ctx, "alice")
	entWantErr(t, err, ErrNoSuchEntity, "The user with name alice cannot be found.")

	for _, tc := range []struct {
		in       CreateUserInput
		sentinel error
	}{
		{CreateUserInput{UserName: ""}, ErrValidation},
		{CreateUserInput{UserName: "bad name"}, ErrValidation},
		{CreateUserInput{UserName: strings.Repeat("a", 65)}, ErrValidation},
		{CreateUserInput{UserName: "p", Path: "eng"}, ErrValidation},
		{CreateUserInput{UserName: "p", Path: "/eng"}, ErrValidation},
		{CreateUserInput{UserName: "p", PermissionsBoundary: "arn:aws:iam::" + e.acctA + ":policy/nope"}, ErrNoSuchEntity},
		{CreateUserInput{UserName: "p", PermissionsBoundary: "arn:aws:s3:::bucket/whatever"}, ErrInvalidInput},
	} {
		if _, err := e.svc.CreateUser(ctx, tc.in); !errors.Is(err, tc.sentinel) {
			t.Errorf("CreateUser(%+v) = %v, want %v", tc.in, err, tc.sentinel)
		}
	}
	// Boundaries: AWS managed by form, customer managed must exist here.
	u2 := entMust[User](t)(e.svc.CreateUser(ctx, CreateUserInput{UserName: "b1", PermissionsBoundary: "arn:aws:iam::aws:policy/PowerUserAccess"}))
	if u2.BoundaryARN != "arn:aws:iam::aws:policy/PowerUserAccess" {
		t.Fatalf("boundary %q", u2.BoundaryARN)
	}
	pol := "arn:aws:iam::" + e.acctA + ":policy/Boundary"
	entDo(t, e.st.Update(context.Background(), func(tx store.Tx) error {
		_, err := tx.Exec(context.Background(), `INSERT INTO iam_policies (account_id, arn, name_key, name, id, path, default_version, next_version, created_at, updated_at)
			VALUES (?, ?, 'boundary', 'Boundary', 'ANPAX', '/', 'v1', 2, 0, 0)`, e.acctA, pol)
		return err
	}))
	entMust[User](t)(e.svc.CreateUser(ctx, CreateUserInput{UserName: "b2", PermissionsBoundary: pol}))
	if got := entMust[User](t)(e.svc.GetUser(ctx, "b2")); got.BoundaryARN != pol {
		t.Fatalf("boundary not stored: %+v", got)
	}
	// The other account cannot use this account's policy as a boundary.
	_, err = e.svc.CreateUser(e.root(e.acctB), CreateUserInput{UserName: "b2", PermissionsBoundary: pol})
	entWantErr(t, err, ErrNoSuchEntity, "Scope ARN: "+pol+" does not exist or is not attachable.")
}

func TestEntGetUserSelf(t *testing.T) {
	e := newEntEnv(t)
	root := entMust[User](t)(e.svc.GetUser(e.root(e.acctA), ""))
	if !root.Root || root.ID != e.acctA || root.ARN != "arn:aws:iam::"+e.acctA+":root" || root.CreatedAt.IsZero() {
		t.Fatalf("root user = %+v", root)
	}
	entMust[User](t)(e.svc.CreateUser(e.root(e.acctA), CreateUserInput{UserName: "alice"}))
	me := entMust[User](t)(e.svc.GetUser(e.asUser(e.acctA, "alice"), ""))
	if me.Name != "alice" || me.Root {
		t.Fatalf("self = %+v", me)
	}
	roleCtx := caller.With(context.Background(), &caller.Caller{Principal: caller.Principal{Type: caller.AssumedRole, AccountID: e.acctA}})
	_, err := e.svc.GetUser(roleCtx, "")
	entWantErr(t, err, ErrValidation, "Must specify userName when calling with non-User credentials")
	_, err = e.svc.GetUser(context.Background(), "alice")
	entWantErr(t, err, ErrNoCaller, "")
}

func TestEntListUsersPagination(t *testing.T) {
	e := newEntEnv(t)
	ctx := e.root(e.acctA)
	for _, n := range []string{"eve", "Carol", "alice", "dave", "bob"} {
		path := "/"
		if n == "bob" || n == "dave" {
			path = "/eng/"
		}
		entMust[User](t)(e.svc.CreateUser(ctx, CreateUserInput{UserName: n, Path: path}))
	}
	var all []string
	page := PageInput{MaxItems: 2}
	for i := 0; ; i++ {
		l := entMust[Listing[User]](t)(e.svc.ListUsers(ctx, "", page))
		all = append(all, userNames(l)...)
		if !l.IsTruncated {
			if l.Marker != "" {
				t.Fatalf("marker on last page")
			}
			break
		}
		if len(l.Items) != 2 || l.Marker == "" || i > 5 {
			t.Fatalf("page %d = %+v", i, l)
		}
		page.Marker = l.Marker
	}
	if got := strings.Join(all, ","); got != "alice,bob,Carol,dave,eve" {
		t.Fatalf("all users = %s", got)
	}
	l := entMust[Listing[User]](t)(e.svc.ListUsers(ctx, "/eng/", PageInput{}))
	if got := strings.Join(userNames(l), ","); got != "bob,dave" || l.IsTruncated {
		t.Fatalf("path prefix = %s", got)
	}
	if c := e.az.last(); c.action != "iam:ListUsers" || c.resource != "*" {
		t.Fatalf("authorized %+v", c)
	}
	for _, p := range []PageInput{{MaxItems: -1}, {MaxItems: 1001}, {Marker: "garbage!"}} {
		if _, err := e.svc.ListUsers(ctx, "", p); err == nil {
			t.Errorf("ListUsers(%+v) succeeded", p)
		}
	}
	// A deleted item does not shift the next page.
	l = entMust[Listing[User]](t)(e.svc.ListUsers(ctx, "", PageInput{MaxItems: 2}))
	entDo(t, e.svc.DeleteUser(ctx, "bob"))
	l = entMust[Listing[User]](t)(e.svc.ListUsers(ctx, "", PageInput{MaxItems: 2, Marker: l.Marker}))
	if got := strings.Join(userNames(l), ","); got != "Carol,dave" {
		t.Fatalf("after delete = %s", got)
	}
}

func TestEntUpdateUserRenameFollows(t *testing.T) {
	e := newEntEnv(t)
	ctx := e.root(e.acctA)
	entMust[User](t)(e.svc.CreateUser(ctx, CreateUserInput{UserName: "bob", Tags: []Tag{{"k", "v"}}}))
	entMust[User](t)(e.svc.CreateUser(ctx, CreateUserInput{UserName: "taken"}))
	entMust[Group](t)(e.svc.CreateGroup(ctx, "devs", ""))
	entDo(t, e.svc.AddUserToGroup(ctx, "devs", "bob"))
	key := entMust[AccessKey](t)(e.svc.CreateAccessKey(ctx, "bob"))
	entDo(t, e.st.Update(context.Background(), func(tx store.Tx) error {
		if _, err := tx.Exec(context.Background(), `INSERT INTO iam_inline_policies (account_id, kind, entity_key, name_key, name, document) VALUES (?, 'user', 'bob', 'p', 'p', '{}')`, e.acctA); err != nil {
			return err
		}
		_, err := tx.Exec(context.Background(), `INSERT INTO iam_attachments (account_id, kind, entity_key, policy_arn) VALUES (?, 'user', 'bob', 'arn:aws:iam::aws:policy/X')`, e.acctA)
		return err
	}))

	err := e.svc.UpdateUser(ctx, UpdateUserInput{UserName: "bob", NewUserName: entPtr("TAKEN")})
	entWantErr(t, err, ErrEntityAlreadyExists, "User with name TAKEN already exists.")
	err = e.svc.UpdateUser(ctx, UpdateUserInput{UserName: "nobody", NewPath: entPtr("/x/")})
	entWantErr(t, err, ErrNoSuchEntity, "The user with name nobody cannot be found.")

	before := e.rec.changed
	entDo(t, e.svc.UpdateUser(ctx, UpdateUserInput{UserName: "bob", NewUserName: entPtr("Robert"), NewPath: entPtr("/ops/")}))
	if e.rec.changed == before {
		t.Fatal("rename did not report a permissions change")
	}
	_, err = e.svc.GetUser(ctx, "bob")
	entWantErr(t, err, ErrNoSuchEntity, "")
	u := entMust[User](t)(e.svc.GetUser(ctx, "robert"))
	if u.Name != "Robert" || u.Path != "/ops/" || u.ARN != "arn:aws:iam::"+e.acctA+":user/ops/Robert" || len(u.Tags) != 1 {
		t.Fatalf("renamed user = %+v", u)
	}
	g, members := entMust2(t)(e.svc.GetGroup(ctx, "devs", PageInput{}))
	if g.Name != "devs" || len(members.Items) != 1 || members.Items[0].Name != "Robert" {
		t.Fatalf("members after rename = %+v", members)
	}
	keys := entMust[Listing[AccessKey]](t)(e.svc.ListAccessKeys(ctx, "Robert", PageInput{}))
	if len(keys.Items) != 1 || keys.Items[0].AccessKeyID != key.AccessKeyID || keys.Items[0].UserName != "Robert" {
		t.Fatalf("keys after rename = %+v", keys)
	}
	k := entMust[account.Key](t)(e.accounts.LookupKey(context.Background(), key.AccessKeyID))
	if k.Principal.Name != "Robert" || k.Principal.ARN != u.ARN {
		t.Fatalf("key principal after rename = %+v", k.Principal)
	}
	var n int64
	entDo(t, e.st.View(context.Background(), func(tx store.Tx) error {
		return tx.QueryRow(context.Background(), `SELECT (SELECT COUNT(*) FROM iam_inline_policies WHERE entity_key = 'robert') +
			(SELECT COUNT(*) FROM iam_attachments WHERE entity_key = 'robert')`).Scan(&n)
	}))
	if n != 2 {
		t.Fatalf("policies following the rename = %d, want 2", n)
	}
}

// UpdateUser and UpdateGroup need permission on the current ARN and on the
// one the entity will have: a caller allowed only under /sandbox/ can
// neither move an entity out of it nor rename it into a name it may not
// manage, and a refused update changes nothing.
func TestEntUpdateAuthorizesTargetARN(t *testing.T) {
	type getFn func(ctx context.Context, e *entEnv, name string) (path, arn string, err error)
	getUser := func(ctx context.Context, e *entEnv, name string) (string, string, error) {
		u, err := e.svc.GetUser(ctx, name)
		return u.Path, u.ARN, err
	}
	getGroup := func(ctx context.Context, e *entEnv, name string) (string, string, error) {
		g, _, err := e.svc.GetGroup(ctx, name, PageInput{})
		return g.Path, g.ARN, err
	}
	for _, tc := range []struct {
		kind, action string
		create       func(ctx context.Context, e *entEnv) error
		update       func(ctx context.Context, e *entEnv, newName, newPath *string) error
		get          getFn
	}{
		{KindUser, "iam:UpdateUser",
			func(ctx context.Context, e *entEnv) error {
				_, err := e.svc.CreateUser(ctx, CreateUserInput{UserName: "bob", Path: "/sandbox/"})
				return err
			},
			func(ctx context.Context, e *entEnv, newName, newPath *string) error {
				return e.svc.UpdateUser(ctx, UpdateUserInput{UserName: "bob", NewUserName: newName, NewPath: newPath})
			}, getUser},
		{KindGroup, "iam:UpdateGroup",
			func(ctx context.Context, e *entEnv) error {
				_, err := e.svc.CreateGroup(ctx, "bob", "/sandbox/")
				return err
			},
			func(ctx context.Context, e *entEnv, newName, newPath *string) error {
				return e.svc.UpdateGroup(ctx, UpdateGroupInput{GroupName: "bob", NewGroupName: newName, NewPath: newPath})
			}, getGroup},
	} {
		t.Run(tc.kind, func(t *testing.T) {
			e := newEntEnv(t)
			ctx := e.root(e.acctA)
			entDo(t, tc.create(ctx, e))
			sandbox := "arn:aws:iam::" + e.acctA + ":" + tc.kind + "/sandbox/"
			e.az.allow = func(action, resource string, _ map[string][]string) bool {
				return action != tc.action || strings.HasPrefix(resource, sandbox)
			}
			var denied *entDenied
			for _, move := range []struct{ name, path *string }{
				{nil, entPtr("/admins/")},
				{nil, entPtr("/")},
				{entPtr("root"), entPtr("/admins/")},
			} {
				if err := tc.update(ctx, e, move.name, move.path); !errors.As(err, &denied) {
					t.Fatalf("move to name %q path %q: err = %v, want a denial", deref(move.name), *move.path, err)
				}
			}
			if path, arn, err := tc.get(ctx, e, "bob"); err != nil || path != "/sandbox/" || arn != sandbox+"bob" {
				t.Fatalf("after refused moves: path %q arn %q err %v", path, arn, err)
			}
			// Within the sandbox both checks pass.
			entDo(t, tc.update(ctx, e, entPtr("bobby"), entPtr("/sandbox/team/")))
			if got := e.az.resources(tc.action); len(got) < 2 || got[len(got)-2] != sandbox+"bob" || got[len(got)-1] != sandbox+"team/bobby" {
				t.Fatalf("%s authorized on %v, want the current then the target ARN", tc.action, got)
			}
			if path, _, err := tc.get(ctx, e, "bobby"); err != nil || path != "/sandbox/team/" {
				t.Fatalf("after allowed move: path %q err %v", path, err)
			}
		})
	}
}

// A renamed user's access keys leave the authentication cache at once:
// the cached principal still carries the old name and ARN.
func TestEntUpdateUserForgetsKeys(t *testing.T) {
	e := newEntEnv(t)
	ctx := e.root(e.acctA)
	entMust[User](t)(e.svc.CreateUser(ctx, CreateUserInput{UserName: "bob"}))
	k1 := entMust[AccessKey](t)(e.svc.CreateAccessKey(ctx, "bob"))
	k2 := entMust[AccessKey](t)(e.svc.CreateAccessKey(ctx, "bob"))
	e.rec.forgotten = nil
	entDo(t, e.svc.UpdateUser(ctx, UpdateUserInput{UserName: "bob", NewPath: entPtr("/ops/")}))
	got := strings.Join(e.rec.forgotten, ",")
	if !strings.Contains(got, k1.AccessKeyID) || !strings.Contains(got, k2.AccessKeyID) {
		t.Fatalf("forgotten after path change = %q, want %s and %s", got, k1.AccessKeyID, k2.AccessKeyID)
	}
	e.rec.forgotten = nil
	entDo(t, e.svc.UpdateUser(ctx, UpdateUserInput{UserName: "bob", NewUserName: entPtr("robert")}))
	if len(e.rec.forgotten) != 2 {
		t.Fatalf("forgotten after rename = %v", e.rec.forgotten)
	}
	// A refused rename forgets nothing.
	e.rec.forgotten = nil
	e.az.denyAll = true
	if err := e.svc.UpdateUser(ctx, UpdateUserInput{UserName: "robert", NewUserName: entPtr("x")}); err == nil {
		t.Fatal("denied rename succeeded")
	}
	if len(e.rec.forgotten) != 0 {
		t.Fatalf("forgotten after refused rename = %v", e.rec.forgotten)
	}
}

func TestEntDeleteUserConflicts(t *testing.T) {
	e := newEntEnv(t)
	ctx := e.root(e.acctA)
	entMust[User](t)(e.svc.CreateUser(ctx, CreateUserInput{UserName: "bob", Tags: []Tag{{"a", "b"}}}))
	key := entMust[AccessKey](t)(e.svc.CreateAccessKey(ctx, "bob"))
	entMust[Group](t)(e.svc.CreateGroup(ctx, "devs", ""))
	entDo(t, e.svc.AddUserToGroup(ctx, "devs", "bob"))
	exec := func(q string) {
		entDo(t, e.st.Update(context.Background(), func(tx store.Tx) error {
			_, err := tx.Exec(context.Background(), q, e.acctA)
			return err
		}))
	}
	exec(`INSERT INTO iam_inline_policies (account_id, kind, entity_key, name_key, name, document) VALUES (?, 'user', 'bob', 'p', 'p', '{}')`)
	exec(`INSERT INTO iam_attachments (account_id, kind, entity_key, policy_arn) VALUES (?, 'user', 'bob', 'arn:aws:iam::aws:policy/X')`)

	steps := []struct {
		want string
		fix  func()
	}{
		{"Cannot delete entity, must delete access keys first.", func() { entDo(t, e.svc.DeleteAccessKey(ctx, "bob", key.AccessKeyID)) }},
		{"Cannot delete entity, must delete policies first.", func() { exec(`DELETE FROM iam_inline_policies WHERE account_id = ?`) }},
		{"Cannot delete entity, must detach all policies first.", func() { exec(`DELETE FROM iam_attachments WHERE account_id = ?`) }},
		{"Cannot delete entity, must remove users from group first.", func() { entDo(t, e.svc.RemoveUserFromGroup(ctx, "devs", "bob")) }},
	}
	for _, s := range steps {
		entWantErr(t, e.svc.DeleteUser(ctx, "BOB"), ErrDeleteConflict, s.want)
		s.fix()
	}
	entDo(t, e.svc.DeleteUser(ctx, "BOB"))
	entWantErr(t, e.svc.DeleteUser(ctx, "bob"), ErrNoSuchEntity, "The user with name bob cannot be found.")
	// Re-creating the name starts clean: no tags left behind.
	entMust[User](t)(e.svc.CreateUser(ctx, CreateUserInput{UserName: "bob"}))
	if u := entMust[User](t)(e.svc.GetUser(ctx, "bob")); len(u.Tags) != 0 {
		t.Fatalf("stale tags %+v", u.Tags)
	}
}

func TestEntCrossAccountIsolation(t *testing.T) {
	e := newEntEnv(t)
	a, b := e.root(e.acctA), e.root(e.acctB)
	entMust[User](t)(e.svc.CreateUser(a, CreateUserInput{UserName: "shared"}))
	entMust[Group](t)(e.svc.CreateGroup(a, "shared", ""))
	entMust[RoleEntity](t)(e.svc.CreateRole(a, CreateRoleInput{RoleName: "shared", AssumeRolePolicyDocument: ec2Trust}))
	entMust[InstanceProfile](t)(e.svc.CreateInstanceProfile(a, "shared", "", nil))

	if l := entMust[Listing[User]](t)(e.svc.ListUsers(b, "", PageInput{})); len(l.Items) != 0 {
		t.Fatalf("B sees users %v", userNames(l))
	}
	if l := entMust[Listing[Group]](t)(e.svc.ListGroups(b, "", PageInput{})); len(l.Items) != 0 {
		t.Fatalf("B sees groups %+v", l.Items)
	}
	if l := entMust[Listing[RoleEntity]](t)(e.svc.ListRoles(b, "", PageInput{})); len(l.Items) != 0 {
		t.Fatalf("B sees roles %+v", l.Items)
	}
	if l := entMust[Listing[InstanceProfile]](t)(e.svc.ListInstanceProfiles(b, "", PageInput{})); len(l.Items) != 0 {
		t.Fatalf("B sees profiles %+v", l.Items)
	}
	_, err := e.svc.GetUser(b, "shared")
	entWantErr(t, err, ErrNoSuchEntity, "The user with name shared cannot be found.")
	_, err = e.svc.GetRole(b, "shared")
	entWantErr(t, err, ErrNoSuchEntity, "The role with name shared cannot be found.")
	_, _, err = e.svc.GetGroup(b, "shared", PageInput{})
	entWantErr(t, err, ErrNoSuchEntity, "The group with name shared cannot be found.")
	_, err = e.svc.GetInstanceProfile(b, "shared")
	entWantErr(t, err, ErrNoSuchEntity, "Instance Profile shared cannot be found.")
	entWantErr(t, e.svc.DeleteUser(b, "shared"), ErrNoSuchEntity, "")
	entWantErr(t, e.svc.TagUser(b, "shared", []Tag{{"k", "v"}}), ErrNoSuchEntity, "")
	// B may use the same names; A's entities are untouched.
	ub := entMust[User](t)(e.svc.CreateUser(b, CreateUserInput{UserName: "shared"}))
	if !strings.Contains(ub.ARN, e.acctB) {
		t.Fatalf("B's user ARN %s", ub.ARN)
	}
	if l := entMust[Listing[User]](t)(e.svc.ListUsers(a, "", PageInput{})); len(l.Items) != 1 || l.Items[0].ARN == ub.ARN {
		t.Fatalf("A's users %+v", l.Items)
	}
	// A's key cannot be managed through B.
	ka := entMust[AccessKey](t)(e.svc.CreateAccessKey(a, "shared"))
	entWantErr(t, e.svc.UpdateAccessKey(b, "shared", ka.AccessKeyID, "Inactive"), ErrNoSuchEntity,
		fmt.Sprintf("The Access Key with id %s cannot be found.", ka.AccessKeyID))
	_, err = e.svc.GetAccessKeyLastUsed(b, ka.AccessKeyID)
	entWantErr(t, err, ErrNoSuchEntity, "")
}

func TestEntDeniedChangesNothing(t *testing.T) {
	e := newEntEnv(t)
	ctx := e.root(e.acctA)
	entMust[User](t)(e.svc.CreateUser(ctx, CreateUserInput{UserName: "keep"}))
	entMust[RoleEntity](t)(e.svc.CreateRole(ctx, CreateRoleInput{RoleName: "r", AssumeRolePolicyDocument: ec2Trust}))
	e.az.denyAll = true
	var denied *entDenied
	ops := map[string]error{
		"CreateUser": func() error { _, err := e.svc.CreateUser(ctx, CreateUserInput{UserName: "new"}); return err }(),
		"DeleteUser": e.svc.DeleteUser(ctx, "keep"),
		"UpdateUser": e.svc.UpdateUser(ctx, UpdateUserInput{UserName: "keep", NewUserName: entPtr("other")}),
		"TagUser":    e.svc.TagUser(ctx, "keep", []Tag{{"k", "v"}}),
		"CreateKey":  func() error { _, err := e.svc.CreateAccessKey(ctx, "keep"); return err }(),
		"CreateGrp":  func() error { _, err := e.svc.CreateGroup(ctx, "g", ""); return err }(),
		"DeleteRole": e.svc.DeleteRole(ctx, "r"),
		"Alias":      e.svc.CreateAccountAlias(ctx, "my-alias"),
		"ListUsers":  func() error { _, err := e.svc.ListUsers(ctx, "", PageInput{}); return err }(),
	}
	for name, err := range ops {
		if !errors.As(err, &denied) {
			t.Errorf("%s: err = %v, want a denial", name, err)
		}
	}
	e.az.denyAll = false
	l := entMust[Listing[User]](t)(e.svc.ListUsers(ctx, "", PageInput{}))
	if got := strings.Join(userNames(l), ","); got != "keep" {
		t.Fatalf("users after denied calls = %s", got)
	}
	if u := entMust[User](t)(e.svc.GetUser(ctx, "keep")); len(u.Tags) != 0 {
		t.Fatalf("tags after denied TagUser = %+v", u.Tags)
	}
	if k := entMust[Listing[AccessKey]](t)(e.svc.ListAccessKeys(ctx, "keep", PageInput{})); len(k.Items) != 0 {
		t.Fatalf("keys after denied CreateAccessKey = %+v", k.Items)
	}
	entMust[RoleEntity](t)(e.svc.GetRole(ctx, "r"))
	if a := entMust[Listing[string]](t)(e.svc.ListAccountAliases(ctx, PageInput{})); len(a.Items) != 0 {
		t.Fatalf("aliases after denied create = %v", a.Items)
	}
	if g := entMust[Listing[Group]](t)(e.svc.ListGroups(ctx, "", PageInput{})); len(g.Items) != 0 {
		t.Fatalf("groups after denied create = %v", g.Items)
	}
}

func entPtr[T any](v T) *T { return &v }

func deref(s *string) string {
	if s == nil {
		return "(unchanged)"
	}
	return *s
}

func entMust2(t *testing.T) func(Group, Listing[User], error) (Group, Listing[User]) {
	return func(g Group, l Listing[User], err error) (Group, Listing[User]) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return g, l
	}
}
