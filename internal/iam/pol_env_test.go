package iam

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nimbuscloud/nimbus/internal/caller"
	"github.com/nimbuscloud/nimbus/internal/store"
	"github.com/nimbuscloud/nimbus/internal/store/sqlite"
)

// ---- test environment of the policy operations (prefixed pol) ----

// polAllowAll is a fake Authorizer that allows everything and records the
// calls.
type polAllowAll struct {
	mu    sync.Mutex
	calls []string // "action resource"
	keys  []map[string][]string
}

func (a *polAllowAll) Authorize(_ context.Context, action, resource string, keys map[string][]string) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.calls = append(a.calls, action+" "+resource)
	a.keys = append(a.keys, keys)
	return nil
}

type polChanges struct {
	mu sync.Mutex
	n  int
}

func (c *polChanges) PermissionsChanged(string) { c.mu.Lock(); c.n++; c.mu.Unlock() }
func (c *polChanges) count() int                { c.mu.Lock(); defer c.mu.Unlock(); return c.n }

type polEnv struct {
	svc *Service
	st  store.Store
	az  *polAllowAll
	chg *polChanges
}

const (
	polAcctA = "111111111111"
	polAcctB = "222222222222"
)

func newPolEnv(t *testing.T) *polEnv {
	t.Helper()
	st, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "meta.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	e := &polEnv{st: st, az: &polAllowAll{}, chg: &polChanges{}}
	clock := time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC)
	e.svc = New(st, nil, e.az, Options{Changes: e.chg, Now: func() time.Time { clock = clock.Add(time.Second); return clock }})
	if err := e.svc.Migrate(context.Background()); err != nil {
		t.Fatal(err)
	}
	return e
}

// ctx is a request of acct's root user.
func polCtx(acct string) context.Context {
	return caller.With(context.Background(), &caller.Caller{RequestID: "req-1", Principal: caller.Principal{
		Type: caller.Root, AccountID: acct, ARN: "arn:aws:iam::" + acct + ":root", UserID: acct}})
}

// exec runs SQL directly, to create entities without the entity API.
func (e *polEnv) exec(t *testing.T, q string, args ...any) {
	t.Helper()
	if err := e.st.Update(context.Background(), func(tx store.Tx) error {
		_, err := tx.Exec(context.Background(), q, args...)
		return err
	}); err != nil {
		t.Fatal(err)
	}
}

func (e *polEnv) user(t *testing.T, acct, name string) {
	e.exec(t, `INSERT INTO iam_users (account_id, name_key, name, id, path, arn, created_at) VALUES (?, ?, ?, ?, '/', ?, 1)`,
		acct, nameKey(name), name, "AIDA"+strings.ToUpper(name)+acct, userARN(acct, "/", name))
}

func (e *polEnv) group(t *testing.T, acct, name string, members ...string) {
	e.exec(t, `INSERT INTO iam_groups (account_id, name_key, name, id, path, arn, created_at) VALUES (?, ?, ?, ?, '/', ?, 1)`,
		acct, nameKey(name), name, "AGPA"+strings.ToUpper(name)+acct, groupARN(acct, "/", name))
	for _, m := range members {
		e.exec(t, `INSERT INTO iam_group_members (account_id, group_key, user_key) VALUES (?, ?, ?)`, acct, nameKey(name), nameKey(m))
	}
}

func (e *polEnv) role(t *testing.T, acct, path, name string) {
	e.exec(t, `INSERT INTO iam_roles (account_id, name_key, name, id, path, arn, trust_policy, max_session_duration, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, 3600, 1)`,
		acct, nameKey(name), name, "AROA"+strings.ToUpper(name)+acct, path, roleARN(acct, path, name),
		`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}`)
}

// polDoc is an identity policy allowing (or denying) actions on resource.
func polDoc(effect, action, resource string) string {
	return `{"Version":"2012-10-17","Statement":[{"Sid":"S1","Effect":"` + effect + `","Action":"` + action + `","Resource":"` + resource + `"}]}`
}

func polWant(t *testing.T, err, sentinel error, msg string) {
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

func polOK(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func polMust[T any](t *testing.T) func(T, error) T {
	return func(v T, err error) T {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
}
