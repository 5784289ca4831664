package iam

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/nimbuscloud/nimbus/internal/iam/awsmanaged"
	"github.com/nimbuscloud/nimbus/internal/iam/policy"
	"github.com/nimbuscloud/nimbus/internal/store"
)

// PolicyVersion is one version of a managed policy.
type PolicyVersion struct {
	VersionID  string
	Document   string // JSON text as it was sent
	IsDefault  bool
	CreateDate time.Time
}

// polVersionNumber parses "v<N>"; ok is false for anything else.
func polVersionNumber(id string) (int, bool) {
	rest, ok := strings.CutPrefix(id, "v")
	if !ok || rest == "" || rest[0] == '0' {
		return 0, false
	}
	n, err := strconv.Atoi(rest)
	return n, err == nil && n > 0
}

// polCheckVersionID validates a VersionId parameter ("v" and a number; the
// API's pattern also allows a ".suffix", which IAM never issues).
func polCheckVersionID(id string) error {
	if _, ok := polVersionNumber(id); !ok {
		return errorf(ErrValidation, "1 validation error detected: Value '%s' at 'versionId' failed to satisfy constraint: Member must satisfy regular expression pattern: v[1-9][0-9]*(\\.[A-Za-z0-9-]*)?", id)
	}
	return nil
}

func polNoSuchVersion(arn, id string) error {
	return errorf(ErrNoSuchEntity, "Policy %s version %s does not exist or is not attachable.", arn, id)
}

// polVersions reads all versions of a policy, newest first. AWS managed
// policies have their one catalog version.
func polVersions(ctx context.Context, tx store.Tx, acct string, p ManagedPolicy) ([]PolicyVersion, error) {
	if p.AWSManaged {
		a, _ := awsmanaged.Lookup(p.ARN)
		return []PolicyVersion{{VersionID: awsmanaged.VersionID, Document: a.Document, IsDefault: true, CreateDate: a.CreateDate}}, nil
	}
	rows, err := tx.Query(ctx, `SELECT version_id, document, created_at FROM iam_policy_versions WHERE account_id = ? AND policy_arn = ?`, acct, p.ARN)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []PolicyVersion
	for rows.Next() {
		var v PolicyVersion
		var created int64
		if err := rows.Scan(&v.VersionID, &v.Document, &created); err != nil {
			return nil, err
		}
		v.CreateDate = time.UnixMilli(created).UTC()
		v.IsDefault = v.VersionID == p.DefaultVersionID
		out = append(out, v)
	}
	return out, rows.Err()
}

// polVersionKey sorts versions newest first.
func polVersionKey(v PolicyVersion) string {
	n, _ := polVersionNumber(v.VersionID)
	return fmt.Sprintf("%012d", 999999999999-n)
}

// GetPolicyVersion returns one version of a managed policy.
func (s *Service) GetPolicyVersion(ctx context.Context, arn, versionID string) (PolicyVersion, error) {
	acct, err := s.authorizePolicy(ctx, "iam:GetPolicyVersion", arn, nil)
	if err != nil {
		return PolicyVersion{}, err
	}
	if err := polCheckVersionID(versionID); err != nil {
		return PolicyVersion{}, err
	}
	var out PolicyVersion
	err = s.st.View(ctx, func(tx store.Tx) error {
		p, err := polLoad(ctx, tx, acct, arn)
		if err != nil {
			return err
		}
		vs, err := polVersions(ctx, tx, acct, p)
		if err != nil {
			return err
		}
		for _, v := range vs {
			if v.VersionID == versionID {
				out = v
				return nil
			}
		}
		return polNoSuchVersion(arn, versionID)
	})
	return out, err
}

// ListPolicyVersions lists a managed policy's versions, newest first.
func (s *Service) ListPolicyVersions(ctx context.Context, arn string, page PageInput) (Listing[PolicyVersion], error) {
	acct, err := s.authorizePolicy(ctx, "iam:ListPolicyVersions", arn, nil)
	if err != nil {
		return Listing[PolicyVersion]{}, err
	}
	var vs []PolicyVersion
	err = s.st.View(ctx, func(tx store.Tx) error {
		p, err := polLoad(ctx, tx, acct, arn)
		if err != nil {
			return err
		}
		vs, err = polVersions(ctx, tx, acct, p)
		return err
	})
	if err != nil {
		return Listing[PolicyVersion]{}, err
	}
	return polPage(vs, polVersionKey, page)
}

