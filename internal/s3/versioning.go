package s3

import (
	"context"

	"github.com/nimbuscloud/nimbus/internal/store"
)

// PutBucketVersioning sets a bucket's versioning state: Enabled or
// Suspended (a bucket never returns to unversioned). MFA delete is not
// supported; a bucket with object lock stays Enabled.
func (s *Service) PutBucketVersioning(ctx context.Context, bucket, status, mfaDelete string) error {
	if status != VersioningEnabled && status != VersioningSuspended {
		return wrap(ErrIllegalVersioning, "The Versioning element must be specified")
	}
	switch mfaDelete {
	case "", "Disabled":
	case "Enabled":
		return wrap(ErrNotImplementedHeader, "MFA delete is not supported by this server")
	default:
		return wrap(ErrMalformedXML, "MfaDelete must be Enabled or Disabled")
	}
	b, err := s.Bucket(ctx, bucket, "s3:PutBucketVersioning")
	if err != nil {
		return err
	}
	return s.st.Update(ctx, func(tx store.Tx) error {
		cur, err := sameBucket(ctx, tx, b)
		if err != nil {
			return err
		}
		if cur.ObjectLock != "" && status != VersioningEnabled {
			return wrap(ErrInvalidBucketState, "An Object Lock configuration is present on this bucket, so the versioning state cannot be changed.")
		}
		_, err = tx.Exec(ctx, `UPDATE s3_buckets SET versioning = ? WHERE name = ?`, status, bucket)
		return err
	})
}

// GetBucketVersioning returns a bucket's versioning state, "" when it was
// never enabled.
func (s *Service) GetBucketVersioning(ctx context.Context, bucket string) (string, error) {
	b, err := s.Bucket(ctx, bucket, "s3:GetBucketVersioning")
	if err != nil {
		return "", err
	}
	return b.Versioning, nil
}
