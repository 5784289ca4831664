package s3

import (
	"context"
	"encoding/json"
	"errors"
	"strings"

	"github.com/nimbuscloud/nimbus/internal/caller"
	"github.com/nimbuscloud/nimbus/internal/iam/policy"
	"github.com/nimbuscloud/nimbus/internal/store"
)

// MaxBucketPolicy is the largest bucket policy S3 accepts (20 KB).
const MaxBucketPolicy = 20 << 10

// A bucket's policy is stored as the text the client sent, in the bucket's
// row (s3_buckets.policy, "" when it has none), and every operation on the
// bucket or its objects passes it to the authorizer, which parses it per
// request. No parsed copy is cached, so there is nothing to invalidate, even
// across servers sharing the store; the parse costs ~22 µs for a typical
// policy but ~1 ms for a 17 KB one, and a cache for those belongs in the
// authorizer, which takes the text (docs/services/s3.md).

// policyAccess authorizes action (s3:GetBucketPolicy, s3:PutBucketPolicy,
// s3:DeleteBucketPolicy) on bucket b. The bucket owner's root user is
// always allowed, whatever the policy says, so that a policy denying
// everyone can be read and removed; everyone else is decided by their IAM
// policies and the bucket policy. A caller of another account that is
// allowed still gets MethodNotAllowed, as S3: only identities of the
// bucket owner's account manage its policy.
func (s *Service) policyAccess(ctx context.Context, b *Bucket, action string) error {
	c := caller.From(ctx)
	if c != nil && c.Principal.Type == caller.Root && c.Principal.AccountID == b.AccountID {
		return nil
	}
	if err := s.authorize(ctx, b, action, BucketARN(b.Name), nil); err != nil {
		return err
	}
	if c == nil || c.Anonymous() || c.Principal.AccountID != b.AccountID {
		return wrap(ErrMethodNotAllowed, "The specified method is not allowed against this resource.")
	}
	return nil
}

// bucketForPolicy checks the name, reads the bucket and authorizes action.
func (s *Service) bucketForPolicy(ctx context.Context, name, action string) (*Bucket, error) {
	if err := CheckBucketName(name); err != nil {
		return nil, err
	}
	b, err := s.loadBucket(ctx, name)
	if err != nil {
		return nil, err
	}
	if err := s.policyAccess(ctx, b, action); err != nil {
		return nil, err
	}
	return b, nil
}

// PutBucketPolicy replaces a bucket's policy with doc after validating it
// as a resource-based policy (MalformedPolicy with the parser's message,
// nothing stored, when it does not validate). A public policy is
// AccessDenied while the bucket's BlockPublicPolicy is on, for the owner's
// root too.
func (s *Service) PutBucketPolicy(ctx context.Context, bucket, doc string) error {
	b, err := s.bucketForPolicy(ctx, bucket, "s3:PutBucketPolicy")
	if err != nil {
		return err
	}
	if err := CheckBucketPolicy(doc); err != nil {
		return err
	}
	return s.st.Update(ctx, func(tx store.Tx) error {
		cur, err := sameBucket(ctx, tx, b)
		if err != nil {
			return err
		}
		if err := cur.blockPublicPolicy(ctx, doc); err != nil {
			return err
		}
		_, err = tx.Exec(ctx, `UPDATE s3_buckets SET policy = ? WHERE name = ?`, doc, bucket)
		return err
	})
}

// CheckBucketPolicy validates a bucket policy document. The error wraps
// ErrMalformedPolicy.
func CheckBucketPolicy(doc string) error {
	switch {
	case isBlank(doc):
		return wrap(ErrMalformedPolicy, "Policies must be valid JSON and the first byte must be '{'")
	case len(doc) > MaxBucketPolicy:
		return wrap(ErrMalformedPolicy, "Policy exceeds the maximum allowed document size.")
	}
	if _, err := policy.Parse(doc, policy.Resource); err != nil {
		var pe *policy.Error
		if errors.As(err, &pe) {
			return wrap(ErrMalformedPolicy, pe.Msg)
		}
		return err
	}
	return nil
}

