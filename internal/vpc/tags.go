package vpc

import (
	"context"
	"strings"
	"unicode/utf8"

	"github.com/nimbuscloud/nimbus/internal/store"
)

// Tag limits, as EC2's.
const (
	maxTags        = 50
	maxTagKeyLen   = 127
	maxTagValueLen = 255
)

// checkTags validates tags a client sent.
func checkTags(tags map[string]string) error {
	if len(tags) > maxTags {
		return errorf("TagLimitExceeded", "The maximum number of Tags for a resource has been reached.")
	}
	for k, v := range tags {
		switch {
		case k == "":
			return invalidParam("Tag key cannot be empty")
		case utf8.RuneCountInString(k) > maxTagKeyLen:
			return invalidParam("Tag key exceeds the maximum length of %d characters", maxTagKeyLen)
		case utf8.RuneCountInString(v) > maxTagValueLen:
			return invalidParam("Tag value exceeds the maximum length of %d characters", maxTagValueLen)
		case strings.HasPrefix(strings.ToLower(k), "aws:"):
			return invalidParam("Tag keys starting with 'aws:' are reserved for internal use")
		}
	}
	return nil
}

// setTags adds or overwrites tags of a resource.
func setTags(ctx context.Context, tx store.Tx, account string, k kind, id string, tags map[string]string) error {
	for key, v := range tags {
		if _, err := tx.Exec(ctx, `INSERT INTO ec2_tags (resource_id, account_id, resource_type, tag_key, tag_value) VALUES (?, ?, ?, ?, ?)
ON CONFLICT (resource_id, tag_key) DO UPDATE SET tag_value = excluded.tag_value`, id, account, string(k), key, v); err != nil {
			return err
		}
	}
	var n int64
	if err := tx.QueryRow(ctx, `SELECT COUNT(*) FROM ec2_tags WHERE resource_id = ?`, id).Scan(&n); err != nil {
		return err
	}
	if n > maxTags {
		return errorf("TagLimitExceeded", "The maximum number of Tags for a resource has been reached.")
	}
	return nil
}

// tagsOf reads the tags of an account's resources of kind k, by ID.
func tagsOf(ctx context.Context, tx store.Tx, account string, k kind) (map[string]map[string]string, error) {
	rows, err := tx.Query(ctx, `SELECT resource_id, tag_key, tag_value FROM ec2_tags WHERE account_id = ? AND resource_type = ?`, account, string(k))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string]map[string]string{}
	for rows.Next() {
		var id, key, v string
		if err := rows.Scan(&id, &key, &v); err != nil {
			return nil, err
		}
		if out[id] == nil {
			out[id] = map[string]string{}
		}
		out[id][key] = v
	}
	return out, rows.Close()
}

// TagInfo is one tag of DescribeTags.
type TagInfo struct {
	ResourceID, ResourceType, Key, Value string
}

// CreateTags adds or overwrites tags on the caller's resources.
func (s *Service) CreateTags(ctx context.Context, ids []string, tags map[string]string) error {
	return s.changeTags(ctx, "CreateTags", ids, func(tx store.Tx, acct string, k kind, id string) error {
		return setTags(ctx, tx, acct, k, id, tags)
	}, tags)
}

// DeleteTags removes tags: a key with a nil value removes the key, with a
// value only if it matches; no keys removes every tag.
func (s *Service) DeleteTags(ctx context.Context, ids []string, keys map[string]*string) error {
	return s.changeTags(ctx, "DeleteTags", ids, func(tx store.Tx, acct string, k kind, id string) error {
		if len(keys) == 0 {
			_, err := tx.Exec(ctx, `DELETE FROM ec2_tags WHERE resource_id = ?`, id)
			return err
		}
		for key, v := range keys {
			q, args := `DELETE FROM ec2_tags WHERE resource_id = ? AND tag_key = ?`, []any{id, key}
			if v != nil {
				q, args = q+` AND tag_value = ?`, append(args, *v)
			}
			if _, err := tx.Exec(ctx, q, args...); err != nil {
				return err
			}
		}
		return nil
	}, nil)
}

func (s *Service) changeTags(ctx context.Context, action string, ids []string, fn func(store.Tx, string, kind, string) error, tags map[string]string) error {
	acct, err := account(ctx)
	if err != nil {
		return err
	}
	if len(ids) == 0 {
		return missingParam("resourceIdSet")
	}
	if tags != nil {
		if len(tags) == 0 {
			return missingParam("tagSet")
		}
		if err := checkTags(tags); err != nil {
			return err
		}
	}
	kindsOf := make([]kind, len(ids))
	for i, id := range ids {
		k, ok := kindOf(id)
		if !ok {
			return invalidParam("Invalid id: \"%s\"", id)
		}
		kindsOf[i] = k
		if err := s.authorize(ctx, action, s.arn(k, acct, id)); err != nil {
			return err
		}
	}
	return s.update(ctx, func(tx store.Tx) error {
		for i, id := range ids {
			var n int64
			if err := tx.QueryRow(ctx, `SELECT COUNT(*) FROM vpc_objects WHERE id = ? AND account_id = ?`, id, acct).Scan(&n); err != nil {
				return err
			}
			if n == 0 {
				return notFound(kindsOf[i], id)
			}
			if err := fn(tx, acct, kindsOf[i], id); err != nil {
				return err
			}
		}
		return nil
	})
}

// DescribeTags lists the caller's tags, filtered by resource-id,
// resource-type, key and value.
func (s *Service) DescribeTags(ctx context.Context, filters []Filter) ([]TagInfo, error) {
	acct, err := s.begin(ctx, "DescribeTags", nil)
	if err != nil {
		return nil, err
	}
	var out []TagInfo
	err = s.st.View(ctx, func(tx store.Tx) error {
		out = nil
		rows, err := tx.Query(ctx, `SELECT resource_id, resource_type, tag_key, tag_value FROM ec2_tags WHERE account_id = ? ORDER BY resource_id, tag_key`, acct)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var t TagInfo
			if err := rows.Scan(&t.ResourceID, &t.ResourceType, &t.Key, &t.Value); err != nil {
				return err
			}
			ok, err := match(filters, fieldMap{"resource-id": t.ResourceID, "resource-type": t.ResourceType, "key": t.Key, "value": t.Value}, nil)
			if err != nil {
				return err
			}
			if ok {
				out = append(out, t)
			}
		}
		return rows.Close()
	})
	return out, err
}
