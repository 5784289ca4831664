package s3

import (
	"context"
	"errors"
	"fmt"
	"net"
	"regexp"
	"strings"
	"time"

	"github.com/nimbuscloud/nimbus/internal/store"
)

// Bucket is a bucket's row.
type Bucket struct {
	Name      string
	AccountID string
	Region    string
	Created   time.Time
	Policy    string
	// Versioning is "" (never enabled), "Enabled" or "Suspended".
	Versioning string
	// ObjectLock is the object lock configuration (JSON), "" when object
	// lock is not enabled; Lifecycle the lifecycle configuration (XML).
	ObjectLock string
	Lifecycle  string
	tags       string // the encoded bucket tags, "" when none
	// Block Public Access (JSON, "" when none), Object Ownership ("" when
	// none) and the canned ACL ("" for private): see access.go.
	publicAccessBlock, ownership, acl string
}

// CheckBucketName applies S3's naming rules for general purpose buckets:
// 3-63 characters of lower-case letters, digits, '.' and '-', starting and
// ending with a letter or digit, no "..", not shaped like an IP address,
// and none of the reserved prefixes and suffixes. The error wraps
// ErrInvalidBucketName.
func CheckBucketName(b string) error {
	bad := func(why string) error { return wrap(ErrInvalidBucketName, "The specified bucket is not valid: "+why) }
	if len(b) < 3 || len(b) > 63 {
		return bad("bucket names must be between 3 and 63 characters long")
	}
	for i := 0; i < len(b); i++ {
		c := b[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '.' || c == '-') {
			return bad("bucket names may contain only lower-case letters, digits, dots and hyphens")
		}
	}
	if !alnum(b[0]) || !alnum(b[len(b)-1]) {
		return bad("bucket names must begin and end with a letter or digit")
	}
	if strings.Contains(b, "..") {
		return bad("bucket names must not contain two adjacent periods")
	}
	if net.ParseIP(b) != nil {
		return bad("bucket names must not be formatted as an IP address")
	}
	for _, p := range []string{"xn--", "sthree-", "amzn-s3-demo-"} {
		if strings.HasPrefix(b, p) {
			return bad("bucket names must not start with " + p)
		}
	}
	for _, s := range []string{"-s3alias", "--ol-s3", ".mrap", "--x-s3", "--table-s3"} {
		if strings.HasSuffix(b, s) {
			return bad("bucket names must not end with " + s)
		}
	}
	return nil
}

func alnum(c byte) bool { return c >= 'a' && c <= 'z' || c >= '0' && c <= '9' }

var regionRE = regexp.MustCompile(`^[a-z]{2}(-gov|-iso[a-z]*)?-[a-z]+-[0-9]+$`)

// checkLocation applies S3's LocationConstraint rules for a regional
// endpoint: the constraint must name this region, except that us-east-1
// is the empty constraint (and naming it explicitly is invalid).
func (s *Service) checkLocation(lc string) error {
	switch {
	case lc == "" && s.region == "us-east-1":
		return nil
	case lc == "":
		return wrap(ErrIllegalLocation, "The unspecified location constraint is incompatible for the region specific endpoint this request was sent to.")
	case lc == s.region && lc != "us-east-1":
		return nil
	case lc == "us-east-1" || (lc != "EU" && !regionRE.MatchString(lc)):
		return wrap(ErrInvalidLocation, "The specified location-constraint is not valid")
	default:
		return wrap(ErrIllegalLocation, "The "+lc+" location constraint is incompatible for the region specific endpoint this request was sent to.")
	}
}

// CreateBucket creates a bucket owned by the caller's account in this
// region, with S3's defaults: BucketOwnerEnforced and all of Block Public
// Access on. In us-east-1, creating a bucket the caller already owns
// succeeds (S3's legacy behaviour); elsewhere it is BucketAlreadyOwnedByYou.
func (s *Service) CreateBucket(ctx context.Context, name, locationConstraint string) error {
	return s.CreateBucketWithAccess(ctx, name, locationConstraint, BucketAccess{})
}

