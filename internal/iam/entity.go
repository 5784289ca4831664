package iam

import (
	"context"
	"errors"
	"strings"

	"github.com/nimbuscloud/nimbus/internal/store"
)

// Helpers shared by the operations on users, groups, roles and instance
// profiles: a descriptor per kind, reading rows, listing, authorizing on an
// existing entity, and the pieces of Update*/Delete*.

// entityKind describes one kind of IAM entity: where it is stored and how
// the API names it.
type entityKind struct {
	kind     string
	table    string
	arn      func(acct, path, name string) string
	verb     string // "User", "Group", "Role", "InstanceProfile" in action names
	field    string // lowerCamel name field in validation messages
	maxName  int    // longest name the operations on an existing entity accept
	notFound string // NoSuchEntity message; %s is the name
	exists   string // EntityAlreadyExists message; %s is the name

	// Users, groups and roles only: managed and inline policy quotas.
	attachQuota string // LimitExceeded quota for attached policies
	inlineMax   int    // aggregate inline policy size (non-whitespace characters)
}

var entityKinds = map[string]entityKind{
	KindUser: {kind: KindUser, table: "iam_users", arn: userARN, verb: "User", field: "userName", maxName: 128,
		notFound: "The user with name %s cannot be found.", exists: "User with name %s already exists.",
		attachQuota: "PoliciesPerUser", inlineMax: maxUserInlineSize},
	KindGroup: {kind: KindGroup, table: "iam_groups", arn: groupARN, verb: "Group", field: "groupName", maxName: maxGroupName,
		notFound: "The group with name %s cannot be found.", exists: "Group with name %s already exists.",
		attachQuota: "PoliciesPerGroup", inlineMax: maxGroupInlineSize},
	KindRole: {kind: KindRole, table: "iam_roles", arn: roleARN, verb: "Role", field: "roleName", maxName: maxRoleName,
		notFound: "The role with name %s cannot be found.", exists: "Role with name %s already exists.",
		attachQuota: "PoliciesPerRole", inlineMax: maxRoleInlineSize},
	KindInstanceProfile: {kind: KindInstanceProfile, table: "iam_instance_profiles", arn: profileARN, verb: "InstanceProfile",
		field: "instanceProfileName", maxName: maxProfileName,
		notFound: "Instance Profile %s cannot be found.", exists: "Instance Profile %s already exists."},
}

// kindOf returns the descriptor of an entity kind; any other kind is a user.
func kindOf(kind string) entityKind {
	if k, ok := entityKinds[kind]; ok {
		return k
	}
	return entityKinds[KindUser]
}

// noSuchEntity is the NoSuchEntity error AWS gives for a missing entity.
func noSuchEntity(kind, name string) error {
	return errorf(ErrNoSuchEntity, kindOf(kind).notFound, name)
}

// alreadyExists is the EntityAlreadyExists error for a name in use.
func alreadyExists(kind, name string) error {
	return errorf(ErrEntityAlreadyExists, kindOf(kind).exists, name)
}

// entityRows reads the rows of one entity kind into T.
type entityRows[T any] struct {
	kind     string
	columns  string // SELECT <columns> FROM <table>
	scan     func(interface{ Scan(...any) error }) (T, error)
	namePath func(T) (name, path string)
}

// getTx reads one entity by name (case-insensitive), or NoSuchEntity.
func (r entityRows[T]) getTx(ctx context.Context, tx store.Tx, acct, name string) (T, error) {
	v, err := r.scan(tx.QueryRow(ctx, r.columns+` WHERE account_id = ? AND name_key = ?`, acct, nameKey(name)))
	if errors.Is(err, store.ErrNotFound) {
		var zero T
		return zero, noSuchEntity(r.kind, name)
	}
	return v, err
}

