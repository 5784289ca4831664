package sts

import (
	"context"
	"time"

	"github.com/nimbuscloud/nimbus/internal/caller"
)

// Session-token durations, per the STS API reference.
const (
	sessionTokenDefault = 12 * time.Hour
	sessionTokenMaxUser = 36 * time.Hour
	sessionTokenMaxRoot = time.Hour
)

// GetSessionToken issues temporary credentials with the permissions of the
// calling IAM user (or root). As on AWS, they cannot call IAM, nor STS
// other than AssumeRole and GetCallerIdentity (no MFA support yet).
func (s *Service) GetSessionToken(ctx context.Context, durationSeconds int) (Credentials, error) {
	c := caller.From(ctx)
	if c == nil || c.Anonymous() {
		return Credentials{}, ErrNoCaller
	}
	if c.Principal.Session != nil {
		return Credentials{}, errorf(ErrAccessDenied, "Cannot call GetSessionToken with session credentials")
	}
	if err := s.authz.Authorize(ctx, "sts:GetSessionToken", "*", nil); err != nil {
		return Credentials{}, err
	}
	maxD := sessionTokenMaxUser
	if c.Principal.Type == caller.Root {
		maxD = sessionTokenMaxRoot
	}
	d := time.Duration(durationSeconds) * time.Second
	if durationSeconds == 0 {
		d = min(sessionTokenDefault, maxD)
	}
	if d < s.minD || d > maxD {
		return Credentials{}, errorf(ErrValidation, "1 validation error detected: Value '%d' at 'durationSeconds' failed to satisfy constraint: Member must have value between 900 and %d", durationSeconds, int(maxD/time.Second))
	}
	p := c.Principal
	p.Session = &caller.Session{Kind: caller.SessionGetSessionToken}
	owner := ""
	if p.Type == caller.User {
		owner = p.UserID // the session dies with its user
	}
	return s.issue(ctx, p, owner, d)
}
