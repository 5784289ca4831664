package iam

import (
	"context"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/nimbuscloud/nimbus/internal/store"
)

// Tag is a key/value pair on an IAM entity. Keys are unique per entity
// case-insensitively and keep the case they were last written with.
type Tag struct {
	Key   string
	Value string
}

// Tag limits, per the IAM API reference and quotas page.
const (
	maxTagsPerEntity = 50
	maxTagKeyLen     = 128
	maxTagValueLen   = 256
)

var (
	tagKeyRE   = regexp.MustCompile(`^[\p{L}\p{Z}\p{N}_.:/=+\-@]+$`)
	tagValueRE = regexp.MustCompile(`^[\p{L}\p{Z}\p{N}_.:/=+\-@]*$`)
)

const (
	tagKeyPattern   = `[\p{L}\p{Z}\p{N}_.:/=+\-@]+`
	tagValuePattern = `[\p{L}\p{Z}\p{N}_.:/=+\-@]*`
)

// validateTags checks a request's tag list: at most 50 tags, keys and
// values within length and pattern, no "aws:" keys, no key twice (in any
// case).
func validateTags(tags []Tag) error {
	if len(tags) > maxTagsPerEntity {
		return errorf(ErrValidation, "1 validation error detected: Value at 'tags' failed to satisfy constraint: Member must have length less than or equal to 50")
	}
	seen := make(map[string]bool, len(tags))
	for i, t := range tags {
		if err := validateTagKey("tags."+strconv.Itoa(i+1)+".member.key", t.Key); err != nil {
			return err
		}
		n := utf8.RuneCountInString(t.Value)
		if n > maxTagValueLen {
			return errorf(ErrValidation, "1 validation error detected: Value '%s' at 'tags.%d.member.value' failed to satisfy constraint: Member must have length less than or equal to 256", t.Value, i+1)
		}
		if !tagValueRE.MatchString(t.Value) {
			return errorf(ErrValidation, "1 validation error detected: Value '%s' at 'tags.%d.member.value' failed to satisfy constraint: Member must satisfy regular expression pattern: %s", t.Value, i+1, tagValuePattern)
		}
		k := strings.ToLower(t.Key)
		if seen[k] {
			return errorf(ErrInvalidInput, "Duplicate tag keys found. Please note that Tag keys are case insensitive.")
		}
		seen[k] = true
	}
	return nil
}

// validateTagKeys checks an Untag request's key list.
func validateTagKeys(keys []string) error {
	if len(keys) > maxTagsPerEntity {
		return errorf(ErrValidation, "1 validation error detected: Value at 'tagKeys' failed to satisfy constraint: Member must have length less than or equal to 50")
	}
	for i, k := range keys {
		if err := validateTagKey("tagKeys."+strconv.Itoa(i+1)+".member", k); err != nil {
			return err
		}
	}
	return nil
}

func validateTagKey(field, k string) error {
	n := utf8.RuneCountInString(k)
	switch {
	case n < 1 || n > maxTagKeyLen:
		return errorf(ErrValidation, "1 validation error detected: Value '%s' at '%s' failed to satisfy constraint: Member must have length between 1 and 128", k, field)
	case !tagKeyRE.MatchString(k):
		return errorf(ErrValidation, "1 validation error detected: Value '%s' at '%s' failed to satisfy constraint: Member must satisfy regular expression pattern: %s", k, field, tagKeyPattern)
	case strings.HasPrefix(strings.ToLower(k), "aws:"):
		return errorf(ErrInvalidInput, "Tag keys beginning with 'aws:' are reserved for AWS use.")
	}
	return nil
}

// requestTagKeys returns the aws:RequestTag/<key> and aws:TagKeys
// condition keys of a request that sets tags (empty map when none).
func requestTagKeys(tags []Tag) map[string][]string {
	keys := map[string][]string{}
	if len(tags) == 0 {
		return keys
	}
	names := make([]string, 0, len(tags))
	for _, t := range tags {
		keys["aws:RequestTag/"+t.Key] = []string{t.Value}
		names = append(names, t.Key)
	}
	keys["aws:TagKeys"] = names
	return keys
}

