// Package awserr is the one error type the wire layer renders: an AWS error
// code, a message and an HTTP status. Services never import it; they return
// their own sentinel or typed errors, and each internal/api/<svc> package maps
// them to an *Error in one table. Protocol codecs render an *Error in their
// service's envelope (query ErrorResponse, EC2 Response/Errors, S3 Error,
// JSON/CBOR __type).
package awserr
