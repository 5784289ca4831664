package iam

import (
	"context"
	"errors"
	"time"

	"github.com/nimbuscloud/nimbus/internal/account"
	"github.com/nimbuscloud/nimbus/internal/iam/awsmanaged"
	"github.com/nimbuscloud/nimbus/internal/store"
)

// AuthorizationDetails is one page of GetAccountAuthorizationDetails.
type AuthorizationDetails struct {
	Users       []UserDetail
	Groups      []GroupDetail
	Roles       []RoleDetail
	Policies    []ManagedPolicyDetail
	IsTruncated bool
	Marker      string
}

// UserDetail is a user with everything that grants it permissions.
type UserDetail struct {
	Name, ID, ARN, Path string
	CreateDate          time.Time
	InlinePolicies      []InlinePolicy
	Groups              []string
	Attached            []AttachedPolicy
	BoundaryARN         string
	Tags                []Tag
}

// GroupDetail is a group with its policies.
type GroupDetail struct {
	Name, ID, ARN, Path string
	CreateDate          time.Time
	InlinePolicies      []InlinePolicy
	Attached            []AttachedPolicy
}

// ProfileRole is a role as listed inside an instance profile.
type ProfileRole struct {
	Name, ID, ARN, Path string
	CreateDate          time.Time
	TrustPolicy         string
	Description         string
	MaxSessionDuration  int64 // seconds
}

// ProfileDetail is an instance profile with its roles.
type ProfileDetail struct {
	Name, ID, ARN, Path string
	CreateDate          time.Time
	Roles               []ProfileRole
}

// RoleDetail is a role with its trust policy, policies and profiles.
type RoleDetail struct {
	ProfileRole
	InstanceProfiles []ProfileDetail
	InlinePolicies   []InlinePolicy
	Attached         []AttachedPolicy
	BoundaryARN      string
	Tags             []Tag
	LastUsed         time.Time // zero when never used
	LastUsedRegion   string
}

// ManagedPolicyDetail is a managed policy with all its versions.
type ManagedPolicyDetail struct {
	ManagedPolicy
	Versions []PolicyVersion
}

// GetAccountAuthorizationDetails lists the account's users, groups, roles
// and managed policies (customer managed ones, and AWS managed ones in
// use), with their policies, filtered by entity type (User, Group, Role,
// LocalManagedPolicy, AWSManagedPolicy; none means all).
func (s *Service) GetAccountAuthorizationDetails(ctx context.Context, filter []string, page PageInput) (AuthorizationDetails, error) {
	want := map[string]bool{}
	for _, f := range filter {
		switch f {
		case "User", "Group", "Role", "LocalManagedPolicy", "AWSManagedPolicy":
			want[f] = true
		default:
			return AuthorizationDetails{}, errorf(ErrValidation, "1 validation error detected: Value '[%s]' at 'filter' failed to satisfy constraint: Member must satisfy constraint: [Member must satisfy enum value set: [User, Role, Group, LocalManagedPolicy, AWSManagedPolicy]]", f)
		}
	}
	all := len(want) == 0
	acct, err := s.authorize(ctx, "iam:GetAccountAuthorizationDetails", "*", nil)
	if err != nil {
		return AuthorizationDetails{}, err
	}
	var items []polDetailItem
	err = s.st.View(ctx, func(tx store.Tx) error {
		var err error
		items, err = polDetailsTx(ctx, tx, acct, func(f string) bool { return all || want[f] })
		return err
	})
	if err != nil {
		return AuthorizationDetails{}, err
	}
	pg, err := polPage(items, func(it polDetailItem) string { return it.key }, page)
	if err != nil {
		return AuthorizationDetails{}, err
	}
	out := AuthorizationDetails{IsTruncated: pg.IsTruncated, Marker: pg.Marker}
	for _, it := range pg.Items {
		switch {
		case it.user != nil:
			out.Users = append(out.Users, *it.user)
		case it.group != nil:
			out.Groups = append(out.Groups, *it.group)
		case it.role != nil:
			out.Roles = append(out.Roles, *it.role)
		case it.policy != nil:
			out.Policies = append(out.Policies, *it.policy)
		}
	}
	return out, nil
}

