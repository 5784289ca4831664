package iam

import (
	"context"

	"github.com/nimbuscloud/nimbus/internal/store"
)

// PutUserPermissionsBoundary sets a user's permissions boundary to a
// managed policy (customer managed in the account, or AWS managed).
func (s *Service) PutUserPermissionsBoundary(ctx context.Context, user, arn string) error {
	return s.putBoundary(ctx, KindUser, user, arn)
}

// PutRolePermissionsBoundary sets a role's permissions boundary.
func (s *Service) PutRolePermissionsBoundary(ctx context.Context, role, arn string) error {
	return s.putBoundary(ctx, KindRole, role, arn)
}

// DeleteUserPermissionsBoundary removes a user's permissions boundary.
func (s *Service) DeleteUserPermissionsBoundary(ctx context.Context, user string) error {
	return s.deleteBoundary(ctx, KindUser, user)
}

// DeleteRolePermissionsBoundary removes a role's permissions boundary.
func (s *Service) DeleteRolePermissionsBoundary(ctx context.Context, role string) error {
	return s.deleteBoundary(ctx, KindRole, role)
}

// polNoSuchScope is the error for a permissions boundary that names no
// managed policy.
func polNoSuchScope(arn string) error {
	return errorf(ErrNoSuchEntity, "Scope ARN: %s does not exist or is not attachable.", arn)
}

func (s *Service) putBoundary(ctx context.Context, kind, name, arn string) error {
	e := kindOf(kind)
	acct, err := s.authorizePolicyChange(ctx, "iam:Put"+e.verb+"PermissionsBoundary", kind, name, arn, "iam:PermissionsBoundary")
	if err != nil {
		return err
	}
	return s.updateChanged(ctx, acct, func(tx store.Tx) error {
		if err := polAttachableTx(ctx, tx, acct, kind, name, arn, polNoSuchScope); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, `UPDATE `+e.table+` SET boundary_arn = ? WHERE account_id = ? AND name_key = ?`, arn, acct, nameKey(name))
		return err
	})
}

func (s *Service) deleteBoundary(ctx context.Context, kind, name string) error {
	e := kindOf(kind)
	if err := validateName(e.field, name, e.maxName); err != nil {
		return err
	}
	// authorizeEntity passes the current boundary as iam:PermissionsBoundary.
	acct, err := s.authorizeEntity(ctx, "iam:Delete"+e.verb+"PermissionsBoundary", kind, name, nil)
	if err != nil {
		return err
	}
	return s.updateChanged(ctx, acct, func(tx store.Tx) error {
		if _, err := polModifiableTx(ctx, tx, acct, kind, name); err != nil {
			return err
		}
		_, err = tx.Exec(ctx, `UPDATE `+e.table+` SET boundary_arn = '' WHERE account_id = ? AND name_key = ?`, acct, nameKey(name))
		return err
	})
}
