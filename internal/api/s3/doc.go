// Package s3 is the wire binding of S3 (rest-xml): bucket and key
// addressing (path style and virtual-hosted <bucket>.<domain>), bucket-name
// validation and S3's error body. Object operations arrive with the object
// store (#4); until then every well-addressed request is answered with
// NotImplemented, never with a pretend success.
//
// Keys are opaque strings: "../x" is a legal S3 key and must never be used
// as a file path by anything below this package.
package s3
