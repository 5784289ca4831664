// Package checksum implements the flexible checksum algorithms that the S3
// API and the AWS SDKs use for object integrity: CRC32 (IEEE), CRC32C
// (Castagnoli), CRC64NVME, SHA1 and SHA256.
//
// It owns the algorithm names exactly as they appear on the wire
// (x-amz-checksum-algorithm, x-amz-sdk-checksum-algorithm), the matching
// header names (x-amz-checksum-crc32 ...), the hash constructors and the
// base64 encoding AWS uses for checksum values. The sigv4 package uses it to
// verify aws-chunked trailers, and the S3 service to compute and store object
// checksums.
//
// It must never do I/O, hold per-request state, or know about HTTP beyond the
// header names. Its only package-level state is read-only lookup tables built
// at initialisation.
package checksum