// listEntities is the body of ListUsers, ListGroups, ListRoles and
// ListInstanceProfiles: a page of the account's entities of one kind whose
// path starts with pathPrefix, ordered by name (case-insensitively),
// authorized as action on "*". fill, when not nil, completes the page's
// items in the same transaction.
func listEntities[T any](ctx context.Context, s *Service, action string, r entityRows[T], pathPrefix string, page PageInput,
	fill func(ctx context.Context, tx store.Tx, acct string, items []T) error) (Listing[T], error) {
	var out Listing[T]
	if err := checkPathPrefix(pathPrefix); err != nil {
		return out, err
	}
	after, limit, err := page.decode()
	if err != nil {
		return out, err
	}
	_, acct, err := callerAccount(ctx)
	if err != nil {
		return out, err
	}
	if _, err := s.authorize(ctx, action, "*", nil); err != nil {
		return out, err
	}
	err = s.st.View(ctx, func(tx store.Tx) error {
		rows, err := tx.Query(ctx, r.columns+` WHERE account_id = ? AND name_key > ? ORDER BY name_key`, acct, after)
		if err != nil {
			return err
		}
		out, err = collect(rows, limit, r.scan, func(v T) (string, bool) {
			name, path := r.namePath(v)
			return nameKey(name), strings.HasPrefix(path, pathPrefix)
		})
		if err != nil || fill == nil {
			return err
		}
		return fill(ctx, tx, acct, out.Items)
	})
	return out, err
}

// entityExistsTx returns the stored name of an entity, or NoSuchEntity.
func entityExistsTx(ctx context.Context, tx store.Tx, acct, kind, name string) (string, error) {
	var got string
	err := tx.QueryRow(ctx, `SELECT name FROM `+kindOf(kind).table+` WHERE account_id = ? AND name_key = ?`, acct, nameKey(name)).Scan(&got)
	if errors.Is(err, store.ErrNotFound) {
		return "", noSuchEntity(kind, name)
	}
	return got, err
}

// entityRef is what the authorization of an operation on an existing
// entity reads of it: its ARN as stored (or the ARN with the default path
// when it does not exist) and its condition keys.
type entityRef struct {
	found      bool
	name, path string // as stored; the requested name and "/" when not found
	arn        string
	boundary   string // users and roles: the current permissions boundary ARN
	tags       []Tag
}

// readEntityRef reads an entity for authorization; a missing entity is
// not an error here (the operation reports NoSuchEntity after authorizing).
func (s *Service) readEntityRef(ctx context.Context, acct, kind, name string) (entityRef, error) {
	k := kindOf(kind)
	var ref entityRef
	col := "''"
	if kind == KindUser || kind == KindRole {
		col = "boundary_arn"
	}
	err := s.st.View(ctx, func(tx store.Tx) error {
		ref = entityRef{name: name, path: "/", arn: k.arn(acct, "/", name)}
		var r entityRef
		err := tx.QueryRow(ctx, `SELECT name, path, arn, `+col+` FROM `+k.table+` WHERE account_id = ? AND name_key = ?`, acct, nameKey(name)).
			Scan(&r.name, &r.path, &r.arn, &r.boundary)
		if errors.Is(err, store.ErrNotFound) {
			return nil
		}
		if err != nil {
			return err
		}
		r.found = true
		r.tags, err = listTagsTx(ctx, tx, acct, kind, nameKey(name))
		ref = r
		return err
	})
	return ref, err
}

// boundaryKeyActions are the actions on an existing user or role that get
// the iam:PermissionsBoundary condition key with the entity's current
// permissions boundary, as in AWS (the "delegate with permissions
// boundaries" pattern: allow iam:PutUserPolicy only where
// iam:PermissionsBoundary is a given policy). Put*PermissionsBoundary
// passes the boundary being set instead (an extra key wins).
var boundaryKeyActions = map[string]bool{
	"iam:AttachUserPolicy": true, "iam:DetachUserPolicy": true, "iam:PutUserPolicy": true, "iam:DeleteUserPolicy": true,
	"iam:AttachRolePolicy": true, "iam:DetachRolePolicy": true, "iam:PutRolePolicy": true, "iam:DeleteRolePolicy": true,
	"iam:PutUserPermissionsBoundary": true, "iam:DeleteUserPermissionsBoundary": true,
	"iam:PutRolePermissionsBoundary": true, "iam:DeleteRolePermissionsBoundary": true,
}