// polDetailItem is one entry of the combined, paginated detail list.
type polDetailItem struct {
	key    string
	user   *UserDetail
	group  *GroupDetail
	role   *RoleDetail
	policy *ManagedPolicyDetail
}

// polInlineOf reads every inline policy of one entity kind, by entity key.
func polInlineOf(ctx context.Context, tx store.Tx, acct, kind string) (map[string][]InlinePolicy, error) {
	rows, err := tx.Query(ctx, `SELECT entity_key, name, document FROM iam_inline_policies WHERE account_id = ? AND kind = ? ORDER BY entity_key, name_key`, acct, kind)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string][]InlinePolicy{}
	for rows.Next() {
		var k string
		var p InlinePolicy
		if err := rows.Scan(&k, &p.Name, &p.Document); err != nil {
			return nil, err
		}
		out[k] = append(out[k], p)
	}
	return out, rows.Err()
}

// polDetailsTx reads everything GetAccountAuthorizationDetails shows.
func polDetailsTx(ctx context.Context, tx store.Tx, acct string, want func(string) bool) ([]polDetailItem, error) {
	var items []polDetailItem
	if want("User") {
		inline, err := polInlineOf(ctx, tx, acct, KindUser)
		if err != nil {
			return nil, err
		}
		attached, err := polAttachedOf(ctx, tx, acct, KindUser)
		if err != nil {
			return nil, err
		}
		tags, err := polReadTagsOf(ctx, tx, acct, KindUser)
		if err != nil {
			return nil, err
		}
		groups := map[string][]string{}
		rows, err := tx.Query(ctx, `SELECT m.user_key, g.name FROM iam_group_members m JOIN iam_groups g ON g.account_id = m.account_id AND g.name_key = m.group_key
			WHERE m.account_id = ? ORDER BY g.name_key`, acct)
		if err != nil {
			return nil, err
		}
		for rows.Next() {
			var uk, gn string
			if err := rows.Scan(&uk, &gn); err != nil {
				rows.Close()
				return nil, err
			}
			groups[uk] = append(groups[uk], gn)
		}
		if err := rows.Close(); err != nil {
			return nil, err
		}
		rows, err = tx.Query(ctx, `SELECT name_key, name, id, arn, path, boundary_arn, created_at FROM iam_users WHERE account_id = ?`, acct)
		if err != nil {
			return nil, err
		}
		for rows.Next() {
			var k string
			var created int64
			u := &UserDetail{}
			if err := rows.Scan(&k, &u.Name, &u.ID, &u.ARN, &u.Path, &u.BoundaryARN, &created); err != nil {
				rows.Close()
				return nil, err
			}
			u.CreateDate = time.UnixMilli(created).UTC()
			u.InlinePolicies, u.Attached, u.Groups, u.Tags = inline[k], attached[k], groups[k], tags[k]
			items = append(items, polDetailItem{key: "1/" + k, user: u})
		}
		if err := rows.Close(); err != nil {
			return nil, err
		}
	}
	if want("Group") {
		inline, err := polInlineOf(ctx, tx, acct, KindGroup)
		if err != nil {
			return nil, err
		}
		attached, err := polAttachedOf(ctx, tx, acct, KindGroup)
		if err != nil {
			return nil, err
		}
		rows, err := tx.Query(ctx, `SELECT name_key, name, id, arn, path, created_at FROM iam_groups WHERE account_id = ?`, acct)
		if err != nil {
			return nil, err
		}
		for rows.Next() {
			var k string
			var created int64
			g := &GroupDetail{}
			if err := rows.Scan(&k, &g.Name, &g.ID, &g.ARN, &g.Path, &created); err != nil {
				rows.Close()
				return nil, err
			}
			g.CreateDate = time.UnixMilli(created).UTC()
			g.InlinePolicies, g.Attached = inline[k], attached[k]
			items = append(items, polDetailItem{key: "2/" + k, group: g})
		}
		if err := rows.Close(); err != nil {
			return nil, err
		}
	}
	if want("Role") {
		roles, err := polRoleDetails(ctx, tx, acct)
		if err != nil {
			return nil, err
		}
		for i := range roles {
			items = append(items, polDetailItem{key: "3/" + nameKey(roles[i].Name), role: &roles[i]})
		}
	}
	if want("LocalManagedPolicy") || want("AWSManagedPolicy") {
		attach, boundary, err := polAllCounts(ctx, tx, acct)
		if err != nil {
			return nil, err
		}
		var pols []ManagedPolicy
		if want("AWSManagedPolicy") {
			for _, a := range awsmanaged.All() {
				if attach[a.ARN]+boundary[a.ARN] > 0 {
					pols = append(pols, polFromAWS(a))
				}
			}
		}
		if want("LocalManagedPolicy") {
			local, err := polListLocal(ctx, tx, acct)
			if err != nil {
				return nil, err
			}
			pols = append(pols, local...)
		}
		for _, p := range pols {
			p.AttachmentCount, p.BoundaryUsageCount = attach[p.ARN], boundary[p.ARN]
			vs, err := polVersions(ctx, tx, acct, p)
			if err != nil {
				return nil, err
			}
			items = append(items, polDetailItem{key: "4/" + p.ARN, policy: &ManagedPolicyDetail{ManagedPolicy: p, Versions: vs}})
		}
	}
	return items, nil
}

