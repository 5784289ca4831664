package iam

import (
	"context"
	"errors"
	"time"

	"github.com/nimbuscloud/nimbus/internal/store"
)

// Group is an IAM group.
type Group struct {
	Name      string
	ID        string
	Path      string
	ARN       string
	CreatedAt time.Time
}

// UpdateGroupInput is UpdateGroup's request; nil members stay unchanged.
type UpdateGroupInput struct {
	GroupName    string
	NewGroupName *string
	NewPath      *string
}

const groupColumns = `SELECT name, id, path, arn, created_at FROM iam_groups`

func scanGroup(r interface{ Scan(...any) error }) (Group, error) {
	var g Group
	var created int64
	err := r.Scan(&g.Name, &g.ID, &g.Path, &g.ARN, &created)
	g.CreatedAt = time.UnixMilli(created).UTC()
	return g, err
}

var groupRows = entityRows[Group]{KindGroup, groupColumns, scanGroup, func(g Group) (string, string) { return g.Name, g.Path }}

// CreateGroup creates a group in the caller's account.
func (s *Service) CreateGroup(ctx context.Context, name, path string) (Group, error) {
	if err := validateName("groupName", name, maxGroupName); err != nil {
		return Group{}, err
	}
	path, err := normPath("path", path)
	if err != nil {
		return Group{}, err
	}
	_, acct, err := callerAccount(ctx)
	if err != nil {
		return Group{}, err
	}
	if _, err := s.authorize(ctx, "iam:CreateGroup", groupARN(acct, path, name), nil); err != nil {
		return Group{}, err
	}
	id, err := s.newID(PrefixGroup)
	if err != nil {
		return Group{}, err
	}
	g := Group{Name: name, ID: id, Path: path, ARN: groupARN(acct, path, name), CreatedAt: s.now().UTC().Truncate(time.Millisecond)}
	err = s.st.Update(ctx, func(tx store.Tx) error {
		if err := checkQuotaTx(ctx, tx, "iam_groups", acct, maxGroupsPerAccount, "GroupsPerAccount"); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, `INSERT INTO iam_groups (account_id, name_key, name, id, path, arn, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)`,
			acct, nameKey(name), g.Name, g.ID, g.Path, g.ARN, g.CreatedAt.UnixMilli())
		if errors.Is(err, store.ErrConflict) {
			return alreadyExists(KindGroup, name)
		}
		return err
	})
	if err != nil {
		return Group{}, err
	}
	return g, nil
}

// GetGroup returns a group and a page of its members, ordered by name.
func (s *Service) GetGroup(ctx context.Context, name string, page PageInput) (Group, Listing[User], error) {
	if err := validateName("groupName", name, maxGroupName); err != nil {
		return Group{}, Listing[User]{}, err
	}
	after, limit, err := page.decode()
	if err != nil {
		return Group{}, Listing[User]{}, err
	}
	acct, err := s.authorizeEntity(ctx, "iam:GetGroup", KindGroup, name, nil)
	if err != nil {
		return Group{}, Listing[User]{}, err
	}
	var g Group
	var users Listing[User]
	err = s.st.View(ctx, func(tx store.Tx) error {
		var err error
		if g, err = groupRows.getTx(ctx, tx, acct, name); err != nil {
			return err
		}
		rows, err := tx.Query(ctx, `SELECT u.name, u.id, u.path, u.arn, u.boundary_arn, u.created_at
			FROM iam_group_members m JOIN iam_users u ON u.account_id = m.account_id AND u.name_key = m.user_key
			WHERE m.account_id = ? AND m.group_key = ? AND m.user_key > ? ORDER BY m.user_key`, acct, nameKey(g.Name), after)
		if err != nil {
			return err
		}
		users, err = collect(rows, limit, scanUser, func(u User) (string, bool) { return nameKey(u.Name), true })
		return err
	})
	for i := range users.Items {
		users.Items[i].BoundaryARN = ""
	}
	return g, users, err
}

// ListGroups lists the account's groups whose path starts with pathPrefix.
func (s *Service) ListGroups(ctx context.Context, pathPrefix string, page PageInput) (Listing[Group], error) {
	return listEntities(ctx, s, "iam:ListGroups", groupRows, pathPrefix, page, nil)
}

// UpdateGroup renames a group or changes its path; memberships and
// policies follow.
func (s *Service) UpdateGroup(ctx context.Context, in UpdateGroupInput) error {
	if err := validateName("groupName", in.GroupName, maxGroupName); err != nil {
		return err
	}
	if in.NewGroupName != nil {
		if err := validateName("newGroupName", *in.NewGroupName, maxGroupName); err != nil {
			return err
		}
	}
	if in.NewPath != nil {
		if _, err := normPath("newPath", *in.NewPath); err != nil {
			return err
		}
	}
	acct, target, err := s.authorizeMove(ctx, "iam:UpdateGroup", KindGroup, in.GroupName, in.NewGroupName, in.NewPath)
	if err != nil {
		return err
	}
	return s.updateChanged(ctx, acct, func(tx store.Tx) error {
		g, err := groupRows.getTx(ctx, tx, acct, in.GroupName)
		if err != nil {
			return err
		}
		if target != "" && moveTarget(KindGroup, acct, g.Name, g.Path, in.NewGroupName, in.NewPath) != target {
			return errMovedMeanwhile(KindGroup, in.GroupName)
		}
		newName, newPath := g.Name, g.Path
		if in.NewGroupName != nil {
			newName = *in.NewGroupName
		}
		if in.NewPath != nil {
			newPath, _ = normPath("newPath", *in.NewPath)
		}
		oldKey, newKey := nameKey(g.Name), nameKey(newName)
		_, err = tx.Exec(ctx, `UPDATE iam_groups SET name_key = ?, name = ?, path = ?, arn = ? WHERE account_id = ? AND name_key = ?`,
			newKey, newName, newPath, groupARN(acct, newPath, newName), acct, oldKey)
		if errors.Is(err, store.ErrConflict) {
			return alreadyExists(KindGroup, newName)
		}
		if err != nil || oldKey == newKey {
			return err
		}
		if err := renameEntityKeyTx(ctx, tx, acct, KindGroup, oldKey, newKey); err != nil {
			return err
		}
		_, err = tx.Exec(ctx, `UPDATE iam_group_members SET group_key = ? WHERE account_id = ? AND group_key = ?`, newKey, acct, oldKey)
		return err
	})
}

