package vpc

import (
	"errors"
	"fmt"

	"github.com/nimbuscloud/nimbus/internal/vpc/cidr"
)

// Error is a client error with EC2's code; the API answers it with HTTP 400
// (the codes EC2 answers otherwise are mapped by internal/api/ec2).
type Error struct {
	Code    string
	Message string
}

func (e *Error) Error() string { return e.Code + ": " + e.Message }

// ErrNoCaller: the request has no authenticated caller.
var ErrNoCaller = errors.New("vpc: request has no authenticated caller")

func errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

func notFound(kind kind, id string) *Error {
	return errorf(kind.notFoundCode(), "The %s ID '%s' does not exist", kind.noun(), id)
}

func invalidParam(format string, args ...any) *Error {
	return errorf("InvalidParameterValue", format, args...)
}

func missingParam(name string) *Error {
	return errorf("MissingParameter", "The request must contain the parameter %s", name)
}

func dependency(id, what string) *Error {
	return errorf("DependencyViolation", "The %s '%s' has dependencies and cannot be deleted.", what, id)
}

// fromCIDR turns the cidr package's client errors into Errors.
func fromCIDR(err error) error {
	var ce *cidr.Error
	if errors.As(err, &ce) {
		return &Error{Code: ce.Code, Message: ce.Message}
	}
	return err
}
