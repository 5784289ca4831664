package iam

import (
	"context"
	"errors"
	"time"

	"github.com/nimbuscloud/nimbus/internal/store"
)

// InstanceProfile is an instance profile with its role (at most one).
type InstanceProfile struct {
	Name      string
	ID        string
	Path      string
	ARN       string
	CreatedAt time.Time
	Roles     []RoleEntity
	Tags      []Tag // GetInstanceProfile and CreateInstanceProfile only
}

// maxRolesPerProfile is the InstanceSessionsPerInstanceProfile quota.
const maxRolesPerProfile = 1

const profileColumns = `SELECT name, id, path, arn, created_at FROM iam_instance_profiles`

func scanProfile(r interface{ Scan(...any) error }) (InstanceProfile, error) {
	var p InstanceProfile
	var created int64
	err := r.Scan(&p.Name, &p.ID, &p.Path, &p.ARN, &created)
	p.CreatedAt = time.UnixMilli(created).UTC()
	return p, err
}

var profileRows = entityRows[InstanceProfile]{KindInstanceProfile, profileColumns, scanProfile,
	func(p InstanceProfile) (string, string) { return p.Name, p.Path }}

// profileRolesTx fills in the roles of profiles (by name key). Listed
// roles carry no tags or last use, as AWS shows them.
func profileRolesTx(ctx context.Context, tx store.Tx, acct string, profiles []InstanceProfile) error {
	if len(profiles) == 0 {
		return nil
	}
	byKey := make(map[string]int, len(profiles))
	for i := range profiles {
		byKey[nameKey(profiles[i].Name)] = i
		profiles[i].Roles = []RoleEntity{}
	}
	rows, err := tx.Query(ctx, `SELECT pr.profile_key, r.account_id, r.name, r.path, r.arn, r.id, r.trust_policy, r.max_session_duration,
		r.boundary_arn, r.description, r.created_at, r.last_used_at, r.last_used_region
		FROM iam_instance_profile_roles pr JOIN iam_roles r ON r.account_id = pr.account_id AND r.name_key = pr.role_key
		WHERE pr.account_id = ? ORDER BY pr.profile_key, pr.role_key`, acct)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var pk string
		e, err := scanRole(scanFunc(func(dest ...any) error { return rows.Scan(append([]any{&pk}, dest...)...) }))
		if err != nil {
			return err
		}
		if i, ok := byKey[pk]; ok {
			e.BoundaryARN, e.LastUsedAt, e.LastUsedRegion = "", nil, ""
			profiles[i].Roles = append(profiles[i].Roles, e)
		}
	}
	return rows.Err()
}

// scanFunc adapts a function to the Scan interface.
type scanFunc func(dest ...any) error

func (f scanFunc) Scan(dest ...any) error { return f(dest...) }

// CreateInstanceProfile creates an empty instance profile.
func (s *Service) CreateInstanceProfile(ctx context.Context, name, path string, tags []Tag) (InstanceProfile, error) {
	if err := validateName("instanceProfileName", name, maxProfileName); err != nil {
		return InstanceProfile{}, err
	}
	path, err := normPath("path", path)
	if err != nil {
		return InstanceProfile{}, err
	}
	if err := validateTags(tags); err != nil {
		return InstanceProfile{}, err
	}
	_, acct, err := callerAccount(ctx)
	if err != nil {
		return InstanceProfile{}, err
	}
	if _, err := s.authorize(ctx, "iam:CreateInstanceProfile", profileARN(acct, path, name), requestTagKeys(tags)); err != nil {
		return InstanceProfile{}, err
	}
	id, err := s.newID(PrefixInstanceProfile)
	if err != nil {
		return InstanceProfile{}, err
	}
	p := InstanceProfile{Name: name, ID: id, Path: path, ARN: profileARN(acct, path, name),
		CreatedAt: s.now().UTC().Truncate(time.Millisecond), Roles: []RoleEntity{}}
	err = s.st.Update(ctx, func(tx store.Tx) error {
		if err := checkQuotaTx(ctx, tx, "iam_instance_profiles", acct, maxProfilesPerAccount, "InstanceProfilesPerAccount"); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, `INSERT INTO iam_instance_profiles (account_id, name_key, name, id, path, arn, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)`,
			acct, nameKey(name), p.Name, p.ID, p.Path, p.ARN, p.CreatedAt.UnixMilli())
		if errors.Is(err, store.ErrConflict) {
			return alreadyExists(KindInstanceProfile, name)
		}
		if err != nil {
			return err
		}
		return putTagsTx(ctx, tx, acct, KindInstanceProfile, nameKey(name), tags)
	})
	if err != nil {
		return InstanceProfile{}, err
	}
	p.Tags = sortedTags(tags)
	return p, nil
}

// GetInstanceProfile returns a profile with its role and tags.
func (s *Service) GetInstanceProfile(ctx context.Context, name string) (InstanceProfile, error) {
	if err := validateName("instanceProfileName", name, maxProfileName); err != nil {
		return InstanceProfile{}, err
	}
	acct, err := s.authorizeEntity(ctx, "iam:GetInstanceProfile", KindInstanceProfile, name, nil)
	if err != nil {
		return InstanceProfile{}, err
	}
	var p InstanceProfile
	err = s.st.View(ctx, func(tx store.Tx) error {
		var err error
		if p, err = profileRows.getTx(ctx, tx, acct, name); err != nil {
			return err
		}
		ps := []InstanceProfile{p}
		if err := profileRolesTx(ctx, tx, acct, ps); err != nil {
			return err
		}
		p = ps[0]
		p.Tags, err = listTagsTx(ctx, tx, acct, KindInstanceProfile, nameKey(p.Name))
		return err
	})
	return p, err
}

