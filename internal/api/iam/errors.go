package iam

import (
	"errors"
	"net/http"
	"strings"

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
	table := []struct {
		sentinel error
		status   int
		code     string
	}{
		{iam.ErrNoSuchEntity, http.StatusNotFound, "NoSuchEntity"},
		{iam.ErrEntityAlreadyExists, http.StatusConflict, "EntityAlreadyExists"},
		{iam.ErrDeleteConflict, http.StatusConflict, "DeleteConflict"},
		{iam.ErrLimitExceeded, http.StatusConflict, "LimitExceeded"},
		{iam.ErrMalformedPolicy, http.StatusBadRequest, "MalformedPolicyDocument"},
		{iam.ErrInvalidInput, http.StatusBadRequest, "InvalidInput"},
		{iam.ErrValidation, http.StatusBadRequest, "ValidationError"},
		{iam.ErrUnmodifiableEntity, http.StatusBadRequest, "UnmodifiableEntity"},
		{iam.ErrPolicyNotAttachable, http.StatusBadRequest, "PolicyNotAttachable"},
		{iam.ErrConcurrentModification, http.StatusConflict, "ConcurrentModification"},
		{account.ErrKeyNotFound, http.StatusNotFound, "NoSuchEntity"},
		{iam.ErrNoCaller, http.StatusForbidden, "MissingAuthenticationToken"},
	}
	for _, e := range table {
		if errors.Is(err, e.sentinel) {
			return awserr.New(e.status, e.code, "%s", message(err, e.sentinel)), true
		}
	}
	return nil, false
}

// message strips the sentinel's own text from a wrapped error
// ("NoSuchEntity: The user with name bob cannot be found." -> the sentence).
func message(err, sentinel error) string {
	msg := err.Error()
	if rest, ok := strings.CutPrefix(msg, sentinel.Error()+": "); ok {
		return rest
	}
	return msg
}
