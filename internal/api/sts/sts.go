package sts

import (
	"context"
	"errors"
	"net/http"

	"github.com/nimbuscloud/nimbus/internal/api/awserr"
	"github.com/nimbuscloud/nimbus/internal/api/protocol"
	"github.com/nimbuscloud/nimbus/internal/sts"
)

// Service returns STS's protocol declaration and operation table.
func Service(svc *sts.Service) *protocol.Service {
	h := handlers{svc: svc}
	s := &protocol.Service{
		SigningName:    "sts",
		Protocols:      []protocol.Kind{protocol.Query},
		Version:        "2011-06-15",
		XMLNamespace:   "https://sts.amazonaws.com/doc/2011-06-15/",
		ValidationCode: "ValidationError",
		MapError:       mapError,
	}
	s.Register(
		protocol.Op("GetCallerIdentity", h.getCallerIdentity),
	)
	return s
}

type handlers struct{ svc *sts.Service }

// GetCallerIdentityInput has no members.
type GetCallerIdentityInput struct{}

// GetCallerIdentityOutput is rendered inside GetCallerIdentityResult.
type GetCallerIdentityOutput struct {
	UserId  string `xml:"UserId"`
	Account string `xml:"Account"`
	Arn     string `xml:"Arn"`
}

func (h handlers) getCallerIdentity(ctx context.Context, _ *GetCallerIdentityInput) (*GetCallerIdentityOutput, error) {
	id, err := h.svc.GetCallerIdentity(ctx)
	if err != nil {
		return nil, err
	}
	return &GetCallerIdentityOutput{UserId: id.UserID, Account: id.Account, Arn: id.ARN}, nil
}

// mapError is STS's error table.
func mapError(err error) (*awserr.Error, bool) {
	switch {
	case errors.Is(err, sts.ErrNoCaller):
		return awserr.New(http.StatusForbidden, "MissingAuthenticationToken", "Request is missing Authentication Token"), true
	}
	return nil, false
}