// CreateBucketWithAccess is CreateBucket with the request's Object
// Ownership and ACL (see newBucketAccess).
func (s *Service) CreateBucketWithAccess(ctx context.Context, name, locationConstraint string, access BucketAccess) error {
	if err := CheckBucketName(name); err != nil {
		return err
	}
	acct, err := callerAccount(ctx)
	if err != nil {
		return err
	}
	if err := s.authz.AuthorizeWithPolicy(ctx, "s3:CreateBucket", BucketARN(name), acct, "", nil); err != nil {
		return err
	}
	ownership, acl, err := s.newBucketAccess(ctx, name, acct, access)
	if err != nil {
		return err
	}
	versioning, lock := "", ""
	if access.ObjectLock {
		if err := s.authz.AuthorizeWithPolicy(ctx, "s3:PutBucketObjectLockConfiguration", BucketARN(name), acct, "", nil); err != nil {
			return err
		}
		versioning, lock = VersioningEnabled, `{"enabled":true}`
	}
	if err := s.checkLocation(locationConstraint); err != nil {
		return err
	}
	now := s.now().UnixMilli()
	return s.st.Update(ctx, func(tx store.Tx) error {
		n, err := tx.Exec(ctx, `INSERT INTO s3_buckets (name, account_id, region, created_at, public_access_block, object_ownership, acl, versioning, object_lock)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (name) DO NOTHING`, name, acct, s.region, now, encodePublicAccess(newBucketPublicAccess), ownership, acl,
			versioning, lock)
		if err != nil || n == 1 {
			return err
		}
		var owner string
		if err := tx.QueryRow(ctx, `SELECT account_id FROM s3_buckets WHERE name = ?`, name).Scan(&owner); err != nil {
			return err
		}
		switch {
		case owner != acct:
			return wrap(ErrBucketAlreadyExists, "The requested bucket name is not available. The bucket namespace is shared by all users of the system. Please select a different name and try again.")
		case s.region == "us-east-1":
			return nil
		default:
			return wrap(ErrBucketAlreadyOwnedByYou, "Your previous request to create the named bucket succeeded and you already own it.")
		}
	})
}

// getBucket reads a bucket's row in tx.
func getBucket(ctx context.Context, tx store.Tx, name string) (*Bucket, error) {
	b := &Bucket{Name: name}
	var created int64
	err := tx.QueryRow(ctx, `SELECT `+bucketColumns+` FROM s3_buckets b WHERE b.name = ?`, name).Scan(b.dest(&created)...)
	if errors.Is(err, store.ErrNotFound) {
		return nil, noSuchBucket()
	}
	if err != nil {
		return nil, err
	}
	b.Created = time.UnixMilli(created).UTC()
	return b, nil
}

// bucketColumns are the s3_buckets columns a Bucket holds (b.dest's
// order), qualified by the table alias b.
const bucketColumns = `b.account_id, b.region, b.created_at, b.policy, b.tags, b.versioning, b.object_lock, b.lifecycle,
b.public_access_block, b.object_ownership, b.acl`

// dest is the Scan destinations of bucketColumns, the creation time into
// created.
func (b *Bucket) dest(created *int64) []any {
	return []any{&b.AccountID, &b.Region, created, &b.Policy, &b.tags, &b.Versioning, &b.ObjectLock, &b.Lifecycle,
		&b.publicAccessBlock, &b.ownership, &b.acl}
}

// sameBucket reads a bucket's row in tx and confirms it is the bucket b
// that was read (and authorized against) before the transaction: the same
// owner and creation time. A bucket deleted and re-created under the same
// name meanwhile, possibly by another account, is another bucket, so a
// commit against it fails with NoSuchBucket.
func sameBucket(ctx context.Context, tx store.Tx, b *Bucket) (*Bucket, error) {
	cur, err := getBucket(ctx, tx, b.Name)
	if err != nil {
		return nil, err
	}
	if cur.AccountID != b.AccountID || !cur.Created.Equal(b.Created) {
		return nil, noSuchBucket()
	}
	return cur, nil
}

func noSuchBucket() error { return wrap(ErrNoSuchBucket, "The specified bucket does not exist") }

// loadBucket reads a bucket.
func (s *Service) loadBucket(ctx context.Context, name string) (*Bucket, error) {
	var b *Bucket
	err := s.st.View(ctx, func(tx store.Tx) error {
		var err error
		b, err = getBucket(ctx, tx, name)
		return err
	})
	return b, err
}

