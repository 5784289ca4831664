package s3

import "github.com/nimbuscloud/nimbus/internal/store"

// Schema is S3's tables. Bucket names are global to the region (primary
// key). An object row is the current version of a key (see
// versionsMigration for the others); its body is either inline (small objects) or in the blob engine,
// named by blob_ref (the engine's marshalled Ref) and blob_id (its ID, for
// the scrubber's liveness checks). Keys compare in byte order, which is
// S3's UTF-8 binary listing order (PostgreSQL databases use LC_COLLATE=C).
// Times are unix milliseconds.
//
// Multipart (version 2): an in-progress upload is a row of s3_uploads
// (what the final object will carry) and its parts are rows of s3_parts,
// keyed by the upload ID, each naming its own engine blob (or inline
// body). CompleteMultipartUpload, in one transaction, deletes the upload
// row and the parts it did not list, records each listed part's offset in
// the object, and writes the object row with multipart_id = the upload ID
// and parts_count: the part rows then belong to the object, which has no
// blob of its own. Replacing or deleting the object deletes its part rows
// in the same transaction and their blobs after the commit.
//
// CORS (version 3): a bucket's CORS rules are JSON in s3_buckets.cors
// ("" when it has none).
//
// Tagging (version 4): tags are JSON lists of {"Key","Value"} ("" when
// none) in a tags column of the row they belong to: s3_objects (so an
// object's tags are replaced or deleted with its row, in the same
// statement), s3_uploads (the tags the completed object will carry) and
// s3_buckets.
func Schema() store.Schema {
	return store.Schema{Component: "s3", Migrations: []store.Migration{{
		Version: 1,
		Name:    "buckets objects",
		SQL: `
CREATE TABLE s3_buckets (
	name       TEXT NOT NULL PRIMARY KEY,
	account_id TEXT NOT NULL,
	region     TEXT NOT NULL,
	created_at BIGINT NOT NULL,
	versioning TEXT NOT NULL DEFAULT '',
	policy     TEXT NOT NULL DEFAULT ''
);
CREATE INDEX s3_buckets_by_account ON s3_buckets(account_id, name);
CREATE TABLE s3_objects (
	bucket              TEXT NOT NULL REFERENCES s3_buckets(name),
	object_key          TEXT NOT NULL,
	size                BIGINT NOT NULL,
	etag                TEXT NOT NULL,
	content_type        TEXT NOT NULL DEFAULT '',
	content_encoding    TEXT NOT NULL DEFAULT '',
	content_disposition TEXT NOT NULL DEFAULT '',
	content_language    TEXT NOT NULL DEFAULT '',
	cache_control       TEXT NOT NULL DEFAULT '',
	expires             TEXT NOT NULL DEFAULT '',
	metadata            TEXT NOT NULL DEFAULT '',
	checksum_alg        TEXT NOT NULL DEFAULT '',
	checksum            TEXT NOT NULL DEFAULT '',
	storage_class       TEXT NOT NULL,
	modified_at         BIGINT NOT NULL,
	blob_id             TEXT,
	blob_ref            BLOB,
	inline_body         BLOB,
	PRIMARY KEY (bucket, object_key)
);
CREATE INDEX s3_objects_by_blob ON s3_objects(blob_id);
`,
	}, {
		Version: 2,
		Name:    "multipart uploads",
		SQL: `
ALTER TABLE s3_objects ADD COLUMN multipart_id TEXT;
ALTER TABLE s3_objects ADD COLUMN parts_count INTEGER NOT NULL DEFAULT 0;
CREATE INDEX s3_objects_by_multipart ON s3_objects(multipart_id);
CREATE TABLE s3_uploads (
	upload_id           TEXT NOT NULL PRIMARY KEY,
	bucket              TEXT NOT NULL,
	object_key          TEXT NOT NULL,
	initiator           TEXT NOT NULL,
	initiated_at        BIGINT NOT NULL,
	content_type        TEXT NOT NULL DEFAULT '',
	content_encoding    TEXT NOT NULL DEFAULT '',
	content_disposition TEXT NOT NULL DEFAULT '',
	content_language    TEXT NOT NULL DEFAULT '',
	cache_control       TEXT NOT NULL DEFAULT '',
	expires             TEXT NOT NULL DEFAULT '',
	metadata            TEXT NOT NULL DEFAULT '',
	checksum_alg        TEXT NOT NULL DEFAULT '',
	checksum_type       TEXT NOT NULL DEFAULT '',
	storage_class       TEXT NOT NULL
);
CREATE INDEX s3_uploads_by_key ON s3_uploads(bucket, object_key, upload_id);
CREATE TABLE s3_parts (
	upload_id    TEXT NOT NULL,
	part_number  INTEGER NOT NULL,
	size         BIGINT NOT NULL,
	etag         TEXT NOT NULL,
	checksum_alg TEXT NOT NULL DEFAULT '',
	checksum     TEXT NOT NULL DEFAULT '',
	modified_at  BIGINT NOT NULL,
	part_offset  BIGINT NOT NULL DEFAULT 0,
	blob_id      TEXT,
	blob_ref     BLOB,
	inline_body  BLOB,
	PRIMARY KEY (upload_id, part_number)
);
CREATE INDEX s3_parts_by_blob ON s3_parts(blob_id);
`,
	}, {
		Version: 3,
		Name:    "bucket cors",
		SQL: `
ALTER TABLE s3_buckets ADD COLUMN cors TEXT NOT NULL DEFAULT '';
`,
	}, {
		Version: 4,
		Name:    "tagging",
		SQL: `
ALTER TABLE s3_objects ADD COLUMN tags TEXT NOT NULL DEFAULT '';
ALTER TABLE s3_uploads ADD COLUMN tags TEXT NOT NULL DEFAULT '';
ALTER TABLE s3_buckets ADD COLUMN tags TEXT NOT NULL DEFAULT '';
`,
	}, versionsMigration(), accessMigration()}}
}
