package sts

import (
	"context"
	"encoding/base64"
	"strings"

	"github.com/nimbuscloud/nimbus/internal/authz"
	"github.com/nimbuscloud/nimbus/internal/caller"
)

// DecodeAuthorizationMessage opens an encoded authorization failure message
// (as EC2 returns with UnauthorizedOperation) for the account that got it.
func (s *Service) DecodeAuthorizationMessage(ctx context.Context, encoded string) (string, error) {
	c := caller.From(ctx)
	if c == nil || c.Anonymous() {
		return "", ErrNoCaller
	}
	if err := s.authz.Authorize(ctx, "sts:DecodeAuthorizationMessage", "*", nil); err != nil {
		return "", err
	}
	raw, err := base64.StdEncoding.DecodeString(strings.TrimSpace(encoded))
	if err != nil {
		return "", errorf(ErrInvalidAuthMsg, "The encoded message is not valid base64.")
	}
	plain, err := s.box.Open(raw, authz.MessageAAD(c.Principal.AccountID))
	if err != nil {
		return "", errorf(ErrInvalidAuthMsg, "The message cannot be decoded by this account.")
	}
	return string(plain), nil
}