// polRoleDetails reads every role with its policies and instance profiles.
func polRoleDetails(ctx context.Context, tx store.Tx, acct string) ([]RoleDetail, error) {
	inline, err := polInlineOf(ctx, tx, acct, KindRole)
	if err != nil {
		return nil, err
	}
	attached, err := polAttachedOf(ctx, tx, acct, KindRole)
	if err != nil {
		return nil, err
	}
	tags, err := polReadTagsOf(ctx, tx, acct, KindRole)
	if err != nil {
		return nil, err
	}
	rows, err := tx.Query(ctx, `SELECT name_key, name, id, arn, path, created_at, trust_policy, description, max_session_duration, boundary_arn, last_used_at, last_used_region
		FROM iam_roles WHERE account_id = ?`, acct)
	if err != nil {
		return nil, err
	}
	var roles []RoleDetail
	byKey := map[string]ProfileRole{}
	for rows.Next() {
		var k string
		var created, lastUsed int64
		var r RoleDetail
		if err := rows.Scan(&k, &r.Name, &r.ID, &r.ARN, &r.Path, &created, &r.TrustPolicy, &r.Description, &r.MaxSessionDuration, &r.BoundaryARN, &lastUsed, &r.LastUsedRegion); err != nil {
			rows.Close()
			return nil, err
		}
		r.CreateDate = time.UnixMilli(created).UTC()
		if lastUsed > 0 {
			r.LastUsed = time.UnixMilli(lastUsed).UTC()
		}
		r.InlinePolicies, r.Attached, r.Tags = inline[k], attached[k], tags[k]
		byKey[k] = r.ProfileRole
		roles = append(roles, r)
	}
	if err := rows.Close(); err != nil {
		return nil, err
	}
	// Instance profiles and which roles they hold.
	profiles := map[string]*ProfileDetail{}
	rows, err = tx.Query(ctx, `SELECT name_key, name, id, arn, path, created_at FROM iam_instance_profiles WHERE account_id = ?`, acct)
	if err != nil {
		return nil, err
	}
	for rows.Next() {
		var k string
		var created int64
		p := &ProfileDetail{}
		if err := rows.Scan(&k, &p.Name, &p.ID, &p.ARN, &p.Path, &created); err != nil {
			rows.Close()
			return nil, err
		}
		p.CreateDate = time.UnixMilli(created).UTC()
		profiles[k] = p
	}
	if err := rows.Close(); err != nil {
		return nil, err
	}
	roleProfiles := map[string][]string{}
	rows, err = tx.Query(ctx, `SELECT profile_key, role_key FROM iam_instance_profile_roles WHERE account_id = ? ORDER BY profile_key, role_key`, acct)
	if err != nil {
		return nil, err
	}
	for rows.Next() {
		var pk, rk string
		if err := rows.Scan(&pk, &rk); err != nil {
			rows.Close()
			return nil, err
		}
		if p, ok := profiles[pk]; ok {
			if r, ok := byKey[rk]; ok {
				p.Roles = append(p.Roles, r)
			}
			roleProfiles[rk] = append(roleProfiles[rk], pk)
		}
	}
	if err := rows.Close(); err != nil {
		return nil, err
	}
	for i := range roles {
		for _, pk := range roleProfiles[nameKey(roles[i].Name)] {
			roles[i].InstanceProfiles = append(roles[i].InstanceProfiles, *profiles[pk])
		}
	}
	return roles, nil
}

