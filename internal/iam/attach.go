package iam

import (
	"context"
	"errors"
	"strings"

	"github.com/nimbuscloud/nimbus/internal/iam/awsmanaged"
	"github.com/nimbuscloud/nimbus/internal/store"
)

// polTarget is an existing user, group or role, as stored.
type polTarget struct {
	Name, Path, ARN, ID string
}

// polTargetTx reads the entity or fails with AWS's NoSuchEntity.
func polTargetTx(ctx context.Context, tx store.Tx, acct, kind, name string) (polTarget, error) {
	var t polTarget
	err := tx.QueryRow(ctx, `SELECT name, path, arn, id FROM `+kindOf(kind).table+` WHERE account_id = ? AND name_key = ?`, acct, nameKey(name)).
		Scan(&t.Name, &t.Path, &t.ARN, &t.ID)
	if errors.Is(err, store.ErrNotFound) {
		return polTarget{}, noSuchEntity(kind, name)
	}
	return t, err
}

// polModifiableTx reads the entity a change applies to, as polTargetTx,
// and refuses changes to service-linked roles, as AWS does.
func polModifiableTx(ctx context.Context, tx store.Tx, acct, kind, name string) (polTarget, error) {
	t, err := polTargetTx(ctx, tx, acct, kind, name)
	if err != nil {
		return polTarget{}, err
	}
	if kind == KindRole && strings.HasPrefix(t.Path, "/aws-service-role/") {
		return polTarget{}, errorf(ErrUnmodifiableEntity, "Cannot perform the operation on the protected role '%s' - this role is only modifiable by AWS", t.Name)
	}
	return t, nil
}

// polAttachableTx checks, in the transaction of an attach or of setting a
// permissions boundary, that the entity may be changed (polModifiableTx)
// and that the managed policy arn exists (missing(arn) otherwise).
func polAttachableTx(ctx context.Context, tx store.Tx, acct, kind, name, arn string, missing func(arn string) error) error {
	if _, err := polModifiableTx(ctx, tx, acct, kind, name); err != nil {
		return err
	}
	ok, err := polExistsTx(ctx, tx, acct, arn)
	if err != nil {
		return err
	}
	if !ok {
		return missing(arn)
	}
	return nil
}

// authorizePolicyChange validates an entity name and a managed policy ARN,
// then authorizes action on the entity with the ARN as condition key
// condKey (iam:PolicyARN or iam:PermissionsBoundary). It returns the
// caller's account.
func (s *Service) authorizePolicyChange(ctx context.Context, action, kind, name, arn, condKey string) (string, error) {
	e := kindOf(kind)
	if err := validateName(e.field, name, e.maxName); err != nil {
		return "", err
	}
	if err := polCheckARN(arn); err != nil {
		return "", err
	}
	return s.authorizeEntity(ctx, action, kind, name, map[string][]string{condKey: {arn}})
}

// polExistsTx reports whether a managed policy ARN names a customer policy
// of the account or a shipped AWS managed policy.
func polExistsTx(ctx context.Context, tx store.Tx, acct, arn string) (bool, error) {
	if awsmanaged.IsAWSManaged(arn) {
		_, ok := awsmanaged.Lookup(arn)
		return ok, nil
	}
	var one int
	err := tx.QueryRow(ctx, `SELECT 1 FROM iam_policies WHERE account_id = ? AND arn = ?`, acct, arn).Scan(&one)
	if errors.Is(err, store.ErrNotFound) {
		return false, nil
	}
	return err == nil, err
}

// AttachUserPolicy attaches a managed policy to a user.
func (s *Service) AttachUserPolicy(ctx context.Context, user, arn string) error {
	return s.attachPolicy(ctx, KindUser, user, arn)
}

// AttachGroupPolicy attaches a managed policy to a group.
func (s *Service) AttachGroupPolicy(ctx context.Context, group, arn string) error {
	return s.attachPolicy(ctx, KindGroup, group, arn)
}

// AttachRolePolicy attaches a managed policy to a role.
func (s *Service) AttachRolePolicy(ctx context.Context, role, arn string) error {
	return s.attachPolicy(ctx, KindRole, role, arn)
}

// DetachUserPolicy detaches a managed policy from a user.
func (s *Service) DetachUserPolicy(ctx context.Context, user, arn string) error {
	return s.detachPolicy(ctx, KindUser, user, arn)
}

// DetachGroupPolicy detaches a managed policy from a group.
func (s *Service) DetachGroupPolicy(ctx context.Context, group, arn string) error {
	return s.detachPolicy(ctx, KindGroup, group, arn)
}

// DetachRolePolicy detaches a managed policy from a role.
func (s *Service) DetachRolePolicy(ctx context.Context, role, arn string) error {
	return s.detachPolicy(ctx, KindRole, role, arn)
}

