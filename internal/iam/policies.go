package iam

import (
	"context"
	"errors"
	"sort"
	"strings"
	"time"
	"unicode"

	"github.com/nimbuscloud/nimbus/internal/iam/awsmanaged"
	"github.com/nimbuscloud/nimbus/internal/iam/policy"
	"github.com/nimbuscloud/nimbus/internal/store"
)

// Policy quotas, per the IAM quotas page (sizes are characters excluding
// whitespace).
const (
	maxManagedPolicySize   = 6144
	maxUserInlineSize      = 2048 // aggregate of a user's inline policies
	maxGroupInlineSize     = 5120 // aggregate of a group's inline policies
	maxRoleInlineSize      = 10240
	maxVersionsPerPolicy   = 5
	maxAttachedPerEntity   = 10
	maxPolicyDescription   = 1000
	maxPolicyDocumentChars = 131072
	maxPoliciesPerAccount  = 1500 // customer managed policies
)

// ManagedPolicy is a customer or AWS managed policy.
type ManagedPolicy struct {
	Name               string
	ID                 string
	ARN                string
	Path               string
	DefaultVersionID   string
	Description        string
	AttachmentCount    int // in the caller's account
	BoundaryUsageCount int // users and roles using it as permissions boundary
	IsAttachable       bool
	AWSManaged         bool
	CreateDate         time.Time
	UpdateDate         time.Time
	Tags               []Tag // GetPolicy and CreatePolicy only
}

// CreatePolicyInput is CreatePolicy's input.
type CreatePolicyInput struct {
	Name, Path, Document, Description string
	Tags                              []Tag
}

// polValidateDocument checks a document's length and parses it as kind;
// failures are MalformedPolicyDocument with the parser's message.
func polValidateDocument(doc string, kind policy.Kind) error {
	if doc == "" || len(doc) > maxPolicyDocumentChars {
		return errorf(ErrValidation, "1 validation error detected: Value at 'policyDocument' failed to satisfy constraint: Member must have length between 1 and %d", maxPolicyDocumentChars)
	}
	if _, err := policy.Parse(doc, kind); err != nil {
		var pe *policy.Error
		if errors.As(err, &pe) {
			return errorf(ErrMalformedPolicy, "%s", pe.Msg)
		}
		return errorf(ErrMalformedPolicy, "%s", err.Error())
	}
	return nil
}

// polSize is a document's size as IAM counts it: characters other than
// white space.
func polSize(doc string) int {
	n := 0
	for _, r := range doc {
		if !unicode.IsSpace(r) {
			n++
		}
	}
	return n
}

// polCheckARN rejects a string that is not an IAM policy ARN.
func polCheckARN(arn string) error {
	rest, ok := strings.CutPrefix(arn, "arn:aws:iam::")
	if !ok {
		return errorf(ErrInvalidInput, "ARN %s is not valid.", arn)
	}
	acct, res, ok := strings.Cut(rest, ":")
	if !ok || acct == "" || !strings.HasPrefix(res, "policy/") || strings.HasSuffix(res, "/") {
		return errorf(ErrInvalidInput, "ARN %s is not valid.", arn)
	}
	return nil
}

// polNotFound is the error for a policy ARN that names nothing.
func polNotFound(arn string) error { return errorf(ErrNoSuchEntity, "Policy %s was not found.", arn) }

// polNotAttachable is the error for attaching a policy that does not exist.
func polNotAttachable(arn string) error {
	return errorf(ErrNoSuchEntity, "Policy %s does not exist or is not attachable.", arn)
}

// polCustomerOnly refuses changes to AWS managed policies.
func polCustomerOnly(arn string) error {
	if awsmanaged.IsAWSManaged(arn) {
		return errorf(ErrUnmodifiableEntity, "Policy %s is an AWS managed policy and cannot be modified.", arn)
	}
	return nil
}