// polSummaryQuotas is the quotas GetAccountSummary reports (AWS's defaults).
func polSummaryQuotas() map[string]int {
	return map[string]int{
		"UsersQuota": 5000, "GroupsQuota": 300, "RolesQuota": 1000, "PoliciesQuota": maxPoliciesPerAccount,
		"InstanceProfilesQuota": 1000, "ServerCertificatesQuota": 20,
		"AccessKeysPerUserQuota": 2, "SigningCertificatesPerUserQuota": 2, "GroupsPerUserQuota": 10,
		"AttachedPoliciesPerUserQuota": maxAttachedPerEntity, "AttachedPoliciesPerGroupQuota": maxAttachedPerEntity,
		"AttachedPoliciesPerRoleQuota": maxAttachedPerEntity, "UserPolicySizeQuota": maxUserInlineSize,
		"GroupPolicySizeQuota": maxGroupInlineSize, "RolePolicySizeQuota": maxRoleInlineSize,
		"PolicySizeQuota": maxManagedPolicySize, "VersionsPerPolicyQuota": maxVersionsPerPolicy,
		"PolicyVersionsInUseQuota": 10000, "AssumeRolePolicySizeQuota": 2048, "GlobalEndpointTokenVersion": 1,
	}
}

// GetAccountSummary returns the account's IAM usage and quotas, with AWS's
// key set (SummaryMap).
func (s *Service) GetAccountSummary(ctx context.Context) (map[string]int, error) {
	acct, err := s.authorize(ctx, "iam:GetAccountSummary", "*", nil)
	if err != nil {
		return nil, err
	}
	out := polSummaryQuotas()
	counts := []struct{ key, query string }{
		{"Users", `SELECT COUNT(*) FROM iam_users WHERE account_id = ?`},
		{"Groups", `SELECT COUNT(*) FROM iam_groups WHERE account_id = ?`},
		{"Roles", `SELECT COUNT(*) FROM iam_roles WHERE account_id = ?`},
		{"Policies", `SELECT COUNT(*) FROM iam_policies WHERE account_id = ?`},
		{"InstanceProfiles", `SELECT COUNT(*) FROM iam_instance_profiles WHERE account_id = ?`},
		{"PolicyVersionsInUse", `SELECT COUNT(*) FROM iam_attachments WHERE account_id = ?`},
	}
	err = s.st.View(ctx, func(tx store.Tx) error {
		for _, c := range counts {
			var n int
			if err := tx.QueryRow(ctx, c.query, acct).Scan(&n); err != nil {
				return err
			}
			out[c.key] = n
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	for _, k := range []string{"ServerCertificates", "MFADevices", "MFADevicesInUse", "AccountMFAEnabled", "AccountPasswordPresent",
		"AccountSigningCertificatesPresent", "Providers", "AccountAccessKeysPresent"} {
		out[k] = 0
	}
	if s.accounts != nil {
		keys, err := s.accounts.RootKeys(ctx, acct)
		if err != nil && !errors.Is(err, account.ErrNotFound) {
			return nil, err
		}
		if len(keys) > 0 {
			out["AccountAccessKeysPresent"] = 1
		}
	}
	return out, nil
}