// conditionKeys are the keys action is authorized with on the entity:
// its tags as aws:ResourceTag keys, its boundary as iam:PermissionsBoundary
// for boundaryKeyActions, then extra.
func (r entityRef) conditionKeys(action string, extra map[string][]string) map[string][]string {
	if r.boundary != "" && boundaryKeyActions[action] {
		if _, set := extra["iam:PermissionsBoundary"]; !set {
			merged := map[string][]string{"iam:PermissionsBoundary": {r.boundary}}
			for k, v := range extra {
				merged[k] = v
			}
			extra = merged
		}
	}
	return resourceTagKeys(r.tags, extra)
}

// authorizeEntity authorizes action on an existing entity's ARN (its real
// path, so path-scoped policies work) with its condition keys (tags as
// aws:ResourceTag keys, the permissions boundary for the actions AWS gives
// it, plus extra keys). An entity that does not exist is authorized on
// the ARN with the default path; the operation then reports NoSuchEntity.
// It returns the caller's account.
func (s *Service) authorizeEntity(ctx context.Context, action, kind, name string, extra map[string][]string) (string, error) {
	_, acct, err := callerAccount(ctx)
	if err != nil {
		return "", err
	}
	ref, err := s.readEntityRef(ctx, acct, kind, name)
	if err != nil {
		return "", err
	}
	return s.authorize(ctx, action, ref.arn, ref.conditionKeys(action, extra))
}

// authorizeMove authorizes UpdateUser or UpdateGroup: action on the
// entity's current ARN and, when a new name or path is given, also on the
// ARN it will have afterwards, as AWS requires (so a caller allowed only
// on user/sandbox/* cannot move a user out of it, or another one in). It
// returns the caller's account and the target ARN ("" when neither is
// given); the update must check in its transaction that the entity still
// gets that ARN.
func (s *Service) authorizeMove(ctx context.Context, action, kind, name string, newName, newPath *string) (acct, target string, err error) {
	_, acct, err = callerAccount(ctx)
	if err != nil {
		return "", "", err
	}
	ref, err := s.readEntityRef(ctx, acct, kind, name)
	if err != nil {
		return "", "", err
	}
	keys := ref.conditionKeys(action, nil)
	if _, err := s.authorize(ctx, action, ref.arn, keys); err != nil {
		return "", "", err
	}
	if newName == nil && newPath == nil {
		return acct, "", nil
	}
	target = moveTarget(kind, acct, ref.name, ref.path, newName, newPath)
	if target != ref.arn {
		if _, err := s.authorize(ctx, action, target, keys); err != nil {
			return "", "", err
		}
	}
	return acct, target, nil
}

// moveTarget is the ARN an entity named name at path gets from an update
// to newName and newPath (nil: unchanged; newPath already validated).
func moveTarget(kind, acct, name, path string, newName, newPath *string) string {
	if newName != nil {
		name = *newName
	}
	if newPath != nil {
		path, _ = normPath("newPath", *newPath)
	}
	return kindOf(kind).arn(acct, path, name)
}

// errMovedMeanwhile is returned when an entity changed between the
// authorization of an update and its transaction.
func errMovedMeanwhile(kind, name string) error {
	return errorf(ErrConcurrentModification, "The %s %s was modified concurrently; retry the request.", kind, name)
}

