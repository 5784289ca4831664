package iam

import (
	"errors"
	"fmt"
)

// Sentinel errors; internal/api/iam maps them to AWS codes in one table.
// Wrap them with a message the client may see: fmt.Errorf("%w: ...", Err...).
var (
	ErrNoSuchEntity           = errors.New("NoSuchEntity")            // 404
	ErrEntityAlreadyExists    = errors.New("EntityAlreadyExists")     // 409
	ErrDeleteConflict         = errors.New("DeleteConflict")          // 409
	ErrLimitExceeded          = errors.New("LimitExceeded")           // 409
	ErrMalformedPolicy        = errors.New("MalformedPolicyDocument") // 400
	ErrInvalidInput           = errors.New("InvalidInput")            // 400
	ErrValidation             = errors.New("ValidationError")         // 400
	ErrUnmodifiableEntity     = errors.New("UnmodifiableEntity")      // 400
	ErrConcurrentModification = errors.New("ConcurrentModification")  // 409
	ErrNoCaller               = errors.New("iam: request has no authenticated caller")
)

// errorf wraps a sentinel with a client-visible message.
func errorf(sentinel error, format string, args ...any) error {
	return fmt.Errorf("%w: %s", sentinel, fmt.Sprintf(format, args...))
}
