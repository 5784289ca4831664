package iam

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"regexp"
	"strings"
	"time"
	"unicode"

	"github.com/nimbuscloud/nimbus/internal/iam/policy"
	"github.com/nimbuscloud/nimbus/internal/store"
)

// RoleEntity is a role as the IAM API describes it: the platform's view
// (Role, lookup.go) plus what only the API shows.
type RoleEntity struct {
	Role
	Description    string
	CreatedAt      time.Time
	LastUsedAt     *time.Time // nil when never assumed
	LastUsedRegion string
	Tags           []Tag // GetRole and CreateRole only, as AWS does
}

// CreateRoleInput is CreateRole's request.
type CreateRoleInput struct {
	RoleName                 string
	Path                     string
	AssumeRolePolicyDocument string
	Description              string
	MaxSessionDuration       int32 // seconds; 0 means the default, 3600
	PermissionsBoundary      string
	Tags                     []Tag
}

// UpdateRoleInput is UpdateRole's request; nil members stay unchanged.
type UpdateRoleInput struct {
	RoleName           string
	Description        *string
	MaxSessionDuration *int32
}

// Role limits, per the IAM API reference and quotas page.
const (
	defaultSessionDuration = 3600
	minSessionDuration     = 3600
	maxSessionDuration     = 43200
	maxRoleDescription     = 1000
	maxTrustPolicyChars    = 2048 // ACLSizePerRole default quota
	maxPolicyDocLen        = 131072
)

var roleDescriptionRE = regexp.MustCompile(`^[\x{0009}\x{000A}\x{000D}\x{0020}-\x{007E}\x{00A1}-\x{00FF}]*$`)

func validateRoleDescription(d string) error {
	if len([]rune(d)) > maxRoleDescription || !roleDescriptionRE.MatchString(d) {
		return errorf(ErrValidation, "1 validation error detected: Value '%s' at 'description' failed to satisfy constraint: Member must have length less than or equal to 1000 and match pattern [\\u0009\\u000A\\u000D\\u0020-\\u007E\\u00A1-\\u00FF]*", d)
	}
	return nil
}

func validateSessionDuration(d int32) error {
	switch {
	case d < minSessionDuration:
		return errorf(ErrValidation, "1 validation error detected: Value '%d' at 'maxSessionDuration' failed to satisfy constraint: Member must have value greater than or equal to 3600", d)
	case d > maxSessionDuration:
		return errorf(ErrValidation, "1 validation error detected: Value '%d' at 'maxSessionDuration' failed to satisfy constraint: Member must have value less than or equal to 43200", d)
	}
	return nil
}

// validateTrustPolicy parses a trust policy (MalformedPolicyDocument with
// the parser's message when invalid) and applies the ACLSizePerRole quota,
// counted without insignificant white space, as IAM counts it.
func validateTrustPolicy(field, doc string) error {
	if doc == "" || len(doc) > maxPolicyDocLen {
		return errorf(ErrValidation, "1 validation error detected: Value at '%s' failed to satisfy constraint: Member must have length between 1 and %d", field, maxPolicyDocLen)
	}
	if _, err := policy.Parse(doc, policy.Trust); err != nil {
		var pe *policy.Error
		if errors.As(err, &pe) {
			return errorf(ErrMalformedPolicy, "%s", pe.Msg)
		}
		return errorf(ErrMalformedPolicy, "%s", err.Error())
	}
	if trustPolicySize(doc) > maxTrustPolicyChars {
		return errorf(ErrLimitExceeded, "Cannot exceed quota for ACLSizePerRole: %d", maxTrustPolicyChars)
	}
	return nil
}

// trustPolicySize is the length of the document's compact JSON form in
// characters (white space inside strings counts; between tokens not).
func trustPolicySize(doc string) int {
	var b bytes.Buffer
	if err := json.Compact(&b, []byte(doc)); err != nil {
		return len(strings.Map(func(r rune) rune {
			if unicode.IsSpace(r) {
				return -1
			}
			return r
		}, doc))
	}
	return len([]rune(b.String()))
}

const roleColumns = `SELECT account_id, name, path, arn, id, trust_policy, max_session_duration, boundary_arn,
	description, created_at, last_used_at, last_used_region FROM iam_roles`