// authorizeMembership validates the names of a container (group or
// instance profile) and of a member (user or role), then authorizes action
// on the container. It returns the caller's account.
func (s *Service) authorizeMembership(ctx context.Context, action, kind, name, memberKind, member string) (string, error) {
	k, m := kindOf(kind), kindOf(memberKind)
	if err := validateName(k.field, name, k.maxName); err != nil {
		return "", err
	}
	if err := validateName(m.field, member, m.maxName); err != nil {
		return "", err
	}
	return s.authorizeEntity(ctx, action, kind, name, nil)
}

// resourceTagKeys returns tags as aws:ResourceTag/<key> condition keys
// plus extra; nil when there are none.
func resourceTagKeys(tags []Tag, extra map[string][]string) map[string][]string {
	keys := map[string][]string{}
	for _, t := range tags {
		keys["aws:ResourceTag/"+t.Key] = []string{t.Value}
	}
	for k, v := range extra {
		keys[k] = v
	}
	if len(keys) == 0 {
		return nil
	}
	return keys
}

// updateChanged runs fn in a write transaction and, once it has committed,
// tells Changes that the account's permissions may have changed.
func (s *Service) updateChanged(ctx context.Context, acct string, fn func(tx store.Tx) error) error {
	if err := s.st.Update(ctx, fn); err != nil {
		return err
	}
	s.changed(acct)
	return nil
}

// renameEntityKeyTx moves the rows keyed by an entity's name (tags,
// attachments, inline policies) to its new name key.
func renameEntityKeyTx(ctx context.Context, tx store.Tx, acct, kind, oldKey, newKey string) error {
	for _, table := range []string{"iam_tags", "iam_attachments", "iam_inline_policies"} {
		if _, err := tx.Exec(ctx, `UPDATE `+table+` SET entity_key = ? WHERE account_id = ? AND kind = ? AND entity_key = ?`,
			newKey, acct, kind, oldKey); err != nil {
			return err
		}
	}
	return nil
}

// conflictIfAny returns DeleteConflict with msg when the COUNT query finds rows.
func conflictIfAny(ctx context.Context, tx store.Tx, query, msg string, args ...any) error {
	var n int64
	if err := tx.QueryRow(ctx, query, args...).Scan(&n); err != nil {
		return err
	}
	if n > 0 {
		return errorf(ErrDeleteConflict, "%s", msg)
	}
	return nil
}

// policiesConflictTx returns DeleteConflict while a user, group or role
// still has inline policies, then attached ones.
func policiesConflictTx(ctx context.Context, tx store.Tx, acct, kind, key string) error {
	if err := conflictIfAny(ctx, tx, `SELECT COUNT(*) FROM iam_inline_policies WHERE account_id = ? AND kind = ? AND entity_key = ?`,
		"Cannot delete entity, must delete policies first.", acct, kind, key); err != nil {
		return err
	}
	return conflictIfAny(ctx, tx, `SELECT COUNT(*) FROM iam_attachments WHERE account_id = ? AND kind = ? AND entity_key = ?`,
		"Cannot delete entity, must detach all policies first.", acct, kind, key)
}

// deleteEntityTx deletes an entity's tags and its row (the last step of
// Delete*, after the conflict checks).
func deleteEntityTx(ctx context.Context, tx store.Tx, acct, kind, key string) error {
	if err := deleteTagsTx(ctx, tx, acct, kind, key); err != nil {
		return err
	}
	_, err := tx.Exec(ctx, `DELETE FROM `+kindOf(kind).table+` WHERE account_id = ? AND name_key = ?`, acct, key)
	return err
}

// checkQuotaTx fails with LimitExceeded when the account already holds max
// rows in table.
func checkQuotaTx(ctx context.Context, tx store.Tx, table, acct string, max int, quota string) error {
	var n int64
	if err := tx.QueryRow(ctx, `SELECT COUNT(*) FROM `+table+` WHERE account_id = ?`, acct).Scan(&n); err != nil {
		return err
	}
	if n >= int64(max) {
		return errorf(ErrLimitExceeded, "Cannot exceed quota for %s: %d", quota, max)
	}
	return nil
}
