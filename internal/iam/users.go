package iam

import (
	"context"
	"encoding/base64"
	"errors"
	"strings"
	"time"

	"github.com/nimbuscloud/nimbus/internal/account"
	"github.com/nimbuscloud/nimbus/internal/caller"
	"github.com/nimbuscloud/nimbus/internal/store"
)

// User is an IAM user as the API describes it.
type User struct {
	Name        string
	ID          string
	Path        string
	ARN         string
	BoundaryARN string // "" when the user has no permissions boundary
	CreatedAt   time.Time
	Tags        []Tag // filled by GetUser and CreateUser only, as AWS does
	Root        bool  // GetUser for root credentials: only ID, ARN and CreatedAt are set
}

// CreateUserInput is CreateUser's request.
type CreateUserInput struct {
	UserName            string
	Path                string
	PermissionsBoundary string
	Tags                []Tag
}

// UpdateUserInput is UpdateUser's request; nil members stay unchanged.
type UpdateUserInput struct {
	UserName    string
	NewUserName *string
	NewPath     *string
}

// Limits of an account, per the IAM quotas page.
const (
	maxUsersPerAccount    = 5000
	maxGroupsPerAccount   = 300
	maxRolesPerAccount    = 1000
	maxProfilesPerAccount = 1000
	maxGroupsPerUser      = 10
	maxKeysPerUser        = 2
)

// CreateUser creates a user in the caller's account.
func (s *Service) CreateUser(ctx context.Context, in CreateUserInput) (User, error) {
	if err := validateName("userName", in.UserName, maxUserName); err != nil {
		return User{}, err
	}
	path, err := normPath("path", in.Path)
	if err != nil {
		return User{}, err
	}
	if err := validateTags(in.Tags); err != nil {
		return User{}, err
	}
	_, acct, err := callerAccount(ctx)
	if err != nil {
		return User{}, err
	}
	keys := requestTagKeys(in.Tags)
	if in.PermissionsBoundary != "" {
		keys["iam:PermissionsBoundary"] = []string{in.PermissionsBoundary}
	}
	if _, err := s.authorize(ctx, "iam:CreateUser", userARN(acct, path, in.UserName), keys); err != nil {
		return User{}, err
	}
	id, err := s.newID(PrefixUser)
	if err != nil {
		return User{}, err
	}
	u := User{Name: in.UserName, ID: id, Path: path, ARN: userARN(acct, path, in.UserName),
		BoundaryARN: in.PermissionsBoundary, CreatedAt: s.now().UTC().Truncate(time.Millisecond)}
	err = s.st.Update(ctx, func(tx store.Tx) error {
		if err := checkBoundaryTx(ctx, tx, acct, in.PermissionsBoundary); err != nil {
			return err
		}
		if err := checkQuotaTx(ctx, tx, "iam_users", acct, maxUsersPerAccount, "UsersPerAccount"); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, `INSERT INTO iam_users (account_id, name_key, name, id, path, arn, boundary_arn, created_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?)`, acct, nameKey(u.Name), u.Name, u.ID, u.Path, u.ARN, u.BoundaryARN, u.CreatedAt.UnixMilli())
		if errors.Is(err, store.ErrConflict) {
			return errorf(ErrEntityAlreadyExists, "User with name %s already exists.", in.UserName)
		}
		if err != nil {
			return err
		}
		return putTagsTx(ctx, tx, acct, KindUser, nameKey(u.Name), in.Tags)
	})
	if err != nil {
		return User{}, err
	}
	u.Tags = sortedTags(in.Tags)
	if u.BoundaryARN != "" {
		s.changed(acct)
	}
	return u, nil
}

// GetUser returns a user with its tags and boundary. An empty name means
// the caller itself: an IAM user gets its own user, root credentials get
// the account's root "user" (ID = account ID, ARN ...:root), others a
// ValidationError as AWS answers.
func (s *Service) GetUser(ctx context.Context, name string) (User, error) {
	c, acct, err := callerAccount(ctx)
	if err != nil {
		return User{}, err
	}
	if name == "" {
		switch c.Principal.Type {
		case caller.Root:
			if _, err := s.authorize(ctx, "iam:GetUser", c.Principal.ARN, nil); err != nil {
				return User{}, err
			}
			u := User{Root: true, ID: acct, ARN: "arn:aws:iam::" + acct + ":root"}
			if s.accounts != nil {
				a, err := s.accounts.Get(ctx, acct)
				if err != nil {
					return User{}, err
				}
				u.CreatedAt = a.CreatedAt
			}
			return u, nil
		case caller.User:
			name = c.Principal.Name
		default:
			return User{}, errorf(ErrValidation, "Must specify userName when calling with non-User credentials")
		}
	}
	if err := validateName("userName", name, 128); err != nil {
		return User{}, err
	}
	if _, err := s.authorizeEntity(ctx, "iam:GetUser", KindUser, name, nil); err != nil {
		return User{}, err
	}
	var u User
	err = s.st.View(ctx, func(tx store.Tx) error {
		var err error
		if u, err = getUserTx(ctx, tx, acct, name); err != nil {
			return err
		}
		u.Tags, err = listTagsTx(ctx, tx, acct, KindUser, nameKey(u.Name))
		return err
	})
	return u, err
}

