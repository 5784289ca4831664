// Package s3 is the wire binding of S3 (rest-xml): bucket and key
// addressing (path style and virtual-hosted <bucket>.<domain>), routing by
// method and query subresource to one small handler per operation, S3's
// headers (quoted ETag, RFC 1123 Last-Modified, Content-Range, checksums,
// x-amz-request-id) and XML documents, and one table from the service's
// sentinel errors to S3's codes (errors.go). Operations not implemented
// yet answer NotImplemented (501), never a pretend success.
//
// It owns no state and no S3 semantics beyond parsing: decisions (what
// exists, who may do what, conditions, ranges, digests) belong to
// internal/s3. Keys are opaque strings: "../x" is a legal S3 key and must
// never be used as a file path by anything below this package.
//
// Browser POST uploads (post.go, postform.go) read the multipart form in
// constant memory and hand its file to PutObject as a stream of known
// length; the form's signature is verified through a PostAuthenticator
// (the gateway, which keeps the secrets) and its policy document by
// internal/s3/postpolicy.
package s3
