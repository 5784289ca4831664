package sts

import (
	"context"
	"errors"

	"github.com/nimbuscloud/nimbus/internal/caller"
)

// ErrNoCaller means the request reached the service without an
// authenticated principal (a wiring bug, or an anonymous request).
var ErrNoCaller = errors.New("sts: request has no authenticated caller")

// Identity is who signed a request.
type Identity struct {
	Account string
	ARN     string
	UserID  string
}

// Service is the STS service.
type Service struct{}

// New returns the STS service.
func New() *Service { return &Service{} }

// GetCallerIdentity returns the identity of the caller. Like AWS, it needs
// no permission: it is allowed even when a policy denies everything.
func (s *Service) GetCallerIdentity(ctx context.Context) (Identity, error) {
	c := caller.From(ctx)
	if c == nil || c.Anonymous() {
		return Identity{}, ErrNoCaller
	}
	return Identity{Account: c.Principal.AccountID, ARN: c.Principal.ARN, UserID: c.Principal.UserID}, nil
}