// sortedTags returns a copy of tags in the order they are listed (by key,
// case-insensitively); nil when there are none.
func sortedTags(tags []Tag) []Tag {
	if len(tags) == 0 {
		return nil
	}
	out := append([]Tag(nil), tags...)
	sort.Slice(out, func(i, j int) bool { return strings.ToLower(out[i].Key) < strings.ToLower(out[j].Key) })
	return out
}

// putTagsTx adds or overwrites tags of an entity; the result may hold at
// most 50 tags (LimitExceeded, with the message other AWS-compatible IAMs
// report; not verified against AWS).
// Tags must have passed validateTags.
func putTagsTx(ctx context.Context, tx store.Tx, acct, kind, entityKey string, tags []Tag) error {
	if len(tags) == 0 {
		return nil
	}
	existing, err := listTagsTx(ctx, tx, acct, kind, entityKey)
	if err != nil {
		return err
	}
	keys := make(map[string]bool, len(existing)+len(tags))
	for _, t := range existing {
		keys[strings.ToLower(t.Key)] = true
	}
	for _, t := range tags {
		keys[strings.ToLower(t.Key)] = true
	}
	if len(keys) > maxTagsPerEntity {
		return errorf(ErrLimitExceeded, "The number of tags has reached the maximum limit.")
	}
	for _, t := range tags {
		if _, err := tx.Exec(ctx, `INSERT INTO iam_tags (account_id, kind, entity_key, key_lower, tag_key, value) VALUES (?, ?, ?, ?, ?, ?)
			ON CONFLICT (account_id, kind, entity_key, key_lower) DO UPDATE SET tag_key = excluded.tag_key, value = excluded.value`,
			acct, kind, entityKey, strings.ToLower(t.Key), t.Key, t.Value); err != nil {
			return err
		}
	}
	return nil
}

// removeTagsTx deletes tags by key (case-insensitive); absent keys are
// ignored, as AWS does.
func removeTagsTx(ctx context.Context, tx store.Tx, acct, kind, entityKey string, keys []string) error {
	for _, k := range keys {
		if _, err := tx.Exec(ctx, `DELETE FROM iam_tags WHERE account_id = ? AND kind = ? AND entity_key = ? AND key_lower = ?`,
			acct, kind, entityKey, strings.ToLower(k)); err != nil {
			return err
		}
	}
	return nil
}

// deleteTagsTx removes all tags of an entity (when it is deleted).
func deleteTagsTx(ctx context.Context, tx store.Tx, acct, kind, entityKey string) error {
	_, err := tx.Exec(ctx, `DELETE FROM iam_tags WHERE account_id = ? AND kind = ? AND entity_key = ?`, acct, kind, entityKey)
	return err
}

// listTagsTx returns an entity's tags ordered by key (case-insensitively);
// nil when it has none.
func listTagsTx(ctx context.Context, tx store.Tx, acct, kind, entityKey string) ([]Tag, error) {
	rows, err := tx.Query(ctx, `SELECT tag_key, value FROM iam_tags WHERE account_id = ? AND kind = ? AND entity_key = ? ORDER BY key_lower`,
		acct, kind, entityKey)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Tag
	for rows.Next() {
		var t Tag
		if err := rows.Scan(&t.Key, &t.Value); err != nil {
			return nil, err
		}
		out = append(out, t)
	}
	return out, rows.Err()
}

// ---- Tag/Untag/List<Entity>Tags for users, roles and instance profiles ----

// TagUser adds or overwrites tags of a user.
func (s *Service) TagUser(ctx context.Context, name string, tags []Tag) error {
	return s.tagEntity(ctx, KindUser, name, tags)
}

// UntagUser removes tags from a user.
func (s *Service) UntagUser(ctx context.Context, name string, keys []string) error {
	return s.untagEntity(ctx, KindUser, name, keys)
}

// ListUserTags lists a user's tags.
func (s *Service) ListUserTags(ctx context.Context, name string, page PageInput) (Listing[Tag], error) {
	return s.listEntityTags(ctx, KindUser, name, page)
}

