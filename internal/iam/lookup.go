package iam

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/nimbuscloud/nimbus/internal/store"
)

// Role is what other components (STS, the authorizer) need to know about a
// role. The lookups below are for the platform's own use and do no
// authorization: callers decide what the requester may learn.
type Role struct {
	AccountID          string
	Name               string
	Path               string
	ARN                string
	ID                 string
	TrustPolicy        string
	MaxSessionDuration time.Duration
	BoundaryARN        string
}

// ParseRoleARN splits arn:aws:iam::<acct>:role/<path/><name>.
func ParseRoleARN(arn string) (accountID, path, name string, ok bool) {
	rest, ok := strings.CutPrefix(arn, "arn:aws:iam::")
	if !ok {
		return "", "", "", false
	}
	acct, res, ok := strings.Cut(rest, ":")
	if !ok || len(acct) != 12 {
		return "", "", "", false
	}
	res, ok = strings.CutPrefix(res, "role/")
	if !ok || res == "" {
		return "", "", "", false
	}
	i := strings.LastIndexByte(res, '/')
	path, name = "/"+res[:i+1], res[i+1:]
	if i < 0 {
		path = "/"
	}
	if name == "" {
		return "", "", "", false
	}
	return acct, path, name, true
}

// RoleByARN returns the role an ARN names; the path must match too.
func (s *Service) RoleByARN(ctx context.Context, arn string) (Role, error) {
	acct, path, name, ok := ParseRoleARN(arn)
	if !ok {
		return Role{}, errorf(ErrValidation, "%s is not a valid role ARN", arn)
	}
	var r Role
	err := s.st.View(ctx, func(tx store.Tx) error {
		var maxDur int64
		err := tx.QueryRow(ctx, `SELECT account_id, name, path, arn, id, trust_policy, max_session_duration, boundary_arn
			FROM iam_roles WHERE account_id = ? AND name_key = ?`, acct, nameKey(name)).
			Scan(&r.AccountID, &r.Name, &r.Path, &r.ARN, &r.ID, &r.TrustPolicy, &maxDur, &r.BoundaryARN)
		if errors.Is(err, store.ErrNotFound) || (err == nil && r.Path != path) {
			return errorf(ErrNoSuchEntity, "The role with name %s cannot be found.", name)
		}
		r.MaxSessionDuration = time.Duration(maxDur) * time.Second
		return err
	})
	return r, err
}

// RoleByID returns the role with this unique ID (a role deleted and
// re-created under the same name has a new ID, so its old sessions stay
// revoked).
func (s *Service) RoleByID(ctx context.Context, accountID, roleID string) (Role, error) {
	var r Role
	err := s.st.View(ctx, func(tx store.Tx) error {
		var maxDur int64
		err := tx.QueryRow(ctx, `SELECT account_id, name, path, arn, id, trust_policy, max_session_duration, boundary_arn
			FROM iam_roles WHERE account_id = ? AND id = ?`, accountID, roleID).
			Scan(&r.AccountID, &r.Name, &r.Path, &r.ARN, &r.ID, &r.TrustPolicy, &maxDur, &r.BoundaryARN)
		if errors.Is(err, store.ErrNotFound) {
			return errorf(ErrNoSuchEntity, "The role with id %s cannot be found.", roleID)
		}
		r.MaxSessionDuration = time.Duration(maxDur) * time.Second
		return err
	})
	return r, err
}

// UserByID returns the current name and ARN of the user with this unique
// ID: sessions follow their user through renames and die with it.
func (s *Service) UserByID(ctx context.Context, accountID, userID string) (name, arn string, err error) {
	err = s.st.View(ctx, func(tx store.Tx) error {
		err := tx.QueryRow(ctx, `SELECT name, arn FROM iam_users WHERE account_id = ? AND id = ?`, accountID, userID).Scan(&name, &arn)
		if errors.Is(err, store.ErrNotFound) {
			return errorf(ErrNoSuchEntity, "The user with id %s cannot be found.", userID)
		}
		return err
	})
	return name, arn, err
}

// NoteRoleUsed records that a role was assumed (GetRole's RoleLastUsed).
func (s *Service) NoteRoleUsed(ctx context.Context, accountID, roleID, region string) error {
	return s.st.Update(ctx, func(tx store.Tx) error {
		_, err := tx.Exec(ctx, `UPDATE iam_roles SET last_used_at = ?, last_used_region = ? WHERE account_id = ? AND id = ?`,
			s.now().UnixMilli(), region, accountID, roleID)
		return err
	})
}

// PrincipalTags returns the tags of a user or role (kind KindUser or
// KindRole), which feed aws:PrincipalTag conditions. A missing entity has
// no tags.
func (s *Service) PrincipalTags(ctx context.Context, accountID, kind, name string) (map[string]string, error) {
	out := map[string]string{}
	err := s.st.View(ctx, func(tx store.Tx) error {
		tags, err := listTagsTx(ctx, tx, accountID, kind, nameKey(name))
		for _, t := range tags {
			out[t.Key] = t.Value
		}
		return err
	})
	return out, err
}