// CreatePolicy creates a customer managed policy with version v1 as its
// default.
func (s *Service) CreatePolicy(ctx context.Context, in CreatePolicyInput) (ManagedPolicy, error) {
	if err := validateName("policyName", in.Name, maxPolicyName); err != nil {
		return ManagedPolicy{}, err
	}
	path, err := normPath("path", in.Path)
	if err != nil {
		return ManagedPolicy{}, err
	}
	_, acct, err := callerAccount(ctx)
	if err != nil {
		return ManagedPolicy{}, err
	}
	arn := policyARN(acct, path, in.Name)
	if _, err := s.authorize(ctx, "iam:CreatePolicy", arn, requestTagKeys(in.Tags)); err != nil {
		return ManagedPolicy{}, err
	}
	if len(in.Description) > maxPolicyDescription {
		return ManagedPolicy{}, errorf(ErrValidation, "1 validation error detected: Value at 'description' failed to satisfy constraint: Member must have length less than or equal to %d", maxPolicyDescription)
	}
	if err := validateTags(in.Tags); err != nil {
		return ManagedPolicy{}, err
	}
	if err := polValidateDocument(in.Document, policy.Identity); err != nil {
		return ManagedPolicy{}, err
	}
	if polSize(in.Document) > maxManagedPolicySize {
		return ManagedPolicy{}, errorf(ErrLimitExceeded, "Cannot exceed quota for PolicySize: %d", maxManagedPolicySize)
	}
	id, err := s.newID(PrefixPolicy)
	if err != nil {
		return ManagedPolicy{}, err
	}
	now := s.now().UTC().Truncate(time.Millisecond)
	p := ManagedPolicy{
		Name: in.Name, ID: id, ARN: arn, Path: path, DefaultVersionID: "v1", Description: in.Description,
		IsAttachable: true, CreateDate: now, UpdateDate: now, Tags: sortedTags(in.Tags),
	}
	err = s.st.Update(ctx, func(tx store.Tx) error {
		var one int
		err := tx.QueryRow(ctx, `SELECT 1 FROM iam_policies WHERE account_id = ? AND name_key = ?`, acct, nameKey(in.Name)).Scan(&one)
		if err == nil {
			return errorf(ErrEntityAlreadyExists, "A policy called %s already exists. Duplicate names are not allowed.", in.Name)
		}
		if !errors.Is(err, store.ErrNotFound) {
			return err
		}
		if err := checkQuotaTx(ctx, tx, "iam_policies", acct, maxPoliciesPerAccount, "PoliciesPerAccount"); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `INSERT INTO iam_policies (account_id, arn, name_key, name, id, path, description, default_version, next_version, created_at, updated_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, 'v1', 2, ?, ?)`, acct, arn, nameKey(in.Name), in.Name, id, path, in.Description, now.UnixMilli(), now.UnixMilli()); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `INSERT INTO iam_policy_versions (account_id, policy_arn, version_id, document, created_at) VALUES (?, ?, 'v1', ?, ?)`,
			acct, arn, in.Document, now.UnixMilli()); err != nil {
			return err
		}
		return putTagsTx(ctx, tx, acct, KindPolicy, arn, p.Tags)
	})
	if errors.Is(err, store.ErrConflict) {
		return ManagedPolicy{}, errorf(ErrEntityAlreadyExists, "A policy called %s already exists. Duplicate names are not allowed.", in.Name)
	}
	if err != nil {
		return ManagedPolicy{}, err
	}
	return p, nil
}

// GetPolicy returns a customer managed policy of the caller's account or a
// shipped AWS managed policy, with its attachment counts in the account.
func (s *Service) GetPolicy(ctx context.Context, arn string) (ManagedPolicy, error) {
	acct, err := s.authorizePolicy(ctx, "iam:GetPolicy", arn, nil)
	if err != nil {
		return ManagedPolicy{}, err
	}
	var p ManagedPolicy
	err = s.st.View(ctx, func(tx store.Tx) error {
		var err error
		if p, err = polLoad(ctx, tx, acct, arn); err != nil {
			return err
		}
		if err := polCounts(ctx, tx, acct, &p); err != nil {
			return err
		}
		if !p.AWSManaged {
			p.Tags, err = listTagsTx(ctx, tx, acct, KindPolicy, arn)
		}
		return err
	})
	return p, err
}