// GetBucketPolicy returns a bucket's policy as it was put
// (NoSuchBucketPolicy when it has none).
func (s *Service) GetBucketPolicy(ctx context.Context, bucket string) (string, error) {
	b, err := s.bucketForPolicy(ctx, bucket, "s3:GetBucketPolicy")
	if err != nil {
		return "", err
	}
	if b.Policy == "" {
		return "", wrap(ErrNoSuchBucketPolicy, "The bucket policy does not exist")
	}
	return b.Policy, nil
}

// DeleteBucketPolicy removes a bucket's policy; removing none succeeds.
func (s *Service) DeleteBucketPolicy(ctx context.Context, bucket string) error {
	b, err := s.bucketForPolicy(ctx, bucket, "s3:DeleteBucketPolicy")
	if err != nil {
		return err
	}
	return s.st.Update(ctx, func(tx store.Tx) error {
		if _, err := sameBucket(ctx, tx, b); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, `UPDATE s3_buckets SET policy = '' WHERE name = ?`, bucket)
		return err
	})
}

// GetBucketPolicyStatus reports whether a bucket's policy makes it public
// (see PolicyIsPublic). Unlike the policy itself it is readable by anyone
// allowed s3:GetBucketPolicyStatus, as S3.
func (s *Service) GetBucketPolicyStatus(ctx context.Context, bucket string) (bool, error) {
	b, err := s.Bucket(ctx, bucket, "s3:GetBucketPolicyStatus")
	if err != nil {
		return false, err
	}
	if b.Policy == "" {
		return false, wrap(ErrNoSuchBucketPolicy, "The bucket policy does not exist")
	}
	return PolicyIsPublic(b.Policy), nil
}

// restrictingKeys are the condition keys that pin a statement to known
// callers or networks; a statement conditioned on any of them is not
// public. The comparison is case-insensitive.
var restrictingKeys = []string{
	"aws:sourceip", "aws:sourcevpc", "aws:sourcevpce", "aws:sourcearn", "aws:sourceaccount",
	"aws:sourceowner", "aws:principalaccount", "aws:principalarn", "aws:principalorgid",
	"aws:principalorgpaths", "aws:userid", "aws:principalservicename", "s3:dataaccesspointarn",
	"s3:dataaccesspointaccount",
}

// PolicyIsPublic is a simplified form of S3's "public" test: a policy is
// public when one of its Allow statements names every principal
// (Principal "*", {"AWS": "*"} or an "*" in an AWS list) and has no
// condition on a restricting key (aws:SourceIp, aws:SourceVpc(e),
// aws:SourceArn, aws:SourceAccount, aws:SourceOwner, aws:PrincipalAccount,
// aws:PrincipalArn, aws:PrincipalOrgID, aws:PrincipalOrgPaths,
// aws:userid, s3:DataAccessPointArn, s3:DataAccessPointAccount). Unlike
// S3 it does not look at the values (a 0.0.0.0/0 SourceIp still counts
// as restricting) and ignores NotPrincipal statements.
func PolicyIsPublic(doc string) bool {
	var d struct {
		Statement json.RawMessage
	}
	if json.Unmarshal([]byte(doc), &d) != nil {
		return false
	}
	type statement struct {
		Effect    string
		Principal json.RawMessage
		Condition map[string]map[string]json.RawMessage
	}
	var stmts []statement
	if json.Unmarshal(d.Statement, &stmts) != nil {
		var one statement
		if json.Unmarshal(d.Statement, &one) != nil {
			return false
		}
		stmts = []statement{one}
	}
	for _, st := range stmts {
		if st.Effect != "Allow" || !everyone(st.Principal) {
			continue
		}
		restricted := false
		for _, keys := range st.Condition {
			for k := range keys {
				for _, r := range restrictingKeys {
					if strings.EqualFold(k, r) {
						restricted = true
					}
				}
			}
		}
		if !restricted {
			return true
		}
	}
	return false
}

// everyone reports whether a Principal element names every principal.
func everyone(p json.RawMessage) bool {
	var s string
	if json.Unmarshal(p, &s) == nil {
		return s == "*"
	}
	var m map[string]json.RawMessage
	if json.Unmarshal(p, &m) != nil {
		return false
	}
	v, ok := m["AWS"]
	if !ok {
		return false
	}
	if json.Unmarshal(v, &s) == nil {
		return s == "*"
	}
	var list []string
	if json.Unmarshal(v, &list) == nil {
		for _, s := range list {
			if s == "*" {
				return true
			}
		}
	}
	return false
}