// TagRole adds or overwrites tags of a role.
func (s *Service) TagRole(ctx context.Context, name string, tags []Tag) error {
	return s.tagEntity(ctx, KindRole, name, tags)
}

// UntagRole removes tags from a role.
func (s *Service) UntagRole(ctx context.Context, name string, keys []string) error {
	return s.untagEntity(ctx, KindRole, name, keys)
}

// ListRoleTags lists a role's tags.
func (s *Service) ListRoleTags(ctx context.Context, name string, page PageInput) (Listing[Tag], error) {
	return s.listEntityTags(ctx, KindRole, name, page)
}

// TagInstanceProfile adds or overwrites tags of an instance profile.
func (s *Service) TagInstanceProfile(ctx context.Context, name string, tags []Tag) error {
	return s.tagEntity(ctx, KindInstanceProfile, name, tags)
}

// UntagInstanceProfile removes tags from an instance profile.
func (s *Service) UntagInstanceProfile(ctx context.Context, name string, keys []string) error {
	return s.untagEntity(ctx, KindInstanceProfile, name, keys)
}

// ListInstanceProfileTags lists an instance profile's tags.
func (s *Service) ListInstanceProfileTags(ctx context.Context, name string, page PageInput) (Listing[Tag], error) {
	return s.listEntityTags(ctx, KindInstanceProfile, name, page)
}

func (s *Service) tagEntity(ctx context.Context, kind, name string, tags []Tag) error {
	e := kindOf(kind)
	if err := validateName(e.field, name, e.maxName); err != nil {
		return err
	}
	if err := validateTags(tags); err != nil {
		return err
	}
	acct, err := s.authorizeEntity(ctx, "iam:Tag"+e.verb, kind, name, requestTagKeys(tags))
	if err != nil {
		return err
	}
	// Principal tags feed aws:PrincipalTag conditions: tell Changes.
	return s.updateChanged(ctx, acct, func(tx store.Tx) error {
		if _, err := entityExistsTx(ctx, tx, acct, kind, name); err != nil {
			return err
		}
		return putTagsTx(ctx, tx, acct, kind, nameKey(name), tags)
	})
}

func (s *Service) untagEntity(ctx context.Context, kind, name string, keys []string) error {
	e := kindOf(kind)
	if err := validateName(e.field, name, e.maxName); err != nil {
		return err
	}
	if err := validateTagKeys(keys); err != nil {
		return err
	}
	var ck map[string][]string
	if len(keys) > 0 {
		ck = map[string][]string{"aws:TagKeys": keys}
	}
	acct, err := s.authorizeEntity(ctx, "iam:Untag"+e.verb, kind, name, ck)
	if err != nil {
		return err
	}
	return s.updateChanged(ctx, acct, func(tx store.Tx) error {
		if _, err := entityExistsTx(ctx, tx, acct, kind, name); err != nil {
			return err
		}
		return removeTagsTx(ctx, tx, acct, kind, nameKey(name), keys)
	})
}

func (s *Service) listEntityTags(ctx context.Context, kind, name string, page PageInput) (Listing[Tag], error) {
	e := kindOf(kind)
	if err := validateName(e.field, name, e.maxName); err != nil {
		return Listing[Tag]{}, err
	}
	if _, _, err := page.decode(); err != nil {
		return Listing[Tag]{}, err
	}
	acct, err := s.authorizeEntity(ctx, "iam:List"+e.verb+"Tags", kind, name, nil)
	if err != nil {
		return Listing[Tag]{}, err
	}
	var tags []Tag
	err = s.st.View(ctx, func(tx store.Tx) error {
		if _, err := entityExistsTx(ctx, tx, acct, kind, name); err != nil {
			return err
		}
		var err error
		tags, err = listTagsTx(ctx, tx, acct, kind, nameKey(name))
		return err
	})
	if err != nil {
		return Listing[Tag]{}, err
	}
	return pageOf(tags, page, func(t Tag) string { return strings.ToLower(t.Key) })
}