// polLoad reads a managed policy (customer in acct, or shipped AWS) without
// counts; a missing one is NoSuchEntity "Policy <arn> was not found.".
func polLoad(ctx context.Context, tx store.Tx, acct, arn string) (ManagedPolicy, error) {
	if awsmanaged.IsAWSManaged(arn) {
		a, ok := awsmanaged.Lookup(arn)
		if !ok {
			return ManagedPolicy{}, polNotFound(arn)
		}
		return polFromAWS(a), nil
	}
	var p ManagedPolicy
	var created, updated int64
	err := tx.QueryRow(ctx, `SELECT name, id, arn, path, default_version, description, created_at, updated_at
		FROM iam_policies WHERE account_id = ? AND arn = ?`, acct, arn).
		Scan(&p.Name, &p.ID, &p.ARN, &p.Path, &p.DefaultVersionID, &p.Description, &created, &updated)
	if errors.Is(err, store.ErrNotFound) {
		return ManagedPolicy{}, polNotFound(arn)
	}
	if err != nil {
		return ManagedPolicy{}, err
	}
	p.IsAttachable = true
	p.CreateDate, p.UpdateDate = time.UnixMilli(created).UTC(), time.UnixMilli(updated).UTC()
	return p, nil
}

func polFromAWS(a awsmanaged.Policy) ManagedPolicy {
	return ManagedPolicy{
		Name: a.Name, ID: a.ID, ARN: a.ARN, Path: a.Path, DefaultVersionID: awsmanaged.VersionID,
		Description: a.Description, IsAttachable: true, AWSManaged: true, CreateDate: a.CreateDate, UpdateDate: a.UpdateDate,
	}
}

// polCounts fills the attachment and boundary usage counts of one policy.
func polCounts(ctx context.Context, tx store.Tx, acct string, p *ManagedPolicy) error {
	var a, u, r int
	if err := tx.QueryRow(ctx, `SELECT COUNT(*) FROM iam_attachments WHERE account_id = ? AND policy_arn = ?`, acct, p.ARN).Scan(&a); err != nil {
		return err
	}
	if err := tx.QueryRow(ctx, `SELECT COUNT(*) FROM iam_users WHERE account_id = ? AND boundary_arn = ?`, acct, p.ARN).Scan(&u); err != nil {
		return err
	}
	if err := tx.QueryRow(ctx, `SELECT COUNT(*) FROM iam_roles WHERE account_id = ? AND boundary_arn = ?`, acct, p.ARN).Scan(&r); err != nil {
		return err
	}
	p.AttachmentCount, p.BoundaryUsageCount = a, u+r
	return nil
}

// polAllCounts returns attachment and boundary usage counts of every policy
// used in the account.
func polAllCounts(ctx context.Context, tx store.Tx, acct string) (attach, boundary map[string]int, err error) {
	attach, boundary = map[string]int{}, map[string]int{}
	if err := polCountInto(ctx, tx, attach, `SELECT policy_arn, COUNT(*) FROM iam_attachments WHERE account_id = ? GROUP BY policy_arn`, acct); err != nil {
		return nil, nil, err
	}
	for _, table := range []string{"iam_users", "iam_roles"} {
		if err := polCountInto(ctx, tx, boundary, `SELECT boundary_arn, COUNT(*) FROM `+table+` WHERE account_id = ? AND boundary_arn <> '' GROUP BY boundary_arn`, acct); err != nil {
			return nil, nil, err
		}
	}
	return attach, boundary, nil
}

func polCountInto(ctx context.Context, tx store.Tx, into map[string]int, q string, args ...any) error {
	rows, err := tx.Query(ctx, q, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var k string
		var n int
		if err := rows.Scan(&k, &n); err != nil {
			return err
		}
		into[k] += n
	}
	return rows.Err()
}

