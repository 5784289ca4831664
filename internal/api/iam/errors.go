package iam

import (
	"errors"
	"net/http"

	"github.com/nimbuscloud/nimbus/internal/account"
	"github.com/nimbuscloud/nimbus/internal/api/awserr"
	"github.com/nimbuscloud/nimbus/internal/authz"
	"github.com/nimbuscloud/nimbus/internal/iam"
)

// mapError is IAM's error table.
func mapError(err error) (*awserr.Error, bool) {
	var denied *authz.Denied
	if errors.As(err, &denied) {
		return awserr.New(http.StatusForbidden, "AccessDenied", "%s", denied.Message), true
	}
	return awserr.Match(err, []awserr.Rule{
		{Sentinel: iam.ErrNoSuchEntity, Status: http.StatusNotFound, Code: "NoSuchEntity"},
		{Sentinel: iam.ErrEntityAlreadyExists, Status: http.StatusConflict, Code: "EntityAlreadyExists"},
		{Sentinel: iam.ErrDeleteConflict, Status: http.StatusConflict, Code: "DeleteConflict"},
		{Sentinel: iam.ErrLimitExceeded, Status: http.StatusConflict, Code: "LimitExceeded"},
		{Sentinel: iam.ErrMalformedPolicy, Status: http.StatusBadRequest, Code: "MalformedPolicyDocument"},
		{Sentinel: iam.ErrInvalidInput, Status: http.StatusBadRequest, Code: "InvalidInput"},
		{Sentinel: iam.ErrValidation, Status: http.StatusBadRequest, Code: "ValidationError"},
		{Sentinel: iam.ErrUnmodifiableEntity, Status: http.StatusBadRequest, Code: "UnmodifiableEntity"},
		{Sentinel: iam.ErrConcurrentModification, Status: http.StatusConflict, Code: "ConcurrentModification"},
		{Sentinel: account.ErrKeyNotFound, Status: http.StatusNotFound, Code: "NoSuchEntity"},
		{Sentinel: iam.ErrNoCaller, Status: http.StatusForbidden, Code: "MissingAuthenticationToken"},
	})
}
