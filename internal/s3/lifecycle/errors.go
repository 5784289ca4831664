package lifecycle

import "net/http"

// Error is a configuration S3 refuses: the S3 error code, the HTTP status
// and the message S3 sends. The API layer renders Code, Status and Message
// as they are; Detail says which check failed, for logs and tests, and is
// never sent to clients (S3's MalformedXML message is the same whatever is
// malformed).
type Error struct {
	Code    string
	Status  int
	Message string
	Detail  string
}

func (e *Error) Error() string {
	s := e.Code + ": " + e.Message
	if e.Detail != "" {
		s += " (" + e.Detail + ")"
	}
	return s
}

// The S3 error codes this package returns.
const (
	CodeMalformedXML        = "MalformedXML"
	CodeInvalidArgument     = "InvalidArgument"
	CodeInvalidRequest      = "InvalidRequest"
	CodeInvalidStorageClass = "InvalidStorageClass"
	CodeInternalError       = "InternalError"
)

// msgMalformedXML is S3's one message for MalformedXML.
const msgMalformedXML = "The XML you provided was not well-formed or did not validate against our published schema"

// malformed is MalformedXML with what was wrong as the detail.
func malformed(detail string) *Error {
	return &Error{Code: CodeMalformedXML, Status: http.StatusBadRequest, Message: msgMalformedXML, Detail: detail}
}

func invalidArgument(msg string) *Error {
	return &Error{Code: CodeInvalidArgument, Status: http.StatusBadRequest, Message: msg}
}

func invalidRequest(msg string) *Error {
	return &Error{Code: CodeInvalidRequest, Status: http.StatusBadRequest, Message: msg}
}