// CreatePolicyVersion adds a version (at most five per policy), making it
// the default when setAsDefault.
func (s *Service) CreatePolicyVersion(ctx context.Context, arn, document string, setAsDefault bool) (PolicyVersion, error) {
	acct, err := s.authorizePolicy(ctx, "iam:CreatePolicyVersion", arn, nil)
	if err != nil {
		return PolicyVersion{}, err
	}
	if err := polCustomerOnly(arn); err != nil {
		return PolicyVersion{}, err
	}
	if err := polValidateDocument(document, policy.Identity); err != nil {
		return PolicyVersion{}, err
	}
	if polSize(document) > maxManagedPolicySize {
		return PolicyVersion{}, errorf(ErrLimitExceeded, "Cannot exceed quota for PolicySize: %d", maxManagedPolicySize)
	}
	now := s.now().UTC().Truncate(time.Millisecond)
	var out PolicyVersion
	err = s.st.Update(ctx, func(tx store.Tx) error {
		p, err := polLoad(ctx, tx, acct, arn)
		if err != nil {
			return err
		}
		var count int
		var next int64
		if err := tx.QueryRow(ctx, `SELECT COUNT(*) FROM iam_policy_versions WHERE account_id = ? AND policy_arn = ?`, acct, arn).Scan(&count); err != nil {
			return err
		}
		if count >= maxVersionsPerPolicy {
			return errorf(ErrLimitExceeded, "A managed policy can have up to %d versions. Before you create a new version, you must delete an existing version.", maxVersionsPerPolicy)
		}
		if err := tx.QueryRow(ctx, `SELECT next_version FROM iam_policies WHERE account_id = ? AND arn = ?`, acct, arn).Scan(&next); err != nil {
			return err
		}
		out = PolicyVersion{VersionID: "v" + strconv.FormatInt(next, 10), Document: document, IsDefault: setAsDefault, CreateDate: now}
		if _, err := tx.Exec(ctx, `INSERT INTO iam_policy_versions (account_id, policy_arn, version_id, document, created_at) VALUES (?, ?, ?, ?, ?)`,
			acct, arn, out.VersionID, document, now.UnixMilli()); err != nil {
			return err
		}
		def := p.DefaultVersionID
		if setAsDefault {
			def = out.VersionID
		}
		_, err = tx.Exec(ctx, `UPDATE iam_policies SET next_version = ?, default_version = ?, updated_at = ? WHERE account_id = ? AND arn = ?`,
			next+1, def, now.UnixMilli(), acct, arn)
		return err
	})
	if err != nil {
		return PolicyVersion{}, err
	}
	if setAsDefault {
		s.changed(acct)
	}
	return out, nil
}

// DeletePolicyVersion deletes a version other than the default.
func (s *Service) DeletePolicyVersion(ctx context.Context, arn, versionID string) error {
	acct, err := s.authorizeVersionChange(ctx, "iam:DeletePolicyVersion", arn, versionID)
	if err != nil {
		return err
	}
	return s.st.Update(ctx, func(tx store.Tx) error {
		p, err := polLoad(ctx, tx, acct, arn)
		if err != nil {
			return err
		}
		if p.DefaultVersionID == versionID {
			return errorf(ErrDeleteConflict, "Cannot delete the default version of a policy.")
		}
		n, err := tx.Exec(ctx, `DELETE FROM iam_policy_versions WHERE account_id = ? AND policy_arn = ? AND version_id = ?`, acct, arn, versionID)
		if err != nil {
			return err
		}
		if n == 0 {
			return polNoSuchVersion(arn, versionID)
		}
		return nil
	})
}

// authorizeVersionChange authorizes action on a managed policy, then checks
// the version ID and that the policy is customer managed. It returns the
// caller's account.
func (s *Service) authorizeVersionChange(ctx context.Context, action, arn, versionID string) (string, error) {
	acct, err := s.authorizePolicy(ctx, action, arn, nil)
	if err != nil {
		return "", err
	}
	if err := polCheckVersionID(versionID); err != nil {
		return "", err
	}
	if err := polCustomerOnly(arn); err != nil {
		return "", err
	}
	return acct, nil
}

// SetDefaultPolicyVersion makes an existing version the default.
func (s *Service) SetDefaultPolicyVersion(ctx context.Context, arn, versionID string) error {
	acct, err := s.authorizeVersionChange(ctx, "iam:SetDefaultPolicyVersion", arn, versionID)
	if err != nil {
		return err
	}
	return s.updateChanged(ctx, acct, func(tx store.Tx) error {
		if _, err := polLoad(ctx, tx, acct, arn); err != nil {
			return err
		}
		var one int
		err := tx.QueryRow(ctx, `SELECT 1 FROM iam_policy_versions WHERE account_id = ? AND policy_arn = ? AND version_id = ?`, acct, arn, versionID).Scan(&one)
		if errors.Is(err, store.ErrNotFound) {
			return polNoSuchVersion(arn, versionID)
		}
		if err != nil {
			return err
		}
		_, err = tx.Exec(ctx, `UPDATE iam_policies SET default_version = ? WHERE account_id = ? AND arn = ?`, versionID, acct, arn)
		return err
	})
}