// ListPoliciesInput is ListPolicies' input.
type ListPoliciesInput struct {
	Scope        string // All (default), AWS, Local
	OnlyAttached bool
	PathPrefix   string
	UsageFilter  string // "", PermissionsPolicy, PermissionsBoundary
	Page         PageInput
}

// ListPolicies lists the account's customer managed policies and the
// shipped AWS managed policies, sorted by name.
func (s *Service) ListPolicies(ctx context.Context, in ListPoliciesInput) (Listing[ManagedPolicy], error) {
	acct, err := s.authorize(ctx, "iam:ListPolicies", "*", nil)
	if err != nil {
		return Listing[ManagedPolicy]{}, err
	}
	switch in.Scope {
	case "", "All", "AWS", "Local":
	default:
		return Listing[ManagedPolicy]{}, errorf(ErrValidation, "1 validation error detected: Value '%s' at 'scope' failed to satisfy constraint: Member must satisfy enum value set: [All, AWS, Local]", in.Scope)
	}
	if err := polCheckUsageFilter(in.UsageFilter); err != nil {
		return Listing[ManagedPolicy]{}, err
	}
	if err := checkPathPrefix(in.PathPrefix); err != nil {
		return Listing[ManagedPolicy]{}, err
	}
	after, limit, err := in.Page.decode()
	if err != nil {
		return Listing[ManagedPolicy]{}, err
	}
	// The listing is sorted by this key; markers hold the last one returned.
	key := func(p ManagedPolicy) string { return strings.ToLower(p.Name) + "\x00" + p.ARN }
	var attach, boundary map[string]int
	keep := func(p *ManagedPolicy) bool {
		p.AttachmentCount, p.BoundaryUsageCount = attach[p.ARN], boundary[p.ARN]
		switch {
		case in.Page.Marker != "" && key(*p) <= after:
			return false
		case !strings.HasPrefix(p.Path, in.PathPrefix):
			return false
		case in.UsageFilter == "PermissionsBoundary" && p.BoundaryUsageCount == 0:
			return false
		case in.OnlyAttached && in.UsageFilter != "PermissionsBoundary" && p.AttachmentCount == 0:
			return false
		}
		return true
	}
	var page []ManagedPolicy
	err = s.st.View(ctx, func(tx store.Tx) error {
		page = page[:0]
		var err error
		if attach, boundary, err = polAllCounts(ctx, tx, acct); err != nil {
			return err
		}
		// The AWS managed policies come from the catalog in memory; the
		// customer managed ones are read from the marker on, in key order,
		// and merged until the page (plus one, to know it is truncated) is
		// full.
		var shipped []ManagedPolicy
		if in.Scope != "Local" {
			for _, a := range awsmanaged.All() {
				if p := polFromAWS(a); keep(&p) {
					shipped = append(shipped, p)
				}
			}
			sort.Slice(shipped, func(i, j int) bool { return key(shipped[i]) < key(shipped[j]) })
		}
		full := func(p ManagedPolicy) bool { page = append(page, p); return len(page) > limit }
		i := 0
		if in.Scope != "AWS" {
			afterName, _, _ := strings.Cut(after, "\x00")
			q := polLocalColumns + ` WHERE account_id = ? AND name_key >= ? ORDER BY name_key`
			args := []any{acct, afterName}
			if in.PathPrefix == "" && in.UsageFilter == "" && !in.OnlyAttached {
				// No filter: the page's rows (plus one for IsTruncated, plus
				// the marker's own row, which >= reads again) are all that
				// can be kept.
				q += ` LIMIT ?`
				args = append(args, limit+2)
			}
			rows, err := tx.Query(ctx, q, args...)
			if err != nil {
				return err
			}
			defer rows.Close()
			for rows.Next() {
				p, err := polScanLocal(rows)
				if err != nil {
					return err
				}
				if !keep(&p) {
					continue
				}
				for ; i < len(shipped) && key(shipped[i]) < key(p); i++ {
					if full(shipped[i]) {
						return nil
					}
				}
				if full(p) {
					return nil
				}
			}
			if err := rows.Err(); err != nil {
				return err
			}
		}
		for ; i < len(shipped); i++ {
			if full(shipped[i]) {
				return nil
			}
		}
		return nil
	})
	if err != nil {
		return Listing[ManagedPolicy]{}, err
	}
	out := Listing[ManagedPolicy]{Items: page}
	if len(page) > limit {
		out.Items, out.IsTruncated, out.Marker = page[:limit], true, encodeMarker(key(page[limit-1]))
	}
	if out.Items == nil {
		out.Items = []ManagedPolicy{}
	}
	return out, nil
}

