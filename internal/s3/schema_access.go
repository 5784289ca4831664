package s3

import "github.com/nimbuscloud/nimbus/internal/store"

// accessMigration (schema version 6) adds a bucket's Block Public Access
// configuration, Object Ownership and canned ACL, as columns of its row:
//
//   - public_access_block: the configuration as JSON, "" when the bucket
//     has none. Buckets created from now on get all four settings on (S3's
//     default since April 2023); buckets that existed before this
//     migration get none, so public policies they already rely on keep
//     working, as S3 left older buckets alone.
//   - object_ownership: BucketOwnerEnforced, BucketOwnerPreferred,
//     ObjectWriter, or "" once DeleteBucketOwnershipControls removed it.
//     Existing buckets get BucketOwnerEnforced, which is how they behaved
//     (ACLs were refused).
//   - acl: the bucket's canned ACL, "" for private (the owner's
//     FULL_CONTROL alone); only buckets with ACLs enabled have another.
//
// Object ACLs are not stored: every object is owned by the bucket owner
// and the only object ACLs accepted amount to its FULL_CONTROL.
func accessMigration() store.Migration {
	return store.Migration{
		Version: 6,
		Name:    "public access block object ownership acl",
		SQL: `
ALTER TABLE s3_buckets ADD COLUMN public_access_block TEXT NOT NULL DEFAULT '';
ALTER TABLE s3_buckets ADD COLUMN object_ownership TEXT NOT NULL DEFAULT 'BucketOwnerEnforced';
ALTER TABLE s3_buckets ADD COLUMN acl TEXT NOT NULL DEFAULT '';
`,
	}
}
