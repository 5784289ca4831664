package sts

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/nimbuscloud/nimbus/internal/caller"
	"github.com/nimbuscloud/nimbus/internal/iam"
	"github.com/nimbuscloud/nimbus/internal/secret"
	"github.com/nimbuscloud/nimbus/internal/store"
)

// Errors; internal/api/sts maps them to AWS codes.
var (
	ErrNoCaller        = errors.New("sts: request has no authenticated caller")
	ErrValidation      = errors.New("ValidationError")
	ErrMalformedPolicy = errors.New("MalformedPolicyDocument")
	ErrPackedTooLarge  = errors.New("PackedPolicyTooLarge")
	ErrAccessDenied    = errors.New("AccessDenied")
	ErrInvalidAuthMsg  = errors.New("InvalidAuthorizationMessageException")
	ErrSessionNotFound = errors.New("sts: session not found")
)

func errorf(sentinel error, format string, args ...any) error {
	return fmt.Errorf("%w: %s", sentinel, fmt.Sprintf(format, args...))
}

// Authorizer decides the caller's requests; AuthorizeWithPolicy adds a
// resource-based policy (a role's trust policy) owned by resourceAccount.
type Authorizer interface {
	Authorize(ctx context.Context, action, resource string, keys map[string][]string) error
	AuthorizeWithPolicy(ctx context.Context, action, resource, resourceAccount, resourcePolicy string, keys map[string][]string) error
}

// Roles is what STS needs from IAM.
type Roles interface {
	RoleByARN(ctx context.Context, arn string) (iam.Role, error)
	RoleByID(ctx context.Context, accountID, roleID string) (iam.Role, error)
	UserByID(ctx context.Context, accountID, userID string) (name, arn string, err error)
	NoteRoleUsed(ctx context.Context, accountID, roleID, region string) error
}

// KeyAccounts tells which account owns a long-term access key.
type KeyAccounts interface {
	KeyAccount(ctx context.Context, accessKeyID string) (string, error)
}

// Options configures a Service.
type Options struct {
	Now  func() time.Time
	Rand io.Reader
	// MinDuration is the shortest session issued (AWS: 15 minutes); tests
	// lower it to see credentials expire.
	MinDuration time.Duration
}

// Service is STS.
type Service struct {
	st    store.Store
	box   *secret.Box
	roles Roles
	keys  KeyAccounts
	authz Authorizer
	now   func() time.Time
	rand  io.Reader
	minD  time.Duration
}

// New returns the STS service. Call Migrate before use.
func New(st store.Store, box *secret.Box, roles Roles, keys KeyAccounts, authz Authorizer, opts Options) *Service {
	s := &Service{st: st, box: box, roles: roles, keys: keys, authz: authz, now: opts.Now, rand: opts.Rand, minD: opts.MinDuration}
	if s.minD == 0 {
		s.minD = minDuration
	}
	if s.now == nil {
		s.now = time.Now
	}
	if s.rand == nil {
		s.rand = rand.Reader
	}
	return s
}

// Migrate applies STS's schema.
func (s *Service) Migrate(ctx context.Context) error { return s.st.Migrate(ctx, Schema()) }

// Identity is who signed a request.
type Identity struct {
	Account string
	ARN     string
	UserID  string
}

// GetCallerIdentity returns the identity of the caller. Like AWS, it needs
// no permission: it is allowed even when a policy denies everything.
func (s *Service) GetCallerIdentity(ctx context.Context) (Identity, error) {
	c := caller.From(ctx)
	if c == nil || c.Anonymous() {
		return Identity{}, ErrNoCaller
	}
	return Identity{Account: c.Principal.AccountID, ARN: c.Principal.ARN, UserID: c.Principal.UserID}, nil
}

// GetAccessKeyInfo returns the account that owns an access key.
func (s *Service) GetAccessKeyInfo(ctx context.Context, accessKeyID string) (string, error) {
	if err := s.authz.Authorize(ctx, "sts:GetAccessKeyInfo", "*", nil); err != nil {
		return "", err
	}
	if len(accessKeyID) < 16 || len(accessKeyID) > 128 {
		return "", errorf(ErrValidation, "1 validation error detected: Value at 'accessKeyId' failed to satisfy constraint: Member must have length between 16 and 128")
	}
	if sess, err := s.session(ctx, accessKeyID); err == nil {
		return sess.AccountID, nil
	}
	acct, err := s.keys.KeyAccount(ctx, accessKeyID)
	if err != nil {
		return "", errorf(ErrValidation, "The access key ID %s is not known to this region.", accessKeyID)
	}
	return acct, nil
}