func scanRole(r interface{ Scan(...any) error }) (RoleEntity, error) {
	var e RoleEntity
	var maxDur, created, lastUsed int64
	err := r.Scan(&e.AccountID, &e.Name, &e.Path, &e.ARN, &e.ID, &e.TrustPolicy, &maxDur, &e.BoundaryARN,
		&e.Description, &created, &lastUsed, &e.LastUsedRegion)
	e.MaxSessionDuration = time.Duration(maxDur) * time.Second
	e.CreatedAt = time.UnixMilli(created).UTC()
	if lastUsed > 0 {
		t := time.UnixMilli(lastUsed).UTC()
		e.LastUsedAt = &t
	}
	return e, err
}

var roleRows = entityRows[RoleEntity]{KindRole, roleColumns, scanRole, func(e RoleEntity) (string, string) { return e.Name, e.Path }}

// CreateRole creates a role with a trust policy.
func (s *Service) CreateRole(ctx context.Context, in CreateRoleInput) (RoleEntity, error) {
	if err := validateName("roleName", in.RoleName, maxRoleName); err != nil {
		return RoleEntity{}, err
	}
	path, err := normPath("path", in.Path)
	if err != nil {
		return RoleEntity{}, err
	}
	if err := validateRoleDescription(in.Description); err != nil {
		return RoleEntity{}, err
	}
	dur := in.MaxSessionDuration
	if dur == 0 {
		dur = defaultSessionDuration
	}
	if err := validateSessionDuration(dur); err != nil {
		return RoleEntity{}, err
	}
	if err := validateTags(in.Tags); err != nil {
		return RoleEntity{}, err
	}
	if err := validateTrustPolicy("assumeRolePolicyDocument", in.AssumeRolePolicyDocument); err != nil {
		return RoleEntity{}, err
	}
	_, acct, err := callerAccount(ctx)
	if err != nil {
		return RoleEntity{}, err
	}
	keys := requestTagKeys(in.Tags)
	if in.PermissionsBoundary != "" {
		keys["iam:PermissionsBoundary"] = []string{in.PermissionsBoundary}
	}
	if _, err := s.authorize(ctx, "iam:CreateRole", roleARN(acct, path, in.RoleName), keys); err != nil {
		return RoleEntity{}, err
	}
	id, err := s.newID(PrefixRole)
	if err != nil {
		return RoleEntity{}, err
	}
	e := RoleEntity{
		Role: Role{AccountID: acct, Name: in.RoleName, Path: path, ARN: roleARN(acct, path, in.RoleName), ID: id,
			TrustPolicy: in.AssumeRolePolicyDocument, MaxSessionDuration: time.Duration(dur) * time.Second, BoundaryARN: in.PermissionsBoundary},
		Description: in.Description,
		CreatedAt:   s.now().UTC().Truncate(time.Millisecond),
	}
	err = s.st.Update(ctx, func(tx store.Tx) error {
		if err := checkBoundaryTx(ctx, tx, acct, in.PermissionsBoundary); err != nil {
			return err
		}
		if err := checkQuotaTx(ctx, tx, "iam_roles", acct, maxRolesPerAccount, "RolesPerAccount"); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, `INSERT INTO iam_roles (account_id, name_key, name, id, path, arn, trust_policy, description,
			max_session_duration, boundary_arn, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			acct, nameKey(e.Name), e.Name, e.ID, e.Path, e.ARN, e.TrustPolicy, e.Description, int64(dur), e.BoundaryARN, e.CreatedAt.UnixMilli())
		if errors.Is(err, store.ErrConflict) {
			return alreadyExists(KindRole, in.RoleName)
		}
		if err != nil {
			return err
		}
		return putTagsTx(ctx, tx, acct, KindRole, nameKey(e.Name), in.Tags)
	})
	if err != nil {
		return RoleEntity{}, err
	}
	e.Tags = sortedTags(in.Tags)
	return e, nil
}

// GetRole returns a role with its tags, boundary and last use.
func (s *Service) GetRole(ctx context.Context, name string) (RoleEntity, error) {
	if err := validateName("roleName", name, maxRoleName); err != nil {
		return RoleEntity{}, err
	}
	acct, err := s.authorizeEntity(ctx, "iam:GetRole", KindRole, name, nil)
	if err != nil {
		return RoleEntity{}, err
	}
	var e RoleEntity
	err = s.st.View(ctx, func(tx store.Tx) error {
		var err error
		if e, err = roleRows.getTx(ctx, tx, acct, name); err != nil {
			return err
		}
		e.Tags, err = listTagsTx(ctx, tx, acct, KindRole, nameKey(e.Name))
		return err
	})
	return e, err
}

// ListRoles lists the account's roles whose path starts with pathPrefix.
// As in AWS, listed roles carry no tags, boundary or last use.
func (s *Service) ListRoles(ctx context.Context, pathPrefix string, page PageInput) (Listing[RoleEntity], error) {
	out, err := listEntities(ctx, s, "iam:ListRoles", roleRows, pathPrefix, page, nil)
	for i := range out.Items {
		out.Items[i].BoundaryARN, out.Items[i].LastUsedAt, out.Items[i].LastUsedRegion = "", nil, ""
	}
	return out, err
}

// UpdateRole changes a role's description and/or maximum session duration.
func (s *Service) UpdateRole(ctx context.Context, in UpdateRoleInput) error {
	_, err := s.updateRole(ctx, "iam:UpdateRole", in)
	return err
}

// UpdateRoleDescription changes a role's description and returns the role.
func (s *Service) UpdateRoleDescription(ctx context.Context, name, description string) (RoleEntity, error) {
	return s.updateRole(ctx, "iam:UpdateRoleDescription", UpdateRoleInput{RoleName: name, Description: &description})
}

func (s *Service) updateRole(ctx context.Context, action string, in UpdateRoleInput) (RoleEntity, error) {
	if err := validateName("roleName", in.RoleName, maxRoleName); err != nil {
		return RoleEntity{}, err
	}
	if in.Description != nil {
		if err := validateRoleDescription(*in.Description); err != nil {
			return RoleEntity{}, err
		}
	}
	if in.MaxSessionDuration != nil {
		if err := validateSessionDuration(*in.MaxSessionDuration); err != nil {
			return RoleEntity{}, err
		}
	}
	acct, err := s.authorizeEntity(ctx, action, KindRole, in.RoleName, nil)
	if err != nil {
		return RoleEntity{}, err
	}
	var e RoleEntity
	err = s.st.Update(ctx, func(tx store.Tx) error {
		var err error
		if e, err = roleRows.getTx(ctx, tx, acct, in.RoleName); err != nil {
			return err
		}
		if in.Description != nil {
			e.Description = *in.Description
		}
		if in.MaxSessionDuration != nil {
			e.MaxSessionDuration = time.Duration(*in.MaxSessionDuration) * time.Second
		}
		if _, err := tx.Exec(ctx, `UPDATE iam_roles SET description = ?, max_session_duration = ? WHERE account_id = ? AND name_key = ?`,
			e.Description, int64(e.MaxSessionDuration/time.Second), acct, nameKey(e.Name)); err != nil {
			return err
		}
		e.Tags, err = listTagsTx(ctx, tx, acct, KindRole, nameKey(e.Name))
		return err
	})
	return e, err
}

// UpdateAssumeRolePolicy replaces a role's trust policy.
func (s *Service) UpdateAssumeRolePolicy(ctx context.Context, name, doc string) error {
	if err := validateName("roleName", name, maxRoleName); err != nil {
		return err
	}
	if err := validateTrustPolicy("policyDocument", doc); err != nil {
		return err
	}
	acct, err := s.authorizeEntity(ctx, "iam:UpdateAssumeRolePolicy", KindRole, name, nil)
	if err != nil {
		return err
	}
	return s.updateChanged(ctx, acct, func(tx store.Tx) error {
		n, err := tx.Exec(ctx, `UPDATE iam_roles SET trust_policy = ? WHERE account_id = ? AND name_key = ?`, doc, acct, nameKey(name))
		if err == nil && n == 0 {
			return noSuchEntity(KindRole, name)
		}
		return err
	})
}

// DeleteRole deletes a role that is in no instance profile and has no
// inline or attached policies left (DeleteConflict otherwise).
func (s *Service) DeleteRole(ctx context.Context, name string) error {
	if err := validateName("roleName", name, maxRoleName); err != nil {
		return err
	}
	acct, err := s.authorizeEntity(ctx, "iam:DeleteRole", KindRole, name, nil)
	if err != nil {
		return err
	}
	return s.updateChanged(ctx, acct, func(tx store.Tx) error {
		e, err := roleRows.getTx(ctx, tx, acct, name)
		if err != nil {
			return err
		}
		key := nameKey(e.Name)
		if err := conflictIfAny(ctx, tx, `SELECT COUNT(*) FROM iam_instance_profile_roles WHERE account_id = ? AND role_key = ?`,
			"Cannot delete entity, must remove roles from instance profile first.", acct, key); err != nil {
			return err
		}
		if err := policiesConflictTx(ctx, tx, acct, KindRole, key); err != nil {
			return err
		}
		return deleteEntityTx(ctx, tx, acct, KindRole, key)
	})
}