const polLocalColumns = `SELECT name, id, arn, path, default_version, description, created_at, updated_at FROM iam_policies`

func polScanLocal(r interface{ Scan(...any) error }) (ManagedPolicy, error) {
	var p ManagedPolicy
	var created, updated int64
	if err := r.Scan(&p.Name, &p.ID, &p.ARN, &p.Path, &p.DefaultVersionID, &p.Description, &created, &updated); err != nil {
		return ManagedPolicy{}, err
	}
	p.IsAttachable = true
	p.CreateDate, p.UpdateDate = time.UnixMilli(created).UTC(), time.UnixMilli(updated).UTC()
	return p, nil
}

// polListLocal reads every customer managed policy of the account.
func polListLocal(ctx context.Context, tx store.Tx, acct string) ([]ManagedPolicy, error) {
	rows, err := tx.Query(ctx, polLocalColumns+` WHERE account_id = ? ORDER BY name_key`, acct)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []ManagedPolicy
	for rows.Next() {
		p, err := polScanLocal(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	return out, rows.Err()
}

func polCheckUsageFilter(f string) error {
	switch f {
	case "", "PermissionsPolicy", "PermissionsBoundary":
		return nil
	}
	return errorf(ErrValidation, "1 validation error detected: Value '%s' at 'policyUsageFilter' failed to satisfy constraint: Member must satisfy enum value set: [PermissionsPolicy, PermissionsBoundary]", f)
}

// DeletePolicy deletes a customer managed policy that is attached to
// nothing and has no versions besides its default.
func (s *Service) DeletePolicy(ctx context.Context, arn string) error {
	acct, err := s.authorizePolicy(ctx, "iam:DeletePolicy", arn, nil)
	if err != nil {
		return err
	}
	if err := polCustomerOnly(arn); err != nil {
		return err
	}
	return s.updateChanged(ctx, acct, func(tx store.Tx) error {
		p, err := polLoad(ctx, tx, acct, arn)
		if err != nil {
			return err
		}
		if err := polCounts(ctx, tx, acct, &p); err != nil {
			return err
		}
		if p.AttachmentCount > 0 || p.BoundaryUsageCount > 0 {
			return errorf(ErrDeleteConflict, "Cannot delete a policy attached to entities.")
		}
		var versions int
		if err := tx.QueryRow(ctx, `SELECT COUNT(*) FROM iam_policy_versions WHERE account_id = ? AND policy_arn = ?`, acct, arn).Scan(&versions); err != nil {
			return err
		}
		if versions > 1 {
			return errorf(ErrDeleteConflict, "This policy has more than one version. Before you delete a policy, you must delete the policy's versions. The default version is deleted with the policy.")
		}
		for _, q := range []string{
			`DELETE FROM iam_policy_versions WHERE account_id = ? AND policy_arn = ?`,
			`DELETE FROM iam_policies WHERE account_id = ? AND arn = ?`,
		} {
			if _, err := tx.Exec(ctx, q, acct, arn); err != nil {
				return err
			}
		}
		_, err = tx.Exec(ctx, `DELETE FROM iam_tags WHERE account_id = ? AND kind = ? AND entity_key = ?`, acct, KindPolicy, arn)
		return err
	})
}
