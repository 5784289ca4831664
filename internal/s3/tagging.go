package s3

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/nimbuscloud/nimbus/internal/store"
)

// Tagging limits, as S3. Lengths are in UTF-16 code units.
const (
	MaxObjectTags  = 10
	MaxBucketTags  = 50
	MaxTagKeyLen   = 128
	MaxTagValueLen = 256
	// MaxTaggingDocument bounds a Tagging request body.
	MaxTaggingDocument = 64 << 10
)

// Tag is one object or bucket tag.
type Tag struct {
	Key   string `json:"Key"`
	Value string `json:"Value"`
}

// utf16Len is the length of s in UTF-16 code units, S3's measure for tags.
func utf16Len(s string) int {
	n := 0
	for _, r := range s {
		n += utf16.RuneLen(r)
	}
	return n
}

// checkTags applies S3's tag rules to a set of at most limit tags.
func checkTags(tags []Tag, limit int, tooMany error) error {
	if len(tags) > limit {
		return tooMany
	}
	seen := make(map[string]bool, len(tags))
	for _, t := range tags {
		switch {
		case t.Key == "" || !utf8.ValidString(t.Key):
			return wrap(ErrInvalidTag, "The TagKey you have provided is invalid")
		case !utf8.ValidString(t.Value):
			return wrap(ErrInvalidTag, "The TagValue you have provided is invalid")
		case utf16Len(t.Key) > MaxTagKeyLen:
			return wrap(ErrInvalidTag, fmt.Sprintf("The TagKey you have provided is too long, max %d", MaxTagKeyLen))
		case utf16Len(t.Value) > MaxTagValueLen:
			return wrap(ErrInvalidTag, fmt.Sprintf("The TagValue you have provided is too long, max %d", MaxTagValueLen))
		case strings.HasPrefix(strings.ToLower(t.Key), "aws:"):
			return wrap(ErrInvalidTag, "Your TagKey cannot be prefixed with aws:")
		case seen[t.Key]:
			return wrap(ErrInvalidTag, "Cannot provide multiple Tags with the same key")
		}
		seen[t.Key] = true
	}
	return nil
}

// checkObjectTags applies the rules for an object's tag set.
func checkObjectTags(tags []Tag) error {
	return checkTags(tags, MaxObjectTags, wrap(ErrBadRequest, fmt.Sprintf("Object tags cannot be greater than %d", MaxObjectTags)))
}

// checkBucketTags applies the rules for a bucket's tag set.
func checkBucketTags(tags []Tag) error {
	return checkTags(tags, MaxBucketTags, wrap(ErrInvalidTag, fmt.Sprintf("Bucket tag count cannot be greater than %d", MaxBucketTags)))
}

// ParseTaggingHeader reads x-amz-tagging: URL query form ("k1=v1&k2"),
// order kept. A malformed or duplicated key is InvalidArgument, as S3;
// the tag rules themselves are checked by the operation.
func ParseTaggingHeader(v string) ([]Tag, error) {
	bad := wrap(ErrInvalidArgument, "The header 'x-amz-tagging' shall be encoded as UTF-8 then URLEncoded URL query parameters without tag name duplicates.")
	if v == "" {
		return nil, nil
	}
	var tags []Tag
	seen := map[string]bool{}
	for pair := range strings.SplitSeq(v, "&") {
		if pair == "" {
			continue
		}
		k, val, _ := strings.Cut(pair, "=")
		key, err1 := url.QueryUnescape(k)
		value, err2 := url.QueryUnescape(val)
		if err1 != nil || err2 != nil || seen[key] {
			return nil, bad
		}
		seen[key] = true
		tags = append(tags, Tag{Key: key, Value: value})
	}
	return tags, nil
}

func encodeTags(tags []Tag) (string, error) {
	if len(tags) == 0 {
		return "", nil
	}
	b, err := json.Marshal(tags)
	return string(b), err
}

func decodeTags(s string) ([]Tag, error) {
	if s == "" {
		return nil, nil
	}
	var tags []Tag
	if err := json.Unmarshal([]byte(s), &tags); err != nil {
		return nil, fmt.Errorf("s3: stored tags are malformed: %w", err)
	}
	return tags, nil
}

// existingTagKeys are the s3:ExistingObjectTag/<key> condition keys of an
// object's tags.
func existingTagKeys(tags []Tag) map[string][]string {
	if len(tags) == 0 {
		return nil
	}
	m := make(map[string][]string, len(tags))
	for _, t := range tags {
		m["s3:ExistingObjectTag/"+t.Key] = []string{t.Value}
	}
	return m
}