// ListUsers lists the account's users whose path starts with pathPrefix,
// ordered by name (case-insensitively).
func (s *Service) ListUsers(ctx context.Context, pathPrefix string, page PageInput) (Listing[User], error) {
	var out Listing[User]
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
	if _, err := s.authorize(ctx, "iam:ListUsers", "*", nil); err != nil {
		return out, err
	}
	err = s.st.View(ctx, func(tx store.Tx) error {
		rows, err := tx.Query(ctx, userColumns+` WHERE account_id = ? AND name_key > ? ORDER BY name_key`, acct, after)
		if err != nil {
			return err
		}
		out, err = collect(rows, limit, scanUser, func(u User) (string, bool) {
			return nameKey(u.Name), strings.HasPrefix(u.Path, pathPrefix)
		})
		return err
	})
	for i := range out.Items {
		out.Items[i].BoundaryARN = "" // ListUsers does not return boundaries
	}
	return out, err
}

// UpdateUser renames a user or changes its path. Group memberships,
// attached and inline policies, tags and access keys follow the rename.
func (s *Service) UpdateUser(ctx context.Context, in UpdateUserInput) error {
	if err := validateName("userName", in.UserName, 128); err != nil {
		return err
	}
	if in.NewUserName != nil {
		if err := validateName("newUserName", *in.NewUserName, maxUserName); err != nil {
			return err
		}
	}
	if in.NewPath != nil {
		if _, err := normPath("newPath", *in.NewPath); err != nil {
			return err
		}
	}
	acct, err := s.authorizeEntity(ctx, "iam:UpdateUser", KindUser, in.UserName, nil)
	if err != nil {
		return err
	}
	if in.NewUserName == nil && in.NewPath == nil {
		return s.st.View(ctx, func(tx store.Tx) error { _, err := getUserTx(ctx, tx, acct, in.UserName); return err })
	}
	err = s.st.Update(ctx, func(tx store.Tx) error {
		u, err := getUserTx(ctx, tx, acct, in.UserName)
		if err != nil {
			return err
		}
		newName, newPath := u.Name, u.Path
		if in.NewUserName != nil {
			newName = *in.NewUserName
		}
		if in.NewPath != nil {
			newPath, _ = normPath("newPath", *in.NewPath)
		}
		oldKey, newKey := nameKey(u.Name), nameKey(newName)
		newARN := userARN(acct, newPath, newName)
		n, err := tx.Exec(ctx, `UPDATE iam_users SET name_key = ?, name = ?, path = ?, arn = ? WHERE account_id = ? AND name_key = ?`,
			newKey, newName, newPath, newARN, acct, oldKey)
		if errors.Is(err, store.ErrConflict) {
			return errorf(ErrEntityAlreadyExists, "User with name %s already exists.", newName)
		}
		if err != nil {
			return err
		}
		if n == 0 {
			return noSuchUser(in.UserName)
		}
		if oldKey != newKey {
			if err := renameEntityKeyTx(ctx, tx, acct, KindUser, oldKey, newKey); err != nil {
				return err
			}
			if _, err := tx.Exec(ctx, `UPDATE iam_group_members SET user_key = ? WHERE account_id = ? AND user_key = ?`, newKey, acct, oldKey); err != nil {
				return err
			}
		}
		return account.RenameUserKeysTx(ctx, tx, acct, u.Name, newName, newARN)
	})
	if err != nil {
		return err
	}
	s.changed(acct)
	return nil
}

