package s3

import "github.com/nimbuscloud/nimbus/internal/store"

// versionsMigration (schema version 5) adds versioning, and the per-version
// columns object lock and server-side encryption need, in one step.
//
// s3_objects keeps one row per key: its latest version when that is an
// object (never a delete marker), so reads and listings of current objects
// are unchanged. Every other version (noncurrent versions, and delete
// markers whether latest or not) is a row of s3_versions. Within a key,
// versions are ordered by seq (larger is newer): when s3_objects has a row
// for the key its seq is the largest; otherwise the latest version is the
// s3_versions row with the largest seq, a delete marker. version_id is
// "null" for versions written while the bucket was unversioned or
// suspended. noncurrent_since (unix ms) is when a version stopped being
// the latest, for lifecycle's NoncurrentDays; 0 while latest.
//
// lock_mode ("" | GOVERNANCE | COMPLIANCE), lock_until (unix ms) and
// legal_hold are object lock's per-version retention. sse ("" | AES256 |
// SSE-C) names the body's server-side encryption, sse_key its wrapped data
// key and sse_key_md5 the SSE-C key's MD5 (base64) echoed to clients;
// s3_parts.sse_key is each part's own wrapped data key.
//
// On s3_buckets: object_lock is the bucket's object lock configuration
// (JSON, "" when object lock is not enabled), lifecycle its lifecycle
// configuration (XML as accepted, "" when none) and encryption its default
// encryption configuration (JSON, "" for the default SSE-S3).
func versionsMigration() store.Migration {
	return store.Migration{
		Version: 5,
		Name:    "versioning lock encryption",
		SQL: `
ALTER TABLE s3_objects ADD COLUMN version_id TEXT NOT NULL DEFAULT 'null';
ALTER TABLE s3_objects ADD COLUMN seq BIGINT NOT NULL DEFAULT 0;
ALTER TABLE s3_objects ADD COLUMN lock_mode TEXT NOT NULL DEFAULT '';
ALTER TABLE s3_objects ADD COLUMN lock_until BIGINT NOT NULL DEFAULT 0;
ALTER TABLE s3_objects ADD COLUMN legal_hold INTEGER NOT NULL DEFAULT 0;
ALTER TABLE s3_objects ADD COLUMN sse TEXT NOT NULL DEFAULT '';
ALTER TABLE s3_objects ADD COLUMN sse_key BLOB;
ALTER TABLE s3_objects ADD COLUMN sse_key_md5 TEXT NOT NULL DEFAULT '';
ALTER TABLE s3_uploads ADD COLUMN lock_mode TEXT NOT NULL DEFAULT '';
ALTER TABLE s3_uploads ADD COLUMN lock_until BIGINT NOT NULL DEFAULT 0;
ALTER TABLE s3_uploads ADD COLUMN legal_hold INTEGER NOT NULL DEFAULT 0;
ALTER TABLE s3_uploads ADD COLUMN sse TEXT NOT NULL DEFAULT '';
ALTER TABLE s3_uploads ADD COLUMN sse_key BLOB;
ALTER TABLE s3_uploads ADD COLUMN sse_key_md5 TEXT NOT NULL DEFAULT '';
ALTER TABLE s3_parts ADD COLUMN sse_key BLOB;
ALTER TABLE s3_buckets ADD COLUMN object_lock TEXT NOT NULL DEFAULT '';
ALTER TABLE s3_buckets ADD COLUMN lifecycle TEXT NOT NULL DEFAULT '';
ALTER TABLE s3_buckets ADD COLUMN encryption TEXT NOT NULL DEFAULT '';
CREATE TABLE s3_versions (
	bucket              TEXT NOT NULL REFERENCES s3_buckets(name),
	object_key          TEXT NOT NULL,
	seq                 BIGINT NOT NULL,
	version_id          TEXT NOT NULL,
	delete_marker       INTEGER NOT NULL DEFAULT 0,
	noncurrent_since    BIGINT NOT NULL DEFAULT 0,
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
	multipart_id        TEXT,
	parts_count         INTEGER NOT NULL DEFAULT 0,
	tags                TEXT NOT NULL DEFAULT '',
	lock_mode           TEXT NOT NULL DEFAULT '',
	lock_until          BIGINT NOT NULL DEFAULT 0,
	legal_hold          INTEGER NOT NULL DEFAULT 0,
	sse                 TEXT NOT NULL DEFAULT '',
	sse_key             BLOB,
	sse_key_md5         TEXT NOT NULL DEFAULT '',
	PRIMARY KEY (bucket, object_key, seq)
);
CREATE UNIQUE INDEX s3_versions_by_id ON s3_versions(bucket, object_key, version_id);
CREATE INDEX s3_versions_by_blob ON s3_versions(blob_id);
CREATE INDEX s3_versions_by_multipart ON s3_versions(multipart_id);
`,
	}
}
