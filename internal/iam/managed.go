package iam

import (
	"context"

	"github.com/nimbuscloud/nimbus/internal/store"
)

// ManagedPolicy returns the default version of a managed policy: customer
// managed in accountID, or a shipped AWS managed policy. It does no
// authorization: it is for the authorizer (session policy ARNs). A policy
// that does not exist is NoSuchEntity.
func (s *Service) ManagedPolicy(ctx context.Context, accountID, arn string) (PolicyDoc, error) {
	if err := polCheckARN(arn); err != nil {
		return PolicyDoc{}, err
	}
	var out PolicyDoc
	err := s.st.View(ctx, func(tx store.Tx) error {
		doc, err := polDefaultDocument(ctx, tx, accountID, arn)
		if err != nil {
			return err
		}
		if doc == "" {
			return polNotFound(arn)
		}
		out = PolicyDoc{ID: arn, Document: doc}
		return nil
	})
	return out, err
}
