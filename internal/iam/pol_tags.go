package iam

import (
	"context"
	"strings"

	"github.com/nimbuscloud/nimbus/internal/store"
)

// Tags of customer managed policies live in iam_tags with kind "policy"
// and the policy ARN as entity key; validation and storage are the shared
// tag helpers (tags.go).

// polReadTagsOf reads the tags of every entity of one kind, by entity key.
func polReadTagsOf(ctx context.Context, tx store.Tx, acct, kind string) (map[string][]Tag, error) {
	rows, err := tx.Query(ctx, `SELECT entity_key, tag_key, value FROM iam_tags WHERE account_id = ? AND kind = ? ORDER BY entity_key, key_lower`, acct, kind)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string][]Tag{}
	for rows.Next() {
		var k string
		var t Tag
		if err := rows.Scan(&k, &t.Key, &t.Value); err != nil {
			return nil, err
		}
		out[k] = append(out[k], t)
	}
	return out, rows.Err()
}

// polResourceTags is the aws:ResourceTag/* context of a customer policy.
func polResourceTags(ctx context.Context, s *Service, acct, arn string, extra map[string][]string) (map[string][]string, error) {
	var tags []Tag
	err := s.st.View(ctx, func(tx store.Tx) error {
		var err error
		tags, err = listTagsTx(ctx, tx, acct, KindPolicy, arn)
		return err
	})
	return resourceTagKeys(tags, extra), err
}

// authorizePolicy authorizes action on a managed policy ARN with the
// policy's tags as aws:ResourceTag keys plus extra; it returns the account.
func (s *Service) authorizePolicy(ctx context.Context, action, arn string, extra map[string][]string) (string, error) {
	if err := polCheckARN(arn); err != nil {
		return "", err
	}
	_, acct, err := callerAccount(ctx)
	if err != nil {
		return "", err
	}
	keys, err := polResourceTags(ctx, s, acct, arn, extra)
	if err != nil {
		return "", err
	}
	return s.authorize(ctx, action, arn, keys)
}

// TagPolicy adds or replaces tags of a customer managed policy.
func (s *Service) TagPolicy(ctx context.Context, arn string, tags []Tag) error {
	if err := validateTags(tags); err != nil {
		return err
	}
	return s.updatePolicyTags(ctx, "iam:TagPolicy", arn, requestTagKeys(tags), func(tx store.Tx, acct string) error {
		return putTagsTx(ctx, tx, acct, KindPolicy, arn, tags)
	})
}

// UntagPolicy removes tags (by key, case-insensitively) from a customer
// managed policy; absent keys are ignored.
func (s *Service) UntagPolicy(ctx context.Context, arn string, keys []string) error {
	if err := validateTagKeys(keys); err != nil {
		return err
	}
	return s.updatePolicyTags(ctx, "iam:UntagPolicy", arn, map[string][]string{"aws:TagKeys": keys}, func(tx store.Tx, acct string) error {
		return removeTagsTx(ctx, tx, acct, KindPolicy, arn, keys)
	})
}

// updatePolicyTags authorizes action (with condition keys keys) on a
// customer managed policy, then runs change in a write transaction once
// the policy is found there.
func (s *Service) updatePolicyTags(ctx context.Context, action, arn string, keys map[string][]string, change func(tx store.Tx, acct string) error) error {
	acct, err := s.authorizePolicy(ctx, action, arn, keys)
	if err != nil {
		return err
	}
	if err := polCustomerOnly(arn); err != nil {
		return err
	}
	return s.st.Update(ctx, func(tx store.Tx) error {
		if _, err := polLoad(ctx, tx, acct, arn); err != nil {
			return err
		}
		return change(tx, acct)
	})
}

// ListPolicyTags lists a managed policy's tags (AWS managed ones have none).
func (s *Service) ListPolicyTags(ctx context.Context, arn string, page PageInput) (Listing[Tag], error) {
	acct, err := s.authorizePolicy(ctx, "iam:ListPolicyTags", arn, nil)
	if err != nil {
		return Listing[Tag]{}, err
	}
	var tags []Tag
	err = s.st.View(ctx, func(tx store.Tx) error {
		if _, err := polLoad(ctx, tx, acct, arn); err != nil {
			return err
		}
		tags, err = listTagsTx(ctx, tx, acct, KindPolicy, arn)
		return err
	})
	if err != nil {
		return Listing[Tag]{}, err
	}
	return polPage(tags, func(t Tag) string { return strings.ToLower(t.Key) }, page)
}
