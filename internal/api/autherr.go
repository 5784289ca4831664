package api

import (
	"context"
	"errors"
	"net/http"

	"github.com/nimbuscloud/nimbus/internal/api/awserr"
	"github.com/nimbuscloud/nimbus/internal/api/protocol"
	"github.com/nimbuscloud/nimbus/internal/api/sigv4"
)

// family groups services that report authentication failures alike.
type family int

const (
	familyQuery family = iota // IAM, STS, Auto Scaling, ELB, CloudWatch
	familyEC2                 // EC2: AuthFailure
	familyJSON                // JSON-first services (KMS...): *Exception codes
	familyS3                  // S3
)

func familyOf(svc *protocol.Service) family {
	switch {
	case svc.SigningName == "ec2":
		return familyEC2
	case len(svc.Protocols) > 0 && (svc.Protocols[0] == protocol.JSON10 || svc.Protocols[0] == protocol.JSON11):
		return familyJSON
	}
	return familyQuery
}

const (
	msgSigMismatch = "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details."
	msgBadToken    = "The security token included in the request is invalid."
	msgEC2Auth     = "AWS was not able to validate the provided access credentials"
)

func missingAuth(f family) error {
	switch f {
	case familyEC2:
		return awserr.New(http.StatusUnauthorized, "MissingAuthenticationToken", "The request must contain valid credentials.")
	case familyJSON:
		return awserr.New(http.StatusBadRequest, "MissingAuthenticationTokenException", "Missing Authentication Token")
	}
	return awserr.New(http.StatusForbidden, "MissingAuthenticationToken", "Request is missing Authentication Token")
}

func unknownKey(f family) error {
	switch f {
	case familyEC2:
		return awserr.New(http.StatusUnauthorized, "AuthFailure", msgEC2Auth)
	case familyJSON:
		return awserr.New(http.StatusBadRequest, "UnrecognizedClientException", msgBadToken)
	case familyS3:
		return awserr.New(http.StatusForbidden, "InvalidAccessKeyId", "The AWS Access Key Id you provided does not exist in our records.")
	}
	return awserr.New(http.StatusForbidden, "InvalidClientTokenId", msgBadToken)
}

func expiredToken(f family) error {
	switch f {
	case familyEC2:
		return awserr.New(http.StatusBadRequest, "RequestExpired", "Request has expired: the security token included in the request is expired.")
	case familyJSON:
		return awserr.New(http.StatusBadRequest, "ExpiredTokenException", "The security token included in the request is expired")
	case familyS3:
		return awserr.New(http.StatusBadRequest, "ExpiredToken", "The provided token has expired.")
	}
	return awserr.New(http.StatusForbidden, "ExpiredToken", "The security token included in the request is expired")
}

func wrongRegion(f family, got, want string) error {
	switch f {
	case familyS3:
		return awserr.New(http.StatusBadRequest, "AuthorizationHeaderMalformed",
			"The authorization header is malformed; the region '%s' is wrong; expecting '%s'", got, want)
	case familyEC2:
		return awserr.New(http.StatusUnauthorized, "AuthFailure", "Credential should be scoped to a valid region, not '%s'; this region is '%s'.", got, want)
	case familyJSON:
		return awserr.New(http.StatusBadRequest, "InvalidSignatureException", "Credential should be scoped to a valid region, not '%s'; this region is '%s'.", got, want)
	}
	return awserr.New(http.StatusForbidden, "SignatureDoesNotMatch", "Credential should be scoped to a valid region, not '%s'; this region is '%s'.", got, want)
}