// ListInstanceProfiles lists the account's profiles whose path starts
// with pathPrefix, each with its role.
func (s *Service) ListInstanceProfiles(ctx context.Context, pathPrefix string, page PageInput) (Listing[InstanceProfile], error) {
	return listEntities(ctx, s, "iam:ListInstanceProfiles", profileRows, pathPrefix, page, profileRolesTx)
}

// ListInstanceProfilesForRole lists the profiles a role is in.
func (s *Service) ListInstanceProfilesForRole(ctx context.Context, roleName string, page PageInput) (Listing[InstanceProfile], error) {
	var out Listing[InstanceProfile]
	if err := validateName("roleName", roleName, maxRoleName); err != nil {
		return out, err
	}
	after, limit, err := page.decode()
	if err != nil {
		return out, err
	}
	acct, err := s.authorizeEntity(ctx, "iam:ListInstanceProfilesForRole", KindRole, roleName, nil)
	if err != nil {
		return out, err
	}
	err = s.st.View(ctx, func(tx store.Tx) error {
		r, err := roleRows.getTx(ctx, tx, acct, roleName)
		if err != nil {
			return err
		}
		rows, err := tx.Query(ctx, `SELECT p.name, p.id, p.path, p.arn, p.created_at
			FROM iam_instance_profile_roles pr JOIN iam_instance_profiles p ON p.account_id = pr.account_id AND p.name_key = pr.profile_key
			WHERE pr.account_id = ? AND pr.role_key = ? AND pr.profile_key > ? ORDER BY pr.profile_key`, acct, nameKey(r.Name), after)
		if err != nil {
			return err
		}
		out, err = collect(rows, limit, scanProfile, func(p InstanceProfile) (string, bool) { return nameKey(p.Name), true })
		if err != nil {
			return err
		}
		return profileRolesTx(ctx, tx, acct, out.Items)
	})
	return out, err
}

// AddRoleToInstanceProfile puts a role into a profile, which holds at most
// one (LimitExceeded otherwise).
func (s *Service) AddRoleToInstanceProfile(ctx context.Context, profileName, roleName string) error {
	acct, err := s.authorizeMembership(ctx, "iam:AddRoleToInstanceProfile", KindInstanceProfile, profileName, KindRole, roleName)
	if err != nil {
		return err
	}
	return s.updateChanged(ctx, acct, func(tx store.Tx) error {
		p, err := profileRows.getTx(ctx, tx, acct, profileName)
		if err != nil {
			return err
		}
		r, err := roleRows.getTx(ctx, tx, acct, roleName)
		if err != nil {
			return err
		}
		var n int64
		if err := tx.QueryRow(ctx, `SELECT COUNT(*) FROM iam_instance_profile_roles WHERE account_id = ? AND profile_key = ?`,
			acct, nameKey(p.Name)).Scan(&n); err != nil {
			return err
		}
		if n >= maxRolesPerProfile {
			return errorf(ErrLimitExceeded, "Cannot exceed quota for InstanceSessionsPerInstanceProfile: %d", maxRolesPerProfile)
		}
		_, err = tx.Exec(ctx, `INSERT INTO iam_instance_profile_roles (account_id, profile_key, role_key) VALUES (?, ?, ?)`,
			acct, nameKey(p.Name), nameKey(r.Name))
		return err
	})
}

// RemoveRoleFromInstanceProfile takes a role out of a profile.
func (s *Service) RemoveRoleFromInstanceProfile(ctx context.Context, profileName, roleName string) error {
	acct, err := s.authorizeMembership(ctx, "iam:RemoveRoleFromInstanceProfile", KindInstanceProfile, profileName, KindRole, roleName)
	if err != nil {
		return err
	}
	return s.updateChanged(ctx, acct, func(tx store.Tx) error {
		p, err := profileRows.getTx(ctx, tx, acct, profileName)
		if err != nil {
			return err
		}
		n, err := tx.Exec(ctx, `DELETE FROM iam_instance_profile_roles WHERE account_id = ? AND profile_key = ? AND role_key = ?`,
			acct, nameKey(p.Name), nameKey(roleName))
		if err == nil && n == 0 {
			return noSuchEntity(KindRole, roleName)
		}
		return err
	})
}

// DeleteInstanceProfile deletes a profile that holds no role
// (DeleteConflict otherwise).
func (s *Service) DeleteInstanceProfile(ctx context.Context, name string) error {
	if err := validateName("instanceProfileName", name, maxProfileName); err != nil {
		return err
	}
	acct, err := s.authorizeEntity(ctx, "iam:DeleteInstanceProfile", KindInstanceProfile, name, nil)
	if err != nil {
		return err
	}
	return s.st.Update(ctx, func(tx store.Tx) error {
		p, err := profileRows.getTx(ctx, tx, acct, name)
		if err != nil {
			return err
		}
		key := nameKey(p.Name)
		if err := conflictIfAny(ctx, tx, `SELECT COUNT(*) FROM iam_instance_profile_roles WHERE account_id = ? AND profile_key = ?`,
			"Cannot delete entity, must remove roles from instance profile first.", acct, key); err != nil {
			return err
		}
		return deleteEntityTx(ctx, tx, acct, KindInstanceProfile, key)
	})
}