// DeleteUser deletes a user that has no access keys, inline or attached
// policies and group memberships left (DeleteConflict otherwise, checked
// in the same transaction as the delete).
func (s *Service) DeleteUser(ctx context.Context, name string) error {
	if err := validateName("userName", name, 128); err != nil {
		return err
	}
	acct, err := s.authorizeEntity(ctx, "iam:DeleteUser", KindUser, name, nil)
	if err != nil {
		return err
	}
	err = s.st.Update(ctx, func(tx store.Tx) error {
		u, err := getUserTx(ctx, tx, acct, name)
		if err != nil {
			return err
		}
		key := nameKey(u.Name)
		keys, err := account.ListUserKeysTx(ctx, tx, acct, u.Name)
		if err != nil {
			return err
		}
		if len(keys) > 0 {
			return errorf(ErrDeleteConflict, "Cannot delete entity, must delete access keys first.")
		}
		if err := conflictIfAny(ctx, tx, `SELECT COUNT(*) FROM iam_inline_policies WHERE account_id = ? AND kind = ? AND entity_key = ?`,
			"Cannot delete entity, must delete policies first.", acct, KindUser, key); err != nil {
			return err
		}
		if err := conflictIfAny(ctx, tx, `SELECT COUNT(*) FROM iam_attachments WHERE account_id = ? AND kind = ? AND entity_key = ?`,
			"Cannot delete entity, must detach all policies first.", acct, KindUser, key); err != nil {
			return err
		}
		if err := conflictIfAny(ctx, tx, `SELECT COUNT(*) FROM iam_group_members WHERE account_id = ? AND user_key = ?`,
			"Cannot delete entity, must remove users from group first.", acct, key); err != nil {
			return err
		}
		if err := deleteTagsTx(ctx, tx, acct, KindUser, key); err != nil {
			return err
		}
		_, err = tx.Exec(ctx, `DELETE FROM iam_users WHERE account_id = ? AND name_key = ?`, acct, key)
		return err
	})
	if err != nil {
		return err
	}
	s.changed(acct)
	return nil
}

// ---- shared entity helpers ----

const userColumns = `SELECT name, id, path, arn, boundary_arn, created_at FROM iam_users`

func scanUser(r interface{ Scan(...any) error }) (User, error) {
	var u User
	var created int64
	err := r.Scan(&u.Name, &u.ID, &u.Path, &u.ARN, &u.BoundaryARN, &created)
	u.CreatedAt = time.UnixMilli(created).UTC()
	return u, err
}

func noSuchUser(name string) error {
	return errorf(ErrNoSuchEntity, "The user with name %s cannot be found.", name)
}

// getUserTx reads one user by name (case-insensitive).
func getUserTx(ctx context.Context, tx store.Tx, acct, name string) (User, error) {
	u, err := scanUser(tx.QueryRow(ctx, userColumns+` WHERE account_id = ? AND name_key = ?`, acct, nameKey(name)))
	if errors.Is(err, store.ErrNotFound) {
		return User{}, noSuchUser(name)
	}
	return u, err
}

// entityTable returns an entity kind's table and ARN builder.
func entityTable(kind string) (string, func(acct, path, name string) string) {
	switch kind {
	case KindGroup:
		return "iam_groups", groupARN
	case KindRole:
		return "iam_roles", roleARN
	case KindInstanceProfile:
		return "iam_instance_profiles", profileARN
	}
	return "iam_users", userARN
}

