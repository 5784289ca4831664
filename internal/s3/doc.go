// Package s3 is the S3 service: buckets and objects of every account of the
// region, persisted in the metadata store (tables s3_buckets, s3_objects,
// s3_uploads and s3_parts) with object bodies in the blob engine, or inline in the
// object's row when they are small (InlineMax).
//
// It owns S3's semantics: bucket naming and location rules, global bucket
// name uniqueness, the write path (stream to the engine while computing the
// MD5 ETag and the object's checksum, verify what the client declared, and
// only then commit the row in one transaction, so an object is visible only
// once it is complete and durable), conditional reads and writes, ranges,
// copy, multipart uploads (parts streamed to the engine like PUT bodies,
// assembled by CompleteMultipartUpload into an object whose row names its
// parts, read part by part), listing with delimiters and opaque
// continuation tokens, and the
// authorization of every operation with S3's action names and ARNs against
// the bucket owner's account and the bucket policy.
//
// It must never import net/http or the api packages (the wire binding lives
// in internal/api/s3), never buffer a body beyond InlineMax, never make an
// uncommitted object visible, and never treat a key as a file path: keys
// are opaque UTF-8 strings up to 1024 bytes.
package s3
