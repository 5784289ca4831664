package s3

import (
	"errors"
	"net/http"

	"github.com/nimbuscloud/nimbus/internal/api/awserr"
	"github.com/nimbuscloud/nimbus/internal/api/protocol/xmlbody"
	"github.com/nimbuscloud/nimbus/internal/authz"
	"github.com/nimbuscloud/nimbus/internal/s3"
	"github.com/nimbuscloud/nimbus/internal/s3/lifecycle"
)

// rules is S3's one error table: service sentinels to codes and statuses.
var rules = []awserr.Rule{
	{Sentinel: s3.ErrNoSuchBucket, Status: http.StatusNotFound, Code: "NoSuchBucket"},
	{Sentinel: s3.ErrNoSuchKey, Status: http.StatusNotFound, Code: "NoSuchKey"},
	{Sentinel: s3.ErrNoSuchVersion, Status: http.StatusNotFound, Code: "NoSuchVersion"},
	{Sentinel: s3.ErrIllegalVersioning, Status: http.StatusBadRequest, Code: "IllegalVersioningConfigurationException"},
	{Sentinel: s3.ErrInvalidBucketState, Status: http.StatusConflict, Code: "InvalidBucketState"},
	{Sentinel: s3.ErrNoLockConfiguration, Status: http.StatusNotFound, Code: "ObjectLockConfigurationNotFoundError"},
	{Sentinel: s3.ErrNoObjectLock, Status: http.StatusNotFound, Code: "NoSuchObjectLockConfiguration"},
	{Sentinel: s3.ErrNoSuchLifecycle, Status: http.StatusNotFound, Code: "NoSuchLifecycleConfiguration"},
	{Sentinel: s3.ErrBucketAlreadyExists, Status: http.StatusConflict, Code: "BucketAlreadyExists"},
	{Sentinel: s3.ErrBucketAlreadyOwnedByYou, Status: http.StatusConflict, Code: "BucketAlreadyOwnedByYou"},
	{Sentinel: s3.ErrBucketNotEmpty, Status: http.StatusConflict, Code: "BucketNotEmpty"},
	{Sentinel: s3.ErrInvalidBucketName, Status: http.StatusBadRequest, Code: "InvalidBucketName"},
	{Sentinel: s3.ErrInvalidLocation, Status: http.StatusBadRequest, Code: "InvalidLocationConstraint"},
	{Sentinel: s3.ErrIllegalLocation, Status: http.StatusBadRequest, Code: "IllegalLocationConstraintException"},
	{Sentinel: s3.ErrKeyTooLong, Status: http.StatusBadRequest, Code: "KeyTooLongError"},
	{Sentinel: s3.ErrBadDigest, Status: http.StatusBadRequest, Code: "BadDigest"},
	{Sentinel: s3.ErrInvalidDigest, Status: http.StatusBadRequest, Code: "InvalidDigest"},
	{Sentinel: s3.ErrPreconditionFailed, Status: http.StatusPreconditionFailed, Code: "PreconditionFailed"},
	{Sentinel: s3.ErrNotModified, Status: http.StatusNotModified, Code: "NotModified"},
	{Sentinel: s3.ErrInvalidRange, Status: http.StatusRequestedRangeNotSatisfiable, Code: "InvalidRange"},
	{Sentinel: s3.ErrInvalidPartNumber, Status: http.StatusRequestedRangeNotSatisfiable, Code: "InvalidPartNumber"},
	{Sentinel: s3.ErrMetadataTooLarge, Status: http.StatusBadRequest, Code: "MetadataTooLarge"},
	{Sentinel: s3.ErrInvalidStorageClass, Status: http.StatusBadRequest, Code: "InvalidStorageClass"},
	{Sentinel: s3.ErrInvalidArgument, Status: http.StatusBadRequest, Code: "InvalidArgument"},
	{Sentinel: s3.ErrInvalidRequest, Status: http.StatusBadRequest, Code: "InvalidRequest"},
	{Sentinel: s3.ErrMissingContentLength, Status: http.StatusLengthRequired, Code: "MissingContentLength"},
	{Sentinel: s3.ErrEntityTooLarge, Status: http.StatusBadRequest, Code: "EntityTooLarge"},
	{Sentinel: s3.ErrIncompleteBody, Status: http.StatusBadRequest, Code: "IncompleteBody"},
	{Sentinel: s3.ErrAccessDenied, Status: http.StatusForbidden, Code: "AccessDenied"},
	{Sentinel: s3.ErrNoSuchUpload, Status: http.StatusNotFound, Code: "NoSuchUpload"},
	{Sentinel: s3.ErrInvalidPart, Status: http.StatusBadRequest, Code: "InvalidPart"},
	{Sentinel: s3.ErrInvalidPartOrder, Status: http.StatusBadRequest, Code: "InvalidPartOrder"},
	{Sentinel: s3.ErrEntityTooSmall, Status: http.StatusBadRequest, Code: "EntityTooSmall"},
	{Sentinel: s3.ErrMalformedXML, Status: http.StatusBadRequest, Code: "MalformedXML"},
	{Sentinel: s3.ErrMalformedPolicy, Status: http.StatusBadRequest, Code: "MalformedPolicy"},
	{Sentinel: s3.ErrNoSuchBucketPolicy, Status: http.StatusNotFound, Code: "NoSuchBucketPolicy"},
	{Sentinel: s3.ErrNoSuchCORSConfiguration, Status: http.StatusNotFound, Code: "NoSuchCORSConfiguration"},
	{Sentinel: s3.ErrCORSForbidden, Status: http.StatusForbidden, Code: "AccessForbidden"},
	{Sentinel: s3.ErrInvalidTag, Status: http.StatusBadRequest, Code: "InvalidTag"},
	{Sentinel: s3.ErrBadRequest, Status: http.StatusBadRequest, Code: "BadRequest"},
	{Sentinel: s3.ErrNoSuchTagSet, Status: http.StatusNotFound, Code: "NoSuchTagSet"},
	{Sentinel: s3.ErrMethodNotAllowed, Status: http.StatusMethodNotAllowed, Code: "MethodNotAllowed"},
	{Sentinel: s3.ErrNoSuchPublicAccessBlock, Status: http.StatusNotFound, Code: "NoSuchPublicAccessBlockConfiguration"},
	{Sentinel: s3.ErrOwnershipControlsNotFound, Status: http.StatusNotFound, Code: "OwnershipControlsNotFoundError"},
	{Sentinel: s3.ErrACLNotSupported, Status: http.StatusBadRequest, Code: "AccessControlListNotSupported"},
	{Sentinel: s3.ErrBucketACLWithOwnership, Status: http.StatusBadRequest, Code: "InvalidBucketAclWithObjectOwnership"},
	{Sentinel: s3.ErrBucketACLWithPublicAccessBlock, Status: http.StatusBadRequest, Code: "InvalidBucketAclWithBlockPublicAccessError"},
	{Sentinel: s3.ErrMalformedACL, Status: http.StatusBadRequest, Code: "MalformedACLError"},
	{Sentinel: s3.ErrNotImplementedHeader, Status: http.StatusNotImplemented, Code: "NotImplemented"},
	{Sentinel: xmlbody.ErrTooLarge, Status: http.StatusBadRequest, Code: "MaxMessageLengthExceeded"},
	{Sentinel: xmlbody.ErrMalformed, Status: http.StatusBadRequest, Code: "MalformedXML"},
}

// mapError renders a service error as S3's; false for unexpected errors.
func mapError(err error) (*awserr.Error, bool) {
	if e, ok := awserr.As(err); ok {
		return e, true // the gateway's integrity errors arrive through the body
	}
	if e, ok := sseError(err); ok {
		return e, true
	}
	var le *lifecycle.Error
	if errors.As(err, &le) {
		return awserr.New(le.Status, le.Code, "%s", le.Message), true
	}
	var denied *authz.Denied
	if errors.As(err, &denied) {
		return awserr.New(http.StatusForbidden, "AccessDenied", "%s", denied.Message), true
	}
	e, ok := awserr.Match(err, rules)
	if ok && e.Code == "MalformedXML" {
		e.Message = "The XML you provided was not well-formed or did not validate against our published schema"
	}
	return e, ok
}

func notImplemented(what string) error {
	return awserr.New(http.StatusNotImplemented, "NotImplemented", "%s is not implemented by this server yet.", what)
}