// authError maps a sigv4 failure to the family's AWS error: one table for
// every service.
func authError(f family, err error, region string) error {
	if e, ok := awserr.As(err); ok {
		return e
	}
	type pick struct {
		status int
		code   string
		msg    string
	}
	var p pick
	switch {
	case errors.Is(err, sigv4.ErrSignatureMismatch), errors.Is(err, sigv4.ErrChunkSignatureMismatch):
		p = map[family]pick{
			familyQuery: {403, "SignatureDoesNotMatch", msgSigMismatch},
			familyEC2:   {401, "AuthFailure", msgEC2Auth},
			familyJSON:  {400, "InvalidSignatureException", msgSigMismatch},
			familyS3:    {403, "SignatureDoesNotMatch", msgSigMismatch},
		}[f]
	case errors.Is(err, sigv4.ErrRequestTimeTooSkewed):
		p = map[family]pick{
			familyQuery: {403, "RequestTimeTooSkewed", "The difference between the request time and the server's time is too large."},
			familyEC2:   {400, "RequestExpired", "Request has expired: the request time differs from the server's time by more than 15 minutes."},
			familyJSON:  {400, "InvalidSignatureException", "Signature expired: the request time differs from the server's time by more than 15 minutes."},
			familyS3:    {403, "RequestTimeTooSkewed", "The difference between the request time and the current time is too large."},
		}[f]
	case errors.Is(err, sigv4.ErrRequestExpired), errors.Is(err, sigv4.ErrRequestNotYetValid):
		p = map[family]pick{
			familyQuery: {403, "ExpiredToken", "Request has expired."},
			familyEC2:   {400, "RequestExpired", "Request has expired."},
			familyJSON:  {400, "InvalidSignatureException", "Signature expired."},
			familyS3:    {403, "AccessDenied", "Request has expired"},
		}[f]
	case errors.Is(err, sigv4.ErrContentSHA256Mismatch):
		p = map[family]pick{
			familyQuery: {403, "SignatureDoesNotMatch", msgSigMismatch},
			familyEC2:   {401, "AuthFailure", msgEC2Auth},
			familyJSON:  {400, "InvalidSignatureException", msgSigMismatch},
			familyS3:    {400, "XAmzContentSHA256Mismatch", "The provided 'x-amz-content-sha256' header does not match what was computed."},
		}[f]
	case f == familyS3 && errors.Is(err, sigv4.ErrMissingContentSHA256):
		p = pick{400, "InvalidRequest", "Missing required header for this request: x-amz-content-sha256"}
	case f == familyS3 && errors.Is(err, sigv4.ErrInvalidContentSHA256):
		p = pick{400, "InvalidArgument", "x-amz-content-sha256 must be UNSIGNED-PAYLOAD, a STREAMING-* mode or a hex SHA-256."}
	case f == familyS3 && errors.Is(err, sigv4.ErrBadDigest):
		p = pick{400, "BadDigest", "The checksum you specified did not match the calculated checksum."}
	case f == familyS3 && (errors.Is(err, sigv4.ErrMalformedChunk) || errors.Is(err, sigv4.ErrMalformedTrailer)):
		p = pick{400, "IncompleteBody", "The aws-chunked request body is malformed: " + err.Error()}
	case f == familyS3 && errors.Is(err, sigv4.ErrDecodedLengthMismatch):
		p = pick{400, "IncompleteBody", "You did not provide the number of bytes specified by the x-amz-decoded-content-length header."}
	case errors.Is(err, sigv4.ErrUnsignedHeader):
		p = map[family]pick{
			familyQuery: {403, "SignatureDoesNotMatch", "x-amz-* headers must be signed: " + err.Error()},
			familyEC2:   {401, "AuthFailure", "x-amz-* headers must be signed: " + err.Error()},
			familyJSON:  {400, "InvalidSignatureException", "x-amz-* headers must be signed: " + err.Error()},
			familyS3:    {403, "AccessDenied", "There were headers present in the request which were not signed: " + err.Error()},
		}[f]
	case errors.Is(err, sigv4.ErrUnsupportedAlgorithm), errors.Is(err, sigv4.ErrSigV2):
		p = pick{400, "IncompleteSignature", "Unsupported signing algorithm: only AWS4-HMAC-SHA256 (SigV4) is accepted."}
		if f == familyS3 {
			p = pick{400, "InvalidRequest", "The authorization mechanism you have provided is not supported. Please use AWS4-HMAC-SHA256."}
		}
	default: // malformed or incomplete signature data
		p = pick{400, "IncompleteSignature", "The request signature is malformed or incomplete: " + err.Error()}
		switch f {
		case familyEC2:
			p = pick{401, "AuthFailure", "The request signature is malformed: " + err.Error()}
		case familyS3:
			p = pick{400, "AuthorizationHeaderMalformed", "The authorization header is malformed: " + err.Error()}
		}
	}
	return awserr.New(p.status, p.code, "%s", p.msg)
}

// unknownService answers requests signed for a service this region does not
// offer, in the query envelope of a stand-in endpoint.
type unknownService struct {
	ep   RPCEndpoint
	name string // the service named in the credential scope
}

func (u unknownService) Serve(ctx context.Context, w http.ResponseWriter, r *http.Request, _ []byte) string {
	u.WriteError(ctx, w, r, nil)
	return ""
}

func (u unknownService) WriteError(ctx context.Context, w http.ResponseWriter, r *http.Request, _ error) {
	u.ep.WriteError(ctx, w, r, awserr.New(http.StatusBadRequest, "UnknownService", "This region does not offer the service %q.", u.name))
}

// unknownServiceDecl is the stand-in declaration behind unknownService.
func unknownServiceDecl() *protocol.Service {
	return &protocol.Service{SigningName: unknownRPC, Protocols: []protocol.Kind{protocol.Query}, Version: "unknown", ValidationCode: "ValidationError"}
}
