package s3

import "github.com/nimbuscloud/nimbus/internal/store"

// Schema is S3's tables. Bucket names are global to the region (primary
// key). An object row is the current (only, until versioning) version of a
// key; its body is either inline (small objects) or in the blob engine,
// named by blob_ref (the engine's marshalled Ref) and blob_id (its ID, for
// the scrubber's liveness checks). Keys compare in byte order, which is
// S3's UTF-8 binary listing order (PostgreSQL databases use LC_COLLATE=C).
// Times are unix milliseconds.
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
	}}}
}
