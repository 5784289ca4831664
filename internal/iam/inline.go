package iam

import (
	"context"
	"errors"

	"github.com/nimbuscloud/nimbus/internal/iam/policy"
	"github.com/nimbuscloud/nimbus/internal/store"
)

// InlinePolicy is a policy embedded in a user, group or role.
type InlinePolicy struct {
	EntityName string // the user, group or role as stored
	Name       string
	Document   string // JSON text as it was sent
}

func polNoSuchInline(kind, name string) error {
	return errorf(ErrNoSuchEntity, "The %s policy with name %s cannot be found.", kind, name)
}

// PutUserPolicy adds or replaces an inline policy of a user.
func (s *Service) PutUserPolicy(ctx context.Context, user, name, document string) error {
	return s.putInline(ctx, KindUser, user, name, document)
}

// PutGroupPolicy adds or replaces an inline policy of a group.
func (s *Service) PutGroupPolicy(ctx context.Context, group, name, document string) error {
	return s.putInline(ctx, KindGroup, group, name, document)
}

// PutRolePolicy adds or replaces an inline policy of a role.
func (s *Service) PutRolePolicy(ctx context.Context, role, name, document string) error {
	return s.putInline(ctx, KindRole, role, name, document)
}

// GetUserPolicy returns an inline policy of a user.
func (s *Service) GetUserPolicy(ctx context.Context, user, name string) (InlinePolicy, error) {
	return s.getInline(ctx, KindUser, user, name)
}

// GetGroupPolicy returns an inline policy of a group.
func (s *Service) GetGroupPolicy(ctx context.Context, group, name string) (InlinePolicy, error) {
	return s.getInline(ctx, KindGroup, group, name)
}

// GetRolePolicy returns an inline policy of a role.
func (s *Service) GetRolePolicy(ctx context.Context, role, name string) (InlinePolicy, error) {
	return s.getInline(ctx, KindRole, role, name)
}

// DeleteUserPolicy deletes an inline policy of a user.
func (s *Service) DeleteUserPolicy(ctx context.Context, user, name string) error {
	return s.deleteInline(ctx, KindUser, user, name)
}

// DeleteGroupPolicy deletes an inline policy of a group.
func (s *Service) DeleteGroupPolicy(ctx context.Context, group, name string) error {
	return s.deleteInline(ctx, KindGroup, group, name)
}

// DeleteRolePolicy deletes an inline policy of a role.
func (s *Service) DeleteRolePolicy(ctx context.Context, role, name string) error {
	return s.deleteInline(ctx, KindRole, role, name)
}

// ListUserPolicies lists the names of a user's inline policies.
func (s *Service) ListUserPolicies(ctx context.Context, user string, page PageInput) (Listing[string], error) {
	return s.listInline(ctx, KindUser, user, page)
}

// ListGroupPolicies lists the names of a group's inline policies.
func (s *Service) ListGroupPolicies(ctx context.Context, group string, page PageInput) (Listing[string], error) {
	return s.listInline(ctx, KindGroup, group, page)
}

// ListRolePolicies lists the names of a role's inline policies.
func (s *Service) ListRolePolicies(ctx context.Context, role string, page PageInput) (Listing[string], error) {
	return s.listInline(ctx, KindRole, role, page)
}

// authorizeInline validates the entity and policy names of an inline
// policy operation and authorizes iam:<op><User|Group|Role>Policy on the
// entity. It returns the caller's account.
func (s *Service) authorizeInline(ctx context.Context, op, kind, entity, name string) (string, error) {
	e := kindOf(kind)
	if err := validateName(e.field, entity, e.maxName); err != nil {
		return "", err
	}
	if err := validateName("policyName", name, maxPolicyName); err != nil {
		return "", err
	}
	return s.authorizeEntity(ctx, "iam:"+op+e.verb+"Policy", kind, entity, nil)
}

