package awserr

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
)

// Error is an AWS-style error ready to be rendered by a protocol codec.
type Error struct {
	Code    string // AWS error code, e.g. "SignatureDoesNotMatch"
	Message string // human-readable message
	Status  int    // HTTP status
	// Server marks a fault on our side (query envelopes render <Type>Receiver</Type>).
	Server bool
	// Resource is echoed in S3 error bodies when set.
	Resource string
}

func (e *Error) Error() string { return e.Code + ": " + e.Message }

// New returns an *Error with a formatted message.
func New(status int, code, format string, args ...any) *Error {
	msg := format
	if len(args) > 0 {
		msg = fmt.Sprintf(format, args...)
	}
	return &Error{Code: code, Message: msg, Status: status, Server: status >= 500}
}

// As extracts an *Error from err's chain.
func As(err error) (*Error, bool) {
	var e *Error
	if errors.As(err, &e) {
		return e, true
	}
	return nil, false
}

// Internal is the error every unexpected failure renders as. The cause is
// logged by the caller, never sent to the client.
func Internal() *Error {
	return &Error{Code: "InternalError", Message: "We encountered an internal error. Please try again.", Status: http.StatusInternalServerError, Server: true}
}

// Common client errors shared by several protocols.
func InvalidAction(action string) *Error {
	return New(http.StatusBadRequest, "InvalidAction", "The action %s is not valid for this web service.", action)
}

// Rule maps a service's sentinel error to an AWS error code.
type Rule struct {
	Sentinel error
	Status   int
	Code     string
}

// Match renders err with the first rule whose sentinel it wraps. The
// message is err's text without the sentinel's own "<sentinel>: " prefix,
// so services wrap sentinels as fmt.Errorf("%w: <client message>", ...).
func Match(err error, rules []Rule) (*Error, bool) {
	for _, r := range rules {
		if errors.Is(err, r.Sentinel) {
			msg := err.Error()
			if rest, ok := strings.CutPrefix(msg, r.Sentinel.Error()+": "); ok {
				msg = rest
			}
			return &Error{Code: r.Code, Message: msg, Status: r.Status, Server: r.Status >= 500}, true
		}
	}
	return nil, false
}