// authorize decides action on resource of bucket b, with its policy as
// Block Public Access and its ACL make it (resourcePolicy), and refuses
// object writes S3 would give another account's ownership of (checkWriter).
func (s *Service) authorize(ctx context.Context, b *Bucket, action, resource string, keys map[string][]string) error {
	if err := s.authz.AuthorizeWithPolicy(ctx, action, resource, b.AccountID, b.resourcePolicy(ctx), keys); err != nil {
		return err
	}
	return b.checkWriter(ctx, action)
}

// Bucket returns a bucket after authorizing action (an S3 action name such
// as s3:ListBucket for HeadBucket, s3:GetBucketLocation, s3:GetBucketAcl)
// on it. It serves HeadBucket and the bucket configuration reads.
func (s *Service) Bucket(ctx context.Context, name, action string) (*Bucket, error) {
	if err := CheckBucketName(name); err != nil {
		return nil, err
	}
	b, err := s.loadBucket(ctx, name)
	if err != nil {
		return nil, err
	}
	if err := s.authorize(ctx, b, action, BucketARN(name), nil); err != nil {
		return nil, err
	}
	return b, nil
}

// DeleteBucket deletes an empty bucket. Its in-progress multipart uploads
// (which do not make it non-empty, as in S3) are aborted in the same
// transaction and their parts' blobs deleted after it.
func (s *Service) DeleteBucket(ctx context.Context, name string) error {
	if _, err := s.Bucket(ctx, name, "s3:DeleteBucket"); err != nil {
		return err
	}
	var parts []Blob
	err := s.st.Update(ctx, func(tx store.Tx) error {
		parts = nil
		if _, err := getBucket(ctx, tx, name); err != nil {
			return err
		}
		var one int
		err := tx.QueryRow(ctx, `SELECT 1 FROM s3_objects WHERE bucket = ? LIMIT 1`, name).Scan(&one)
		if errors.Is(err, store.ErrNotFound) {
			err = tx.QueryRow(ctx, `SELECT 1 FROM s3_versions WHERE bucket = ? LIMIT 1`, name).Scan(&one)
		}
		if err == nil {
			return wrap(ErrBucketNotEmpty, "The bucket you tried to delete is not empty")
		}
		if !errors.Is(err, store.ErrNotFound) {
			return err
		}
		var uploads []string
		rows, err := tx.Query(ctx, `SELECT upload_id FROM s3_uploads WHERE bucket = ?`, name)
		if err != nil {
			return err
		}
		for rows.Next() {
			var id string
			if err := rows.Scan(&id); err != nil {
				rows.Close()
				return err
			}
			uploads = append(uploads, id)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		for _, id := range uploads {
			if parts, err = deleteParts(ctx, tx, id, parts); err != nil {
				return err
			}
		}
		if _, err := tx.Exec(ctx, `DELETE FROM s3_uploads WHERE bucket = ?`, name); err != nil {
			return err
		}
		_, err = tx.Exec(ctx, `DELETE FROM s3_buckets WHERE name = ?`, name)
		return err
	})
	if err != nil {
		return err
	}
	s.deleteBlobs(ctx, parts)
	return nil
}

// ListBuckets returns the caller's buckets in name order.
func (s *Service) ListBuckets(ctx context.Context) (owner string, buckets []Bucket, err error) {
	acct, err := callerAccount(ctx)
	if err != nil {
		return "", nil, err
	}
	if err := s.authz.AuthorizeWithPolicy(ctx, "s3:ListAllMyBuckets", "*", acct, "", nil); err != nil {
		return "", nil, err
	}
	err = s.st.View(ctx, func(tx store.Tx) error {
		buckets = buckets[:0]
		rows, err := tx.Query(ctx, `SELECT name, region, created_at FROM s3_buckets WHERE account_id = ? ORDER BY name`, acct)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			b := Bucket{AccountID: acct}
			var created int64
			if err := rows.Scan(&b.Name, &b.Region, &created); err != nil {
				return err
			}
			b.Created = time.UnixMilli(created).UTC()
			buckets = append(buckets, b)
		}
		return rows.Err()
	})
	if err != nil {
		return "", nil, fmt.Errorf("list buckets: %w", err)
	}
	return acct, buckets, nil
}
