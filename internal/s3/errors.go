package s3

import "errors"

// Sentinel errors. Each is wrapped as fmt.Errorf("%w: <client message>")
// and mapped to S3's code in internal/api/s3's one table.
var (
	ErrNoSuchBucket             = errors.New("no such bucket")
	ErrNoSuchKey                = errors.New("no such key")
	ErrBucketAlreadyExists      = errors.New("bucket already exists")
	ErrBucketAlreadyOwnedByYou  = errors.New("bucket already owned by you")
	ErrBucketNotEmpty           = errors.New("bucket not empty")
	ErrInvalidBucketName        = errors.New("invalid bucket name")
	ErrInvalidLocation          = errors.New("invalid location constraint")
	ErrIllegalLocation          = errors.New("illegal location constraint")
	ErrKeyTooLong               = errors.New("key too long")
	ErrBadDigest                = errors.New("bad digest")
	ErrInvalidDigest            = errors.New("invalid digest")
	ErrPreconditionFailed       = errors.New("precondition failed")
	ErrNotModified              = errors.New("not modified")
	ErrInvalidRange             = errors.New("invalid range")
	ErrInvalidPartNumber        = errors.New("invalid part number")
	ErrMetadataTooLarge         = errors.New("metadata too large")
	ErrInvalidStorageClass      = errors.New("invalid storage class")
	ErrInvalidArgument          = errors.New("invalid argument")
	ErrInvalidRequest           = errors.New("invalid request")
	ErrMissingContentLength     = errors.New("missing content length")
	ErrEntityTooLarge           = errors.New("entity too large")
	ErrIncompleteBody           = errors.New("incomplete body")
	ErrAccessDenied             = errors.New("access denied")
	ErrInvalidContinuationToken = errors.New("invalid continuation token")
	ErrNoSuchUpload             = errors.New("no such upload")
	ErrInvalidPart              = errors.New("invalid part")
	ErrInvalidPartOrder         = errors.New("invalid part order")
	ErrEntityTooSmall           = errors.New("entity too small")
	ErrMalformedXML             = errors.New("malformed xml")
	ErrMalformedPolicy          = errors.New("malformed policy")
	ErrNoSuchBucketPolicy       = errors.New("no such bucket policy")
	ErrMethodNotAllowed         = errors.New("method not allowed")
	ErrNoSuchCORSConfiguration  = errors.New("no such cors configuration")
	ErrCORSForbidden            = errors.New("cors request not allowed")
	ErrInvalidTag               = errors.New("invalid tag")
	ErrBadRequest               = errors.New("bad request")
	ErrNoSuchTagSet             = errors.New("no such tag set")
	ErrNoSuchVersion            = errors.New("no such version")
	ErrIllegalVersioning        = errors.New("illegal versioning configuration")
	ErrInvalidBucketState       = errors.New("invalid bucket state")
	ErrNoLockConfiguration      = errors.New("no object lock configuration")
	ErrNoObjectLock             = errors.New("no object lock on the object")
	ErrNoSuchLifecycle          = errors.New("no such lifecycle configuration")
)

// ErrNotImplementedHeader is a request feature (a header value) this
// server does not implement yet.
var ErrNotImplementedHeader = errors.New("not implemented")

func errorsIs(err, target error) bool { return errors.Is(err, target) }

// isClientError reports whether err is a refusal for the client (a
// wrapped sentinel) rather than a failure of the server.
func isClientError(err error) bool {
	var ce *clientError
	return errors.As(err, &ce)
}
