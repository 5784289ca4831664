package iam

import (
	"context"
	"crypto/rand"
	"io"
	"time"

	"github.com/nimbuscloud/nimbus/internal/account"
	"github.com/nimbuscloud/nimbus/internal/caller"
	"github.com/nimbuscloud/nimbus/internal/store"
)

// Authorizer decides whether the caller in ctx may perform action on
// resource. It returns nil when allowed and an error (the authorizer's
// denial type, which the api layer renders as AccessDenied) when not.
type Authorizer interface {
	Authorize(ctx context.Context, action, resource string, keys map[string][]string) error
}

// Changes is told after every committed change that can alter a
// principal's effective permissions in an account (policies, attachments,
// memberships, boundaries, deletions), so caches can drop what they hold.
type Changes interface {
	PermissionsChanged(accountID string)
}

// KeyForgetter drops an access key from the authentication cache at once
// (after UpdateAccessKey or DeleteAccessKey in this process).
type KeyForgetter interface {
	Forget(accessKeyID string)
}

// Options configures a Service.
type Options struct {
	Now     func() time.Time
	Rand    io.Reader
	Changes Changes      // may be nil
	Keys    KeyForgetter // may be nil
}

// Service is IAM for every account of the region.
type Service struct {
	st       store.Store
	accounts *account.Service
	authz    Authorizer
	changes  Changes
	keys     KeyForgetter
	now      func() time.Time
	rand     io.Reader
}

// New returns the IAM service. Call Migrate before use.
func New(st store.Store, accounts *account.Service, authz Authorizer, opts Options) *Service {
	s := &Service{st: st, accounts: accounts, authz: authz, changes: opts.Changes, keys: opts.Keys, now: opts.Now, rand: opts.Rand}
	if s.now == nil {
		s.now = time.Now
	}
	if s.rand == nil {
		s.rand = rand.Reader
	}
	return s
}

// Migrate applies IAM's schema.
func (s *Service) Migrate(ctx context.Context) error { return s.st.Migrate(ctx, Schema()) }

// callerAccount returns the caller's account, or ErrNoCaller.
func callerAccount(ctx context.Context) (*caller.Caller, string, error) {
	c := caller.From(ctx)
	if c == nil || c.Anonymous() || c.Principal.AccountID == "" {
		return nil, "", ErrNoCaller
	}
	return c, c.Principal.AccountID, nil
}

// authorize checks action on resource for the caller and returns its account.
func (s *Service) authorize(ctx context.Context, action, resource string, keys map[string][]string) (string, error) {
	_, acct, err := callerAccount(ctx)
	if err != nil {
		return "", err
	}
	if err := s.authz.Authorize(ctx, action, resource, keys); err != nil {
		return "", err
	}
	return acct, nil
}

// forgetKey drops a key from the authentication cache.
func (s *Service) forgetKey(accessKeyID string) {
	if s.keys != nil {
		s.keys.Forget(accessKeyID)
	}
}

// changed notifies Changes after a committed permission-affecting change.
func (s *Service) changed(accountID string) {
	if s.changes != nil {
		s.changes.PermissionsChanged(accountID)
	}
}