// AddUserToGroup makes a user a member of a group (a no-op when it is
// already one). A user is in at most 10 groups.
func (s *Service) AddUserToGroup(ctx context.Context, groupName, userName string) error {
	acct, err := s.authorizeMembership(ctx, "iam:AddUserToGroup", KindGroup, groupName, KindUser, userName)
	if err != nil {
		return err
	}
	return s.updateChanged(ctx, acct, func(tx store.Tx) error {
		g, err := groupRows.getTx(ctx, tx, acct, groupName)
		if err != nil {
			return err
		}
		u, err := userRows.getTx(ctx, tx, acct, userName)
		if err != nil {
			return err
		}
		var n int64
		if err := tx.QueryRow(ctx, `SELECT COUNT(*) FROM iam_group_members WHERE account_id = ? AND user_key = ? AND group_key <> ?`,
			acct, nameKey(u.Name), nameKey(g.Name)).Scan(&n); err != nil {
			return err
		}
		if n >= maxGroupsPerUser {
			return errorf(ErrLimitExceeded, "Cannot exceed quota for GroupsPerUser: %d", maxGroupsPerUser)
		}
		_, err = tx.Exec(ctx, `INSERT INTO iam_group_members (account_id, group_key, user_key) VALUES (?, ?, ?)
			ON CONFLICT (account_id, group_key, user_key) DO NOTHING`, acct, nameKey(g.Name), nameKey(u.Name))
		return err
	})
}

// RemoveUserFromGroup ends a membership.
func (s *Service) RemoveUserFromGroup(ctx context.Context, groupName, userName string) error {
	acct, err := s.authorizeMembership(ctx, "iam:RemoveUserFromGroup", KindGroup, groupName, KindUser, userName)
	if err != nil {
		return err
	}
	return s.updateChanged(ctx, acct, func(tx store.Tx) error {
		g, err := groupRows.getTx(ctx, tx, acct, groupName)
		if err != nil {
			return err
		}
		u, err := userRows.getTx(ctx, tx, acct, userName)
		if err != nil {
			return err
		}
		n, err := tx.Exec(ctx, `DELETE FROM iam_group_members WHERE account_id = ? AND group_key = ? AND user_key = ?`,
			acct, nameKey(g.Name), nameKey(u.Name))
		if err == nil && n == 0 {
			return noSuchEntity(KindUser, userName)
		}
		return err
	})
}

// ListGroupsForUser lists the groups a user belongs to, ordered by name.
func (s *Service) ListGroupsForUser(ctx context.Context, userName string, page PageInput) (Listing[Group], error) {
	var out Listing[Group]
	if err := validateName("userName", userName, 128); err != nil {
		return out, err
	}
	after, limit, err := page.decode()
	if err != nil {
		return out, err
	}
	acct, err := s.authorizeEntity(ctx, "iam:ListGroupsForUser", KindUser, userName, nil)
	if err != nil {
		return out, err
	}
	err = s.st.View(ctx, func(tx store.Tx) error {
		u, err := userRows.getTx(ctx, tx, acct, userName)
		if err != nil {
			return err
		}
		rows, err := tx.Query(ctx, `SELECT g.name, g.id, g.path, g.arn, g.created_at
			FROM iam_group_members m JOIN iam_groups g ON g.account_id = m.account_id AND g.name_key = m.group_key
			WHERE m.account_id = ? AND m.user_key = ? AND m.group_key > ? ORDER BY m.group_key`, acct, nameKey(u.Name), after)
		if err != nil {
			return err
		}
		out, err = collect(rows, limit, scanGroup, func(g Group) (string, bool) { return nameKey(g.Name), true })
		return err
	})
	return out, err
}

// DeleteGroup deletes a group without members and policies (DeleteConflict
// otherwise).
func (s *Service) DeleteGroup(ctx context.Context, name string) error {
	if err := validateName("groupName", name, maxGroupName); err != nil {
		return err
	}
	acct, err := s.authorizeEntity(ctx, "iam:DeleteGroup", KindGroup, name, nil)
	if err != nil {
		return err
	}
	return s.updateChanged(ctx, acct, func(tx store.Tx) error {
		g, err := groupRows.getTx(ctx, tx, acct, name)
		if err != nil {
			return err
		}
		key := nameKey(g.Name)
		if err := conflictIfAny(ctx, tx, `SELECT COUNT(*) FROM iam_group_members WHERE account_id = ? AND group_key = ?`,
			"Cannot delete entity, must remove users from group first.", acct, key); err != nil {
			return err
		}
		if err := policiesConflictTx(ctx, tx, acct, KindGroup, key); err != nil {
			return err
		}
		return deleteEntityTx(ctx, tx, acct, KindGroup, key)
	})
}