// requestTagKeys are the s3:RequestObjectTag/<key> and
// s3:RequestObjectTagKeys condition keys of the tags a request sets, added
// to into (which may be nil).
func requestTagKeys(into map[string][]string, tags []Tag) map[string][]string {
	if len(tags) == 0 {
		return into
	}
	if into == nil {
		into = make(map[string][]string, len(tags)+1)
	}
	keys := make([]string, 0, len(tags))
	for _, t := range tags {
		into["s3:RequestObjectTag/"+t.Key] = []string{t.Value}
		keys = append(keys, t.Key)
	}
	into["s3:RequestObjectTagKeys"] = keys
	return into
}

// authorizeWrite authorizes writing an object with tags (PutObject,
// CopyObject, CreateMultipartUpload): s3:PutObject with the request's tag
// condition keys and, when tags are given, s3:PutObjectTagging too, as S3.
func (s *Service) authorizeWrite(ctx context.Context, b *Bucket, key string, tags []Tag) error {
	keys := requestTagKeys(nil, tags)
	if err := s.authorize(ctx, b, "s3:PutObject", ObjectARN(b.Name, key), keys); err != nil {
		return err
	}
	if len(tags) > 0 {
		return s.authorize(ctx, b, "s3:PutObjectTagging", ObjectARN(b.Name, key), keys)
	}
	return nil
}

// getTags reads the tags of a key's current row, or of one version of it
// (ErrNoSuchKey / ErrNoSuchVersion when absent).
func getTags(ctx context.Context, tx store.Tx, bucket string, id ObjectID) ([]Tag, error) {
	var s string
	var err error
	if id.VersionID == "" {
		err = tx.QueryRow(ctx, `SELECT tags FROM s3_objects WHERE bucket = ? AND object_key = ?`, bucket, id.Key).Scan(&s)
		if errors.Is(err, store.ErrNotFound) {
			return nil, wrap(ErrNoSuchKey, "The specified key does not exist.")
		}
	} else {
		err = tx.QueryRow(ctx, `SELECT tags FROM s3_objects WHERE bucket = ? AND object_key = ? AND version_id = ?`, bucket, id.Key, id.VersionID).Scan(&s)
		if errors.Is(err, store.ErrNotFound) {
			var dm int
			err = tx.QueryRow(ctx, `SELECT tags, delete_marker FROM s3_versions WHERE bucket = ? AND object_key = ? AND version_id = ?`,
				bucket, id.Key, id.VersionID).Scan(&s, &dm)
			if err == nil && dm != 0 {
				return nil, wrap(ErrMethodNotAllowed, "The specified method is not allowed against this resource.")
			}
		}
		if errors.Is(err, store.ErrNotFound) {
			return nil, wrap(ErrNoSuchVersion, "The specified version does not exist.")
		}
	}
	if err != nil {
		return nil, err
	}
	return decodeTags(s)
}

// existingTags reads a key's tags for its ExistingObjectTag condition
// keys; none when the key is absent. The decision uses the tags read
// here: a concurrent retag or overwrite committed between this read and
// the operation's own transaction is not seen by it.
func (s *Service) existingTags(ctx context.Context, b *Bucket, key string) ([]Tag, error) {
	var tags []Tag
	err := s.st.View(ctx, func(tx store.Tx) error {
		var err error
		tags, err = getTags(ctx, tx, b.Name, ObjectID{Key: key})
		return err
	})
	if isNoSuchKey(err) {
		return nil, nil
	}
	return tags, err
}

// versionAction is the action on a specific version: s3:GetObjectTagging
// becomes s3:GetObjectVersionTagging.
func versionAction(action, versionID string) string {
	if versionID == "" {
		return action
	}
	return strings.Replace(action, "Object", "ObjectVersion", 1)
}

// objectForTagging checks the key, reads the bucket and the key's (or
// version's) tags and authorizes action with the s3:ExistingObjectTag keys
// (and extra). A missing key is NoSuchKey once the caller is authorized
// without them.
func (s *Service) objectForTagging(ctx context.Context, bucket string, id ObjectID, action string, extra []Tag) (*Bucket, []Tag, error) {
	if err := checkKey(id.Key); err != nil {
		return nil, nil, err
	}
	if id.VersionID != "" {
		if err := checkVersionID(id.VersionID); err != nil {
			return nil, nil, err
		}
	}
	b, err := s.loadBucket(ctx, bucket)
	if err != nil {
		return nil, nil, err
	}
	var tags []Tag
	err = s.st.View(ctx, func(tx store.Tx) error {
		var err error
		tags, err = getTags(ctx, tx, bucket, id)
		return err
	})
	if err != nil && !isClientError(err) {
		return nil, nil, err
	}
	if aerr := s.authorize(ctx, b, versionAction(action, id.VersionID), ObjectARN(bucket, id.Key), requestTagKeys(existingTagKeys(tags), extra)); aerr != nil {
		return nil, nil, aerr
	}
	if err != nil {
		return nil, nil, err
	}
	return b, tags, nil
}

