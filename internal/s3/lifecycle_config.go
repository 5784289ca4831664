package s3

import (
	"context"

	"github.com/nimbuscloud/nimbus/internal/s3/lifecycle"
	"github.com/nimbuscloud/nimbus/internal/store"
)

// PutBucketLifecycle validates a lifecycle configuration document and
// stores it (as lifecycle.Marshal writes it back, with generated rule IDs)
// for the lifecycle worker. Its errors are *lifecycle.Error.
func (s *Service) PutBucketLifecycle(ctx context.Context, bucket string, doc []byte) error {
	b, err := s.Bucket(ctx, bucket, "s3:PutLifecycleConfiguration")
	if err != nil {
		return err
	}
	cfg, err := lifecycle.Parse(doc)
	if err != nil {
		return err
	}
	norm, err := cfg.Marshal()
	if err != nil {
		return err
	}
	return s.setLifecycle(ctx, b, string(norm))
}

func (s *Service) setLifecycle(ctx context.Context, b *Bucket, doc string) error {
	return s.st.Update(ctx, func(tx store.Tx) error {
		if _, err := sameBucket(ctx, tx, b); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, `UPDATE s3_buckets SET lifecycle = ? WHERE name = ?`, doc, b.Name)
		return err
	})
}

// GetBucketLifecycle returns a bucket's stored lifecycle configuration.
func (s *Service) GetBucketLifecycle(ctx context.Context, bucket string) ([]byte, error) {
	b, err := s.Bucket(ctx, bucket, "s3:GetLifecycleConfiguration")
	if err != nil {
		return nil, err
	}
	if b.Lifecycle == "" {
		return nil, wrap(ErrNoSuchLifecycle, "The lifecycle configuration does not exist")
	}
	return []byte(b.Lifecycle), nil
}

// DeleteBucketLifecycle removes a bucket's lifecycle configuration (S3
// authorizes it as s3:PutLifecycleConfiguration).
func (s *Service) DeleteBucketLifecycle(ctx context.Context, bucket string) error {
	b, err := s.Bucket(ctx, bucket, "s3:PutLifecycleConfiguration")
	if err != nil {
		return err
	}
	return s.setLifecycle(ctx, b, "")
}
