package s3

import (
	"context"
	"time"

	"github.com/nimbuscloud/nimbus/internal/store"
)

// ObjectID names one object version: VersionID "" is the key's latest.
type ObjectID struct {
	Key, VersionID string
}

// deleteAction is the permission a delete needs: removing a version for
// good is s3:DeleteObjectVersion.
func deleteAction(versionID string) string {
	if versionID != "" {
		return "s3:DeleteObjectVersion"
	}
	return "s3:DeleteObject"
}

// DeleteObject deletes a key (its latest version: in a versioned bucket
// that adds a delete marker) or, with a version ID, that version for good.
// Deleting a missing key or version succeeds, as in S3.
func (s *Service) DeleteObject(ctx context.Context, bucket string, id ObjectID, opts DeleteOptions) (DeleteOutcome, error) {
	if err := checkKey(id.Key); err != nil {
		return DeleteOutcome{}, err
	}
	if id.VersionID != "" {
		if err := checkVersionID(id.VersionID); err != nil {
			return DeleteOutcome{}, err
		}
	}
	b, err := s.loadBucket(ctx, bucket)
	if err != nil {
		return DeleteOutcome{}, err
	}
	existing, err := s.existingTags(ctx, b, id.Key)
	if err != nil {
		return DeleteOutcome{}, err
	}
	if err := s.authorize(ctx, b, deleteAction(id.VersionID), ObjectARN(bucket, id.Key), existingTagKeys(existing)); err != nil {
		return DeleteOutcome{}, err
	}
	var out DeleteOutcome
	var rel releases
	err = s.st.Update(ctx, func(tx store.Tx) error {
		cur, err := sameBucket(ctx, tx, b)
		if err != nil {
			return err
		}
		out, rel, err = s.deleteOne(ctx, tx, cur, id, opts)
		return err
	})
	if err != nil {
		return DeleteOutcome{}, err
	}
	s.releaseAll(ctx, rel)
	return out, nil
}

// DeleteOptions are a delete's object lock overrides.
type DeleteOptions struct {
	// BypassGovernance is x-amz-bypass-governance-retention: true, which
	// also needs s3:BypassGovernanceRetention.
	BypassGovernance bool
}

// deleteOne deletes one key or version in tx.
func (s *Service) deleteOne(ctx context.Context, tx store.Tx, cur *Bucket, id ObjectID, opts DeleteOptions) (DeleteOutcome, releases, error) {
	if id.VersionID == "" {
		return deleteLatest(ctx, tx, cur, id.Key, s.now().UTC().Truncate(time.Millisecond))
	}
	if err := s.checkLockedDelete(ctx, tx, cur, id, opts); err != nil {
		return DeleteOutcome{}, nil, err
	}
	found, marker, old, err := removeVersion(ctx, tx, cur.Name, id.Key, id.VersionID)
	if err != nil {
		return DeleteOutcome{}, nil, err
	}
	var rel releases
	rel.add(old)
	out := DeleteOutcome{VersionID: id.VersionID}
	if found {
		out.DeleteMarker = marker
	}
	return out, rel, nil
}

// releaseAll releases what a committed change stopped naming.
func (s *Service) releaseAll(ctx context.Context, rel releases) {
	for _, r := range rel {
		s.release(ctx, r)
	}
}

// DeleteResult is one key's outcome in DeleteObjects.
type DeleteResult struct {
	ObjectID
	DeleteOutcome
	Err error // nil when deleted (or already absent)
}

// DeleteObjects deletes up to 1000 keys or versions, each authorized on
// its own, in one transaction.
func (s *Service) DeleteObjects(ctx context.Context, bucket string, ids []ObjectID, opts DeleteOptions) ([]DeleteResult, error) {
	if len(ids) > 1000 {
		return nil, wrap(ErrInvalidRequest, "The request must contain no more than 1000 keys")
	}
	b, err := s.loadBucket(ctx, bucket)
	if err != nil {
		return nil, err
	}
	out := make([]DeleteResult, len(ids))
	var todo []int
	for i, id := range ids {
		out[i].ObjectID = id
		if err := checkKey(id.Key); err != nil {
			out[i].Err = err
			continue
		}
		if id.VersionID != "" {
			if err := checkVersionID(id.VersionID); err != nil {
				out[i].Err = err
				continue
			}
		}
		if err := s.authorize(ctx, b, deleteAction(id.VersionID), ObjectARN(bucket, id.Key), nil); err != nil {
			out[i].Err = err
			continue
		}
		todo = append(todo, i)
	}
	var rel releases
	err = s.st.Update(ctx, func(tx store.Tx) error {
		rel = rel[:0]
		cur, err := sameBucket(ctx, tx, b)
		if err != nil {
			return err
		}
		for _, i := range todo {
			o, r, err := s.deleteOne(ctx, tx, cur, ids[i], opts)
			if isClientError(err) {
				out[i].Err = err // refused (object lock): the others go on
				continue
			}
			if err != nil {
				return err
			}
			out[i].DeleteOutcome, out[i].Err = o, nil
			rel = append(rel, r...)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	s.releaseAll(ctx, rel)
	return out, nil
}