// putInline validates the document, then stores it if the entity's
// inline policies stay within their aggregate size quota.
func (s *Service) putInline(ctx context.Context, kind, entity, name, document string) error {
	acct, err := s.authorizeInline(ctx, "Put", kind, entity, name)
	if err != nil {
		return err
	}
	if err := polValidateDocument(document, policy.Identity); err != nil {
		return err
	}
	return s.updateChanged(ctx, acct, func(tx store.Tx) error {
		t, err := polModifiableTx(ctx, tx, acct, kind, entity)
		if err != nil {
			return err
		}
		key := nameKey(entity)
		rows, err := tx.Query(ctx, `SELECT name_key, document FROM iam_inline_policies WHERE account_id = ? AND kind = ? AND entity_key = ?`, acct, kind, key)
		if err != nil {
			return err
		}
		total := polSize(document)
		for rows.Next() {
			var nk, doc string
			if err := rows.Scan(&nk, &doc); err != nil {
				rows.Close()
				return err
			}
			if nk != nameKey(name) {
				total += polSize(doc)
			}
		}
		if err := rows.Close(); err != nil {
			return err
		}
		if limit := kindOf(kind).inlineMax; total > limit {
			return errorf(ErrLimitExceeded, "Maximum policy size of %d bytes exceeded for %s %s", limit, kind, t.Name)
		}
		_, err = tx.Exec(ctx, `INSERT INTO iam_inline_policies (account_id, kind, entity_key, name_key, name, document) VALUES (?, ?, ?, ?, ?, ?)
			ON CONFLICT (account_id, kind, entity_key, name_key) DO UPDATE SET name = excluded.name, document = excluded.document`,
			acct, kind, key, nameKey(name), name, document)
		return err
	})
}

func (s *Service) getInline(ctx context.Context, kind, entity, name string) (InlinePolicy, error) {
	acct, err := s.authorizeInline(ctx, "Get", kind, entity, name)
	if err != nil {
		return InlinePolicy{}, err
	}
	var out InlinePolicy
	err = s.st.View(ctx, func(tx store.Tx) error {
		t, err := polTargetTx(ctx, tx, acct, kind, entity)
		if err != nil {
			return err
		}
		out.EntityName = t.Name
		err = tx.QueryRow(ctx, `SELECT name, document FROM iam_inline_policies WHERE account_id = ? AND kind = ? AND entity_key = ? AND name_key = ?`,
			acct, kind, nameKey(entity), nameKey(name)).Scan(&out.Name, &out.Document)
		if errors.Is(err, store.ErrNotFound) {
			return polNoSuchInline(kind, name)
		}
		return err
	})
	return out, err
}

func (s *Service) deleteInline(ctx context.Context, kind, entity, name string) error {
	acct, err := s.authorizeInline(ctx, "Delete", kind, entity, name)
	if err != nil {
		return err
	}
	return s.updateChanged(ctx, acct, func(tx store.Tx) error {
		if _, err := polModifiableTx(ctx, tx, acct, kind, entity); err != nil {
			return err
		}
		n, err := tx.Exec(ctx, `DELETE FROM iam_inline_policies WHERE account_id = ? AND kind = ? AND entity_key = ? AND name_key = ?`,
			acct, kind, nameKey(entity), nameKey(name))
		if err != nil {
			return err
		}
		if n == 0 {
			return polNoSuchInline(kind, name)
		}
		return nil
	})
}

func (s *Service) listInline(ctx context.Context, kind, entity string, page PageInput) (Listing[string], error) {
	e := kindOf(kind)
	if err := validateName(e.field, entity, e.maxName); err != nil {
		return Listing[string]{}, err
	}
	acct, err := s.authorizeEntity(ctx, "iam:List"+e.verb+"Policies", kind, entity, nil)
	if err != nil {
		return Listing[string]{}, err
	}
	var names []string
	err = s.st.View(ctx, func(tx store.Tx) error {
		names = names[:0]
		if _, err := polTargetTx(ctx, tx, acct, kind, entity); err != nil {
			return err
		}
		rows, err := tx.Query(ctx, `SELECT name FROM iam_inline_policies WHERE account_id = ? AND kind = ? AND entity_key = ?`, acct, kind, nameKey(entity))
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var n string
			if err := rows.Scan(&n); err != nil {
				return err
			}
			names = append(names, n)
		}
		return rows.Err()
	})
	if err != nil {
		return Listing[string]{}, err
	}
	return polPage(names, nameKey, page)
}
