package sigv4

import (
	"errors"
	"fmt"
)

// Sentinel errors. Every error this package returns wraps exactly one of
// them (test with errors.Is); the router maps them to each service's AWS
// error code. Messages after the sentinel text are safe to show clients.
var (
	// ErrNoAuth: no Authorization header and no presigned query. The router
	// treats the request as anonymous.
	ErrNoAuth = errors.New("sigv4: request is not signed")

	// ErrIncompleteSignature: a required part of the signature (Credential,
	// SignedHeaders, Signature, a presign query parameter, the request date)
	// is missing.
	ErrIncompleteSignature = errors.New("sigv4: incomplete signature")

	// ErrMalformedAuth: a part is present but invalid: the credential scope,
	// the date, the signed header list, the signature encoding, X-Amz-Expires,
	// host not signed, scope date not the X-Amz-Date day, both header and
	// query authentication, a query string that does not decode.
	ErrMalformedAuth = errors.New("sigv4: malformed authorization")

	// ErrUnsupportedAlgorithm: an AWS4 algorithm other than AWS4-HMAC-SHA256
	// (SigV4a's AWS4-ECDSA-P256-SHA256) or an unknown scheme.
	ErrUnsupportedAlgorithm = errors.New("sigv4: unsupported signing algorithm")

	// ErrSigV2: a Signature Version 2 request, which nimbus does not accept.
	ErrSigV2 = errors.New("sigv4: signature version 2 is not supported")

	// ErrSignatureMismatch: the computed signature differs from the one
	// sent. The returned error is a *SignatureMismatchError.
	ErrSignatureMismatch = errors.New("sigv4: signature does not match")

	// ErrUnsignedHeader: an x-amz-* header is present but not signed.
	ErrUnsignedHeader = errors.New("sigv4: x-amz-* header present but not signed")

	// ErrRequestTimeTooSkewed: a header-signed request's date is more than
	// MaxSkew from the server clock.
	ErrRequestTimeTooSkewed = errors.New("sigv4: request time too skewed")

	// ErrRequestExpired: a presigned request is past X-Amz-Date + X-Amz-Expires.
	ErrRequestExpired = errors.New("sigv4: request has expired")

	// ErrRequestNotYetValid: a presigned request is dated more than MaxSkew
	// in the future.
	ErrRequestNotYetValid = errors.New("sigv4: request is not yet valid")

	// ErrMissingContentSHA256: a streamed (S3) request signed in the header
	// without x-amz-content-sha256.
	ErrMissingContentSHA256 = errors.New("sigv4: missing x-amz-content-sha256")

	// ErrInvalidContentSHA256: x-amz-content-sha256 is neither a hex SHA-256
	// nor a payload mode accepted by the calling method.
	ErrInvalidContentSHA256 = errors.New("sigv4: invalid x-amz-content-sha256")

	// ErrContentSHA256Mismatch: the payload's SHA-256 differs from
	// x-amz-content-sha256.
	ErrContentSHA256Mismatch = errors.New("sigv4: payload does not match x-amz-content-sha256")

	// ErrMalformedChunk: the aws-chunked framing is broken: a bad size line,
	// a chunk over the size limit, missing CRLF, a truncated stream, bytes
	// after the end.
	ErrMalformedChunk = errors.New("sigv4: malformed aws-chunked body")

	// ErrChunkSignatureMismatch: a chunk or trailer signature is wrong.
	ErrChunkSignatureMismatch = errors.New("sigv4: chunk signature does not match")

	// ErrMalformedTrailer: x-amz-trailer names something other than a
	// checksum, or the trailer section is missing, undeclared, duplicated or
	// oversized.
	ErrMalformedTrailer = errors.New("sigv4: malformed trailer")

	// ErrBadDigest: a trailing checksum differs from the decoded payload.
	ErrBadDigest = errors.New("sigv4: checksum does not match payload")

	// ErrDecodedLengthMismatch: the decoded payload length differs from
	// x-amz-decoded-content-length.
	ErrDecodedLengthMismatch = errors.New("sigv4: decoded length does not match x-amz-decoded-content-length")
)

// SignatureMismatchError is returned for ErrSignatureMismatch. It carries
// what the server signed, for debug logs and for S3's error body (which
// echoes StringToSign and CanonicalRequest). Neither contains the secret.
type SignatureMismatchError struct {
	CanonicalRequest string
	StringToSign     string
}

func (e *SignatureMismatchError) Error() string { return ErrSignatureMismatch.Error() }

// Is makes errors.Is(err, ErrSignatureMismatch) true.
func (e *SignatureMismatchError) Is(target error) bool { return target == ErrSignatureMismatch }

// wrap returns sentinel annotated with a formatted detail.
func wrap(sentinel error, format string, args ...any) error {
	return fmt.Errorf("%w: %s", sentinel, fmt.Sprintf(format, args...))
}
