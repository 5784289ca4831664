package iam

import (
	"context"
	"errors"

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

func (s *Service) putBoundary(ctx context.Context, kind, name, arn string) error {
	e := polEntityOf(kind)
	if err := validateName(e.field, name, e.maxName); err != nil {
		return err
	}
	if err := polCheckARN(arn); err != nil {
		return err
	}
	acct, err := s.authorizeEntity(ctx, "iam:Put"+e.verb+"PermissionsBoundary", kind, name, map[string][]string{"iam:PermissionsBoundary": {arn}})
	if err != nil {
		return err
	}
	table, _ := entityTable(kind)
	err = s.st.Update(ctx, func(tx store.Tx) error {
		t, err := polTargetTx(ctx, tx, acct, kind, name)
		if err != nil {
			return err
		}
		if err := polProtected(kind, t); err != nil {
			return err
		}
		ok, err := polExistsTx(ctx, tx, acct, arn)
		if err != nil {
			return err
		}
		if !ok {
			return errorf(ErrNoSuchEntity, "Scope ARN: %s does not exist or is not attachable.", arn)
		}
		_, err = tx.Exec(ctx, `UPDATE `+table+` SET boundary_arn = ? WHERE account_id = ? AND name_key = ?`, arn, acct, nameKey(name))
		return err
	})
	if err != nil {
		return err
	}
	s.changed(acct)
	return nil
}

func (s *Service) deleteBoundary(ctx context.Context, kind, name string) error {
	e := polEntityOf(kind)
	if err := validateName(e.field, name, e.maxName); err != nil {
		return err
	}
	table, _ := entityTable(kind)
	var current string
	_, acct, err := callerAccount(ctx)
	if err != nil {
		return err
	}
	err = s.st.View(ctx, func(tx store.Tx) error {
		err := tx.QueryRow(ctx, `SELECT boundary_arn FROM `+table+` WHERE account_id = ? AND name_key = ?`, acct, nameKey(name)).Scan(&current)
		if errors.Is(err, store.ErrNotFound) {
			return nil // reported as NoSuchEntity below, after authorization
		}
		return err
	})
	if err != nil {
		return err
	}
	var keys map[string][]string
	if current != "" {
		keys = map[string][]string{"iam:PermissionsBoundary": {current}}
	}
	if _, err := s.authorizeEntity(ctx, "iam:Delete"+e.verb+"PermissionsBoundary", kind, name, keys); err != nil {
		return err
	}
	err = s.st.Update(ctx, func(tx store.Tx) error {
		t, err := polTargetTx(ctx, tx, acct, kind, name)
		if err != nil {
			return err
		}
		if err := polProtected(kind, t); err != nil {
			return err
		}
		_, err = tx.Exec(ctx, `UPDATE `+table+` SET boundary_arn = '' WHERE account_id = ? AND name_key = ?`, acct, nameKey(name))
		return err
	})
	if err != nil {
		return err
	}
	s.changed(acct)
	return nil
}