func (s *Service) attachPolicy(ctx context.Context, kind, name, arn string) error {
	e := kindOf(kind)
	acct, err := s.authorizePolicyChange(ctx, "iam:Attach"+e.verb+"Policy", kind, name, arn, "iam:PolicyARN")
	if err != nil {
		return err
	}
	return s.updateChanged(ctx, acct, func(tx store.Tx) error {
		if err := polAttachableTx(ctx, tx, acct, kind, name, arn, polNotAttachable); err != nil {
			return err
		}
		key := nameKey(name)
		var n int
		var already bool
		rows, err := tx.Query(ctx, `SELECT policy_arn FROM iam_attachments WHERE account_id = ? AND kind = ? AND entity_key = ?`, acct, kind, key)
		if err != nil {
			return err
		}
		for rows.Next() {
			var a string
			if err := rows.Scan(&a); err != nil {
				rows.Close()
				return err
			}
			n++
			already = already || a == arn
		}
		if err := rows.Close(); err != nil {
			return err
		}
		if already {
			return nil // attaching twice is a no-op, as in AWS
		}
		if n >= maxAttachedPerEntity {
			return errorf(ErrLimitExceeded, "Cannot exceed quota for %s: %d", e.attachQuota, maxAttachedPerEntity)
		}
		_, err = tx.Exec(ctx, `INSERT INTO iam_attachments (account_id, kind, entity_key, policy_arn) VALUES (?, ?, ?, ?)`, acct, kind, key, arn)
		return err
	})
}

func (s *Service) detachPolicy(ctx context.Context, kind, name, arn string) error {
	e := kindOf(kind)
	acct, err := s.authorizePolicyChange(ctx, "iam:Detach"+e.verb+"Policy", kind, name, arn, "iam:PolicyARN")
	if err != nil {
		return err
	}
	return s.updateChanged(ctx, acct, func(tx store.Tx) error {
		if _, err := polModifiableTx(ctx, tx, acct, kind, name); err != nil {
			return err
		}
		n, err := tx.Exec(ctx, `DELETE FROM iam_attachments WHERE account_id = ? AND kind = ? AND entity_key = ? AND policy_arn = ?`,
			acct, kind, nameKey(name), arn)
		if err != nil {
			return err
		}
		if n == 0 {
			return polNotFound(arn)
		}
		return nil
	})
}

// AttachedPolicy names a managed policy attached to an entity.
type AttachedPolicy struct {
	Name string
	ARN  string
}

// polAttachedName is a managed policy's name: the last ARN segment.
func polAttachedName(arn string) string { return arn[strings.LastIndexByte(arn, '/')+1:] }

// polPathOf is a managed policy ARN's path ("/" or "/a/b/").
func polPathOf(arn string) string {
	_, res, _ := strings.Cut(arn, ":policy")
	return res[:strings.LastIndexByte(res, '/')+1]
}

// ListAttachedUserPolicies lists the managed policies attached to a user.
func (s *Service) ListAttachedUserPolicies(ctx context.Context, user, pathPrefix string, page PageInput) (Listing[AttachedPolicy], error) {
	return s.listAttached(ctx, KindUser, user, pathPrefix, page)
}

// ListAttachedGroupPolicies lists the managed policies attached to a group.
func (s *Service) ListAttachedGroupPolicies(ctx context.Context, group, pathPrefix string, page PageInput) (Listing[AttachedPolicy], error) {
	return s.listAttached(ctx, KindGroup, group, pathPrefix, page)
}

// ListAttachedRolePolicies lists the managed policies attached to a role.
func (s *Service) ListAttachedRolePolicies(ctx context.Context, role, pathPrefix string, page PageInput) (Listing[AttachedPolicy], error) {
	return s.listAttached(ctx, KindRole, role, pathPrefix, page)
}

func (s *Service) listAttached(ctx context.Context, kind, name, pathPrefix string, page PageInput) (Listing[AttachedPolicy], error) {
	e := kindOf(kind)
	if err := validateName(e.field, name, e.maxName); err != nil {
		return Listing[AttachedPolicy]{}, err
	}
	if err := checkPathPrefix(pathPrefix); err != nil {
		return Listing[AttachedPolicy]{}, err
	}
	acct, err := s.authorizeEntity(ctx, "iam:ListAttached"+e.verb+"Policies", kind, name, nil)
	if err != nil {
		return Listing[AttachedPolicy]{}, err
	}
	var out []AttachedPolicy
	err = s.st.View(ctx, func(tx store.Tx) error {
		out = out[:0]
		if _, err := polTargetTx(ctx, tx, acct, kind, name); err != nil {
			return err
		}
		all, err := polAttachedOf(ctx, tx, acct, kind)
		for _, a := range all[nameKey(name)] {
			if strings.HasPrefix(polPathOf(a.ARN), pathPrefix) {
				out = append(out, a)
			}
		}
		return err
	})
	if err != nil {
		return Listing[AttachedPolicy]{}, err
	}
	return polPage(out, func(a AttachedPolicy) string { return a.ARN }, page)
}