// authorizeEntity authorizes action on an existing entity's ARN (its real
// path, so path-scoped policies work) with its tags as aws:ResourceTag
// keys, plus extra keys. An entity that does not exist is authorized on
// the ARN with the default path; the operation then reports NoSuchEntity.
// It returns the caller's account.
func (s *Service) authorizeEntity(ctx context.Context, action, kind, name string, extra map[string][]string) (string, error) {
	_, acct, err := callerAccount(ctx)
	if err != nil {
		return "", err
	}
	table, arnOf := entityTable(kind)
	arn := arnOf(acct, "/", name)
	keys := map[string][]string{}
	err = s.st.View(ctx, func(tx store.Tx) error {
		clear(keys)
		var got string
		err := tx.QueryRow(ctx, `SELECT arn FROM `+table+` WHERE account_id = ? AND name_key = ?`, acct, nameKey(name)).Scan(&got)
		if errors.Is(err, store.ErrNotFound) {
			return nil
		}
		if err != nil {
			return err
		}
		arn = got
		tags, err := listTagsTx(ctx, tx, acct, kind, nameKey(name))
		for _, t := range tags {
			keys["aws:ResourceTag/"+t.Key] = []string{t.Value}
		}
		return err
	})
	if err != nil {
		return "", err
	}
	for k, v := range extra {
		keys[k] = v
	}
	if len(keys) == 0 {
		keys = nil
	}
	return s.authorize(ctx, action, arn, keys)
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

// checkBoundaryTx validates a permissions boundary ARN: a customer managed
// policy of this account that exists, or an AWS managed policy ARN
// (arn:aws:iam::aws:policy/...; only its form is checked).
func checkBoundaryTx(ctx context.Context, tx store.Tx, acct, arn string) error {
	if arn == "" {
		return nil
	}
	if len(arn) < 20 || len(arn) > 2048 {
		return errorf(ErrValidation, "1 validation error detected: Value '%s' at 'permissionsBoundary' failed to satisfy constraint: Member must have length between 20 and 2048", arn)
	}
	if !strings.HasPrefix(arn, "arn:aws:iam::") || !strings.Contains(arn, ":policy/") {
		return errorf(ErrInvalidInput, "ARN %s is not valid.", arn)
	}
	ok, err := polExistsTx(ctx, tx, acct, arn)
	if err != nil {
		return err
	}
	if !ok {
		return errorf(ErrNoSuchEntity, "Scope ARN: %s does not exist or is not attachable.", arn)
	}
	return nil
}

// checkPathPrefix validates a PathPrefix filter ("" means all).
func checkPathPrefix(p string) error {
	if p == "" {
		return nil
	}
	if len(p) > 512 || p[0] != '/' {
		return errorf(ErrValidation, "1 validation error detected: Value '%s' at 'pathPrefix' failed to satisfy constraint: Member must satisfy regular expression pattern: \\u002F[\\u0021-\\u007F]*", p)
	}
	for i := 0; i < len(p); i++ {
		if p[i] < 0x21 || p[i] > 0x7f {
			return errorf(ErrValidation, "1 validation error detected: Value '%s' at 'pathPrefix' failed to satisfy constraint: Member must satisfy regular expression pattern: \\u002F[\\u0021-\\u007F]*", p)
		}
	}
	return nil
}

// ---- pagination ----

// PageInput is the Marker/MaxItems pair of IAM's list operations.
type PageInput struct {
	Marker   string // from a previous truncated Listing; "" starts over
	MaxItems int    // 0 means the default, 100; at most 1000
}

// Listing is one page of a list operation.
type Listing[T any] struct {
	Items       []T
	IsTruncated bool
	Marker      string // set when IsTruncated: pass it back to continue
}

const (
	defaultMaxItems = 100
	maxMaxItems     = 1000
	markerPrefix    = "nimbus1:"
)

// decode checks MaxItems and opens the marker, which holds the sort key
// of the last item returned (so items deleted meanwhile do not shift the
// next page).
func (p PageInput) decode() (after string, limit int, err error) {
	limit = p.MaxItems
	switch {
	case limit == 0:
		limit = defaultMaxItems
	case limit < 1:
		return "", 0, errorf(ErrValidation, "1 validation error detected: Value '%d' at 'maxItems' failed to satisfy constraint: Member must have value greater than or equal to 1", p.MaxItems)
	case limit > maxMaxItems:
		return "", 0, errorf(ErrValidation, "1 validation error detected: Value '%d' at 'maxItems' failed to satisfy constraint: Member must have value less than or equal to 1000", p.MaxItems)
	}
	if p.Marker == "" {
		return "", limit, nil
	}
	b, err := base64.RawURLEncoding.DecodeString(p.Marker)
	if err != nil || !strings.HasPrefix(string(b), markerPrefix) {
		return "", 0, errorf(ErrInvalidInput, "Invalid Marker.")
	}
	return strings.TrimPrefix(string(b), markerPrefix), limit, nil
}

func encodeMarker(after string) string {
	return base64.RawURLEncoding.EncodeToString([]byte(markerPrefix + after))
}

// collect scans rows ordered by sort key into a page of at most limit
// items; keep returns an item's sort key and whether it passes the filter.
// It closes rows.
func collect[T any](rows store.Rows, limit int, scan func(interface{ Scan(...any) error }) (T, error), keep func(T) (string, bool)) (Listing[T], error) {
	defer rows.Close()
	var out Listing[T]
	last := ""
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return Listing[T]{}, err
		}
		key, ok := keep(v)
		if !ok {
			continue
		}
		if len(out.Items) == limit {
			out.IsTruncated = true
			out.Marker = encodeMarker(last)
			break
		}
		out.Items = append(out.Items, v)
		last = key
	}
	if err := rows.Err(); err != nil {
		return Listing[T]{}, err
	}
	if out.Items == nil {
		out.Items = []T{}
	}
	return out, nil
}

// pageOf cuts an in-memory, key-ordered slice into a page.
func pageOf[T any](items []T, page PageInput, key func(T) string) (Listing[T], error) {
	after, limit, err := page.decode()
	if err != nil {
		return Listing[T]{}, err
	}
	out := Listing[T]{Items: []T{}}
	for _, v := range items {
		k := key(v)
		if k <= after && page.Marker != "" {
			continue
		}
		if len(out.Items) == limit {
			out.IsTruncated = true
			out.Marker = encodeMarker(key(out.Items[len(out.Items)-1]))
			break
		}
		out.Items = append(out.Items, v)
	}
	return out, nil
}
