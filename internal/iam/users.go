package iam

import (
	"context"
	"encoding/base64"
	"errors"
	"strings"
	"time"

	"github.com/nimbuscloud/nimbus/internal/account"
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
			return alreadyExists(KindUser, in.UserName)
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
	t, err := s.resolveUserTarget(ctx, "iam:GetUser", name)
	if err != nil {
		return User{}, err
	}
	if t.root {
		u := User{Root: true, ID: t.acct, ARN: "arn:aws:iam::" + t.acct + ":root"}
		if s.accounts != nil {
			a, err := s.accounts.Get(ctx, t.acct)
			if err != nil {
				return User{}, err
			}
			u.CreatedAt = a.CreatedAt
		}
		return u, nil
	}
	var u User
	err = s.st.View(ctx, func(tx store.Tx) error {
		var err error
		if u, err = userRows.getTx(ctx, tx, t.acct, t.user); err != nil {
			return err
		}
		u.Tags, err = listTagsTx(ctx, tx, t.acct, KindUser, nameKey(u.Name))
		return err
	})
	return u, err
}

// ListUsers lists the account's users whose path starts with pathPrefix,
// ordered by name (case-insensitively).
func (s *Service) ListUsers(ctx context.Context, pathPrefix string, page PageInput) (Listing[User], error) {
	out, err := listEntities(ctx, s, "iam:ListUsers", userRows, pathPrefix, page, nil)
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
	acct, target, err := s.authorizeMove(ctx, "iam:UpdateUser", KindUser, in.UserName, in.NewUserName, in.NewPath)
	if err != nil {
		return err
	}
	if in.NewUserName == nil && in.NewPath == nil {
		return s.st.View(ctx, func(tx store.Tx) error { _, err := userRows.getTx(ctx, tx, acct, in.UserName); return err })
	}
	var keys []account.KeyMeta
	err = s.updateChanged(ctx, acct, func(tx store.Tx) error {
		u, err := userRows.getTx(ctx, tx, acct, in.UserName)
		if err != nil {
			return err
		}
		newARN := moveTarget(KindUser, acct, u.Name, u.Path, in.NewUserName, in.NewPath)
		if newARN != target {
			return errMovedMeanwhile(KindUser, in.UserName)
		}
		newName, newPath := u.Name, u.Path
		if in.NewUserName != nil {
			newName = *in.NewUserName
		}
		if in.NewPath != nil {
			newPath, _ = normPath("newPath", *in.NewPath)
		}
		if keys, err = account.ListUserKeysTx(ctx, tx, acct, u.Name); err != nil {
			return err
		}
		oldKey, newKey := nameKey(u.Name), nameKey(newName)
		n, err := tx.Exec(ctx, `UPDATE iam_users SET name_key = ?, name = ?, path = ?, arn = ? WHERE account_id = ? AND name_key = ?`,
			newKey, newName, newPath, newARN, acct, oldKey)
		if errors.Is(err, store.ErrConflict) {
			return alreadyExists(KindUser, newName)
		}
		if err != nil {
			return err
		}
		if n == 0 {
			return noSuchEntity(KindUser, in.UserName)
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
	// The authentication cache holds each key's principal (name and ARN):
	// drop them so the next request sees the user as it is now.
	for _, k := range keys {
		s.forgetKey(k.AccessKeyID)
	}
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
	return s.updateChanged(ctx, acct, func(tx store.Tx) error {
		u, err := userRows.getTx(ctx, tx, acct, name)
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
		if err := policiesConflictTx(ctx, tx, acct, KindUser, key); err != nil {
			return err
		}
		if err := conflictIfAny(ctx, tx, `SELECT COUNT(*) FROM iam_group_members WHERE account_id = ? AND user_key = ?`,
			"Cannot delete entity, must remove users from group first.", acct, key); err != nil {
			return err
		}
		return deleteEntityTx(ctx, tx, acct, KindUser, key)
	})
}

// ---- user rows and shared input checks (more entity helpers: entity.go) ----

const userColumns = `SELECT name, id, path, arn, boundary_arn, created_at FROM iam_users`

func scanUser(r interface{ Scan(...any) error }) (User, error) {
	var u User
	var created int64
	err := r.Scan(&u.Name, &u.ID, &u.Path, &u.ARN, &u.BoundaryARN, &created)
	u.CreatedAt = time.UnixMilli(created).UTC()
	return u, err
}

var userRows = entityRows[User]{KindUser, userColumns, scanUser, func(u User) (string, string) { return u.Name, u.Path }}

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
		return polNoSuchScope(arn)
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