// polAttachedOf reads every attachment of one entity kind, by entity key.
func polAttachedOf(ctx context.Context, tx store.Tx, acct, kind string) (map[string][]AttachedPolicy, error) {
	rows, err := tx.Query(ctx, `SELECT entity_key, policy_arn FROM iam_attachments WHERE account_id = ? AND kind = ? ORDER BY entity_key, policy_arn`, acct, kind)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string][]AttachedPolicy{}
	for rows.Next() {
		var k, arn string
		if err := rows.Scan(&k, &arn); err != nil {
			return nil, err
		}
		out[k] = append(out[k], AttachedPolicy{Name: polAttachedName(arn), ARN: arn})
	}
	return out, rows.Err()
}

// PolicyEntity is a user, group or role using a managed policy.
type PolicyEntity struct {
	Kind string // KindUser, KindGroup, KindRole
	Name string
	ID   string
}

// ListEntitiesForPolicyInput is ListEntitiesForPolicy's input.
type ListEntitiesForPolicyInput struct {
	ARN          string
	EntityFilter string // "", User, Group, Role, LocalManagedPolicy, AWSManagedPolicy
	PathPrefix   string
	UsageFilter  string // "", PermissionsPolicy, PermissionsBoundary
	Page         PageInput
}

// ListEntitiesForPolicy lists the users, groups and roles a managed policy
// is attached to (or is the permissions boundary of).
func (s *Service) ListEntitiesForPolicy(ctx context.Context, in ListEntitiesForPolicyInput) (Listing[PolicyEntity], error) {
	switch in.EntityFilter {
	case "", "User", "Group", "Role", "LocalManagedPolicy", "AWSManagedPolicy":
	default:
		return Listing[PolicyEntity]{}, errorf(ErrValidation, "1 validation error detected: Value '%s' at 'entityFilter' failed to satisfy constraint: Member must satisfy enum value set: [User, Role, Group, LocalManagedPolicy, AWSManagedPolicy]", in.EntityFilter)
	}
	if err := polCheckUsageFilter(in.UsageFilter); err != nil {
		return Listing[PolicyEntity]{}, err
	}
	if err := checkPathPrefix(in.PathPrefix); err != nil {
		return Listing[PolicyEntity]{}, err
	}
	acct, err := s.authorizePolicy(ctx, "iam:ListEntitiesForPolicy", in.ARN, nil)
	if err != nil {
		return Listing[PolicyEntity]{}, err
	}
	want := func(kind string) bool {
		switch in.EntityFilter {
		case "":
			return true
		case "User":
			return kind == KindUser
		case "Group":
			return kind == KindGroup
		case "Role":
			return kind == KindRole
		}
		return false
	}
	var out []PolicyEntity
	err = s.st.View(ctx, func(tx store.Tx) error {
		out = out[:0]
		if _, err := polLoad(ctx, tx, acct, in.ARN); err != nil {
			return err
		}
		for _, kind := range []string{KindGroup, KindUser, KindRole} {
			if !want(kind) {
				continue
			}
			table := kindOf(kind).table
			var conds []string
			args := []any{acct}
			if in.UsageFilter != "PermissionsBoundary" {
				conds = append(conds, `e.name_key IN (SELECT entity_key FROM iam_attachments WHERE account_id = ? AND kind = ? AND policy_arn = ?)`)
				args = append(args, acct, kind, in.ARN)
			}
			if in.UsageFilter != "PermissionsPolicy" && kind != KindGroup {
				conds = append(conds, `e.boundary_arn = ?`)
				args = append(args, in.ARN)
			}
			if len(conds) == 0 {
				continue
			}
			rows, err := tx.Query(ctx, `SELECT e.name, e.id, e.path FROM `+table+` e WHERE e.account_id = ? AND (`+strings.Join(conds, " OR ")+`)`, args...)
			if err != nil {
				return err
			}
			for rows.Next() {
				var p PolicyEntity
				var path string
				if err := rows.Scan(&p.Name, &p.ID, &path); err != nil {
					rows.Close()
					return err
				}
				if strings.HasPrefix(path, in.PathPrefix) {
					p.Kind = kind
					out = append(out, p)
				}
			}
			if err := rows.Close(); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return Listing[PolicyEntity]{}, err
	}
	return polPage(out, func(p PolicyEntity) string { return p.Kind + "\x00" + nameKey(p.Name) }, in.Page)
}