// GetObjectTagging returns an object's tags (empty when it has none).
func (s *Service) GetObjectTagging(ctx context.Context, bucket string, id ObjectID) ([]Tag, error) {
	_, tags, err := s.objectForTagging(ctx, bucket, id, "s3:GetObjectTagging", nil)
	return tags, err
}

// PutObjectTagging replaces an object's tags.
func (s *Service) PutObjectTagging(ctx context.Context, bucket string, id ObjectID, tags []Tag) error {
	if err := checkObjectTags(tags); err != nil {
		return err
	}
	b, _, err := s.objectForTagging(ctx, bucket, id, "s3:PutObjectTagging", tags)
	if err != nil {
		return err
	}
	return s.setObjectTags(ctx, b, id, tags)
}

// DeleteObjectTagging removes an object's tags.
func (s *Service) DeleteObjectTagging(ctx context.Context, bucket string, id ObjectID) error {
	b, _, err := s.objectForTagging(ctx, bucket, id, "s3:DeleteObjectTagging", nil)
	if err != nil {
		return err
	}
	return s.setObjectTags(ctx, b, id, nil)
}

func (s *Service) setObjectTags(ctx context.Context, b *Bucket, id ObjectID, tags []Tag) error {
	enc, err := encodeTags(tags)
	if err != nil {
		return err
	}
	return s.st.Update(ctx, func(tx store.Tx) error {
		if _, err := sameBucket(ctx, tx, b); err != nil {
			return err
		}
		var n int64
		if id.VersionID == "" {
			n, err = tx.Exec(ctx, `UPDATE s3_objects SET tags = ? WHERE bucket = ? AND object_key = ?`, enc, b.Name, id.Key)
		} else {
			n, err = tx.Exec(ctx, `UPDATE s3_objects SET tags = ? WHERE bucket = ? AND object_key = ? AND version_id = ?`, enc, b.Name, id.Key, id.VersionID)
			if err == nil && n == 0 {
				n, err = tx.Exec(ctx, `UPDATE s3_versions SET tags = ? WHERE bucket = ? AND object_key = ? AND version_id = ? AND delete_marker = 0`,
					enc, b.Name, id.Key, id.VersionID)
			}
		}
		if err != nil {
			return err
		}
		if n == 0 && id.VersionID != "" {
			return wrap(ErrNoSuchVersion, "The specified version does not exist.")
		}
		if n == 0 {
			return wrap(ErrNoSuchKey, "The specified key does not exist.")
		}
		return nil
	})
}

// PutBucketTagging replaces a bucket's tags; an empty set removes them.
func (s *Service) PutBucketTagging(ctx context.Context, bucket string, tags []Tag) error {
	b, err := s.Bucket(ctx, bucket, "s3:PutBucketTagging")
	if err != nil {
		return err
	}
	if err := checkBucketTags(tags); err != nil {
		return err
	}
	return s.setBucketTags(ctx, b, tags)
}

// GetBucketTagging returns a bucket's tags (NoSuchTagSet when it has none).
func (s *Service) GetBucketTagging(ctx context.Context, bucket string) ([]Tag, error) {
	b, err := s.Bucket(ctx, bucket, "s3:GetBucketTagging")
	if err != nil {
		return nil, err
	}
	tags, err := decodeTags(b.tags)
	if err != nil {
		return nil, err
	}
	if len(tags) == 0 {
		return nil, wrap(ErrNoSuchTagSet, "The TagSet does not exist")
	}
	return tags, nil
}

// DeleteBucketTagging removes a bucket's tags; removing none succeeds.
func (s *Service) DeleteBucketTagging(ctx context.Context, bucket string) error {
	b, err := s.Bucket(ctx, bucket, "s3:PutBucketTagging") // S3 has no s3:DeleteBucketTagging action
	if err != nil {
		return err
	}
	return s.setBucketTags(ctx, b, nil)
}

func (s *Service) setBucketTags(ctx context.Context, b *Bucket, tags []Tag) error {
	enc, err := encodeTags(tags)
	if err != nil {
		return err
	}
	return s.st.Update(ctx, func(tx store.Tx) error {
		if _, err := sameBucket(ctx, tx, b); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, `UPDATE s3_buckets SET tags = ? WHERE name = ?`, enc, b.Name)
		return err
	})
}
